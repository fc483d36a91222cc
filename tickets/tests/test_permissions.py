"""Every cell of the DESIGN §5 matrix, through the services a page or endpoint would call."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404

from accounts import services as account_services
from tickets import permissions, selectors, services
from tickets.models import Priority, Status, Ticket
from tickets.permissions import Action

PERSONAS = ["customer", "org_member", "other_customer", "agent", "team_agent", "other_team_agent", "admin"]
OK, FORBIDDEN, HIDDEN = "ok", 403, 404

# action -> expected outcome per persona, in PERSONAS order (DESIGN §5).
MATRIX = {
    "see": [OK, OK, HIDDEN, OK, OK, HIDDEN, OK],
    "see_internal": [FORBIDDEN, FORBIDDEN, HIDDEN, OK, OK, HIDDEN, OK],
    "reply": [OK, FORBIDDEN, HIDDEN, OK, OK, HIDDEN, OK],
    "add_note": [FORBIDDEN, FORBIDDEN, HIDDEN, OK, OK, HIDDEN, OK],
    "solve": [OK, FORBIDDEN, HIDDEN, OK, OK, HIDDEN, OK],
    "reopen": [OK, FORBIDDEN, HIDDEN, OK, OK, HIDDEN, OK],
    "change_priority": [FORBIDDEN, FORBIDDEN, HIDDEN, OK, OK, HIDDEN, OK],
    "assign": [FORBIDDEN, FORBIDDEN, HIDDEN, OK, OK, HIDDEN, OK],
    "change_team": [FORBIDDEN, FORBIDDEN, HIDDEN, OK, OK, HIDDEN, OK],
    "change_tags": [FORBIDDEN, FORBIDDEN, HIDDEN, OK, OK, HIDDEN, OK],
    "change_category": [FORBIDDEN, FORBIDDEN, HIDDEN, OK, OK, HIDDEN, OK],
    "delete": [FORBIDDEN, FORBIDDEN, HIDDEN, FORBIDDEN, FORBIDDEN, HIDDEN, OK],
}
CASES = [(action, persona, row[i]) for action, row in MATRIX.items() for i, persona in enumerate(PERSONAS)]


def _do(action: str, user, ticket: Ticket, request) -> None:
    if action == "see":
        selectors.ticket_get_for_user(user, ticket.pk)
    elif action == "see_internal":
        services.message_add(actor=request.getfixturevalue("agent"), ticket=ticket, body="secret-canary", internal=True)
        selectors.ticket_get_for_user(user, ticket.pk)
        bodies = [m.body for m in selectors.messages_for(user, ticket)]
        if "secret-canary" not in bodies:
            raise PermissionDenied("internal note hidden")
    elif action == "reply":
        services.message_add(actor=user, ticket=ticket, body="A public reply.")
    elif action == "add_note":
        services.message_add(actor=user, ticket=ticket, body="An internal note.", internal=True)
    elif action == "solve":
        services.ticket_change_status(actor=user, ticket=ticket, status=Status.SOLVED)
    elif action == "reopen":
        services.ticket_change_status(actor=request.getfixturevalue("admin"), ticket=ticket, status=Status.SOLVED)
        services.ticket_change_status(actor=user, ticket=ticket, status=Status.OPEN)
    elif action == "change_priority":
        services.ticket_update(actor=user, ticket=ticket, priority=Priority.URGENT)
    elif action == "assign":
        services.ticket_assign(actor=user, ticket=ticket, assignee=request.getfixturevalue("team_agent"))
    elif action == "change_team":
        services.ticket_update(actor=user, ticket=ticket, team=None)
    elif action == "change_tags":
        services.ticket_update(actor=user, ticket=ticket, tags=["invoice"])
    elif action == "change_category":
        services.ticket_update(actor=user, ticket=ticket, category="billing")
    elif action == "delete":
        services.ticket_delete(actor=user, ticket=ticket)
    else:  # pragma: no cover
        raise AssertionError(action)


@pytest.mark.django_db
@pytest.mark.parametrize(("action", "persona", "expected"), CASES, ids=[f"{a}-{p}" for a, p, _ in CASES])
def test_permission_matrix(request, ticket, action, persona, expected):
    user = request.getfixturevalue(persona)
    ticket = Ticket.objects.get(pk=ticket.pk)
    if expected == OK:
        _do(action, user, ticket, request)
    elif expected == FORBIDDEN:
        with pytest.raises(PermissionDenied):
            _do(action, user, ticket, request)
    else:
        with pytest.raises(Http404):
            _do(action, user, ticket, request)


@pytest.mark.django_db
@pytest.mark.parametrize("persona", PERSONAS)
def test_visible_tickets_agrees_with_can(request, ticket, persona):
    user = request.getfixturevalue(persona)
    listed = set(permissions.visible_tickets(user).values_list("pk", flat=True))
    assert (ticket.pk in listed) == permissions.can(user, Action.VIEW, ticket)
    assert (ticket.pk in listed) == (MATRIX["see"][PERSONAS.index(persona)] == OK)


@pytest.mark.django_db
def test_unshared_organization_members_do_not_see_each_other(globex, other_customer, password):
    colleague = account_services.user_create(
        email="gus@globex.test", name="Gus", password=password, organization=globex
    )
    theirs = services.ticket_create(
        actor=other_customer, subject="Globex issue", description="Something is broken for us here."
    )
    assert not permissions.can(colleague, Action.VIEW, theirs)
    with pytest.raises(Http404):
        selectors.ticket_get_for_user(colleague, theirs.pk)
    # Turning sharing on lets the colleague see it, read-only; turning it off again hides it.
    account_services.organization_set_sharing(organization=globex, share_tickets=True)
    colleague.refresh_from_db()
    assert permissions.can(colleague, Action.VIEW, Ticket.objects.get(pk=theirs.pk))
    assert not permissions.can(colleague, Action.REPLY, Ticket.objects.get(pk=theirs.pk))
    account_services.organization_set_sharing(organization=globex, share_tickets=False)
    assert not permissions.visible_tickets(colleague).filter(pk=theirs.pk).exists()


@pytest.mark.django_db
def test_collaborator_can_see_and_reply_but_not_solve(ticket, agent, other_customer):
    services.collaborator_add(actor=agent, ticket=ticket, email=other_customer.email)
    ticket = Ticket.objects.get(pk=ticket.pk)
    assert permissions.visible_tickets(other_customer).filter(pk=ticket.pk).exists()
    services.message_add(actor=other_customer, ticket=ticket, body="Adding my details.")
    with pytest.raises(PermissionDenied):
        services.ticket_change_status(actor=other_customer, ticket=ticket, status=Status.SOLVED)
    services.collaborator_remove(actor=agent, ticket=ticket, user=other_customer)
    assert not permissions.visible_tickets(other_customer).filter(pk=ticket.pk).exists()


@pytest.mark.django_db
def test_moving_team_moves_access(ticket, admin, team_agent, other_team_agent, tech_team):
    services.ticket_update(actor=admin, ticket=ticket, team=tech_team)
    assert not permissions.visible_tickets(team_agent).filter(pk=ticket.pk).exists()
    assert permissions.visible_tickets(other_team_agent).filter(pk=ticket.pk).exists()


@pytest.mark.django_db
def test_unrouted_ticket_is_hidden_from_team_agents(customer, team_agent, agent):
    unrouted = services.ticket_create(
        actor=customer, subject="No team yet", description="Nobody has routed this ticket."
    )
    assert not permissions.can(team_agent, Action.VIEW, unrouted)
    assert permissions.can(agent, Action.VIEW, unrouted)


@pytest.mark.django_db
def test_inactive_and_anonymous_users_see_nothing(ticket, customer, agent):
    from django.contrib.auth.models import AnonymousUser

    assert not permissions.visible_tickets(AnonymousUser()).exists()
    for user in (customer, agent):
        user.is_active = False
        user.save(update_fields=["is_active"])
        assert not permissions.visible_tickets(user).exists()
        assert not permissions.can(user, Action.VIEW, ticket)


@pytest.mark.django_db
def test_role_change_takes_effect(ticket, agent, customer):
    account_services.user_set_role(user=agent, role="customer")
    from accounts.models import User

    demoted = User.objects.get(pk=agent.pk)
    assert not permissions.visible_tickets(demoted).filter(pk=ticket.pk).exists()
    assert not permissions.can(demoted, Action.ADD_NOTE, ticket)


@pytest.mark.django_db
def test_customer_never_holds_agent_actions_even_with_a_stray_grant(ticket, other_customer):
    # A misconfigured grant of the agent level to a customer still gives no agent action.
    from guardian.shortcuts import assign_perm

    assign_perm(permissions.WORK, other_customer, ticket)
    fresh = Ticket.objects.get(pk=ticket.pk)
    assert permissions.can(other_customer, Action.VIEW, fresh)
    assert not permissions.can(other_customer, Action.ADD_NOTE, fresh)
    assert not permissions.can(other_customer, Action.VIEW_INTERNAL, fresh)
