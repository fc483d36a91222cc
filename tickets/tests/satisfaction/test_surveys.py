"""Customer satisfaction surveys (issue 18 §4): offering at each solve, the signed link (GET
confirms, only POST records), the 7-day window, who may answer and see, history, the email."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core import mail, signing
from django.test import Client
from django.utils import timezone

from tickets import services
from tickets.models import EventKind, Status, TicketEvent
from tickets.satisfaction import links
from tickets.satisfaction import services as satisfaction_services
from tickets.satisfaction.models import SatisfactionRating, Score
from tickets.tests.api.support import token_client
from tickets.tests.satisfaction.support import solve, survey

pytestmark = pytest.mark.django_db


@pytest.fixture
def solved(ticket, team_agent):
    """Ada's Billing ticket, claimed by Tom and solved by him: one survey offered."""
    services.ticket_claim(actor=team_agent, ticket=ticket)
    return solve(ticket, team_agent)


def _age(rating, days: float) -> None:
    """Move the survey's solve ``days`` into the past."""
    SatisfactionRating.objects.filter(pk=rating.pk).update(created_at=timezone.now() - timedelta(days=days))


def _rated_events(ticket):
    return list(TicketEvent.objects.filter(ticket=ticket, kind=EventKind.SATISFACTION_RATED).order_by("id"))


# --- offering ---------------------------------------------------------------------------------------


def test_a_solve_offers_one_survey_crediting_assignee_and_team_at_the_solve(solved, customer, team_agent, billing_team):
    (rating,) = SatisfactionRating.objects.filter(ticket=solved)
    solve_event = TicketEvent.objects.get(ticket=solved, kind=EventKind.STATUS_CHANGED, data__new=Status.SOLVED)
    assert (rating.score, rating.rated_at, rating.comment) == (Score.OFFERED, None, "")
    assert rating.solve_event_id == solve_event.pk
    assert (rating.requester_id, rating.assignee_id, rating.team_id) == (customer.pk, team_agent.pk, billing_team.pk)
    assert rating.created_at == solve_event.created_at


def test_no_survey_when_surveys_are_off(ticket, team_agent, settings):
    settings.HELPDESK_SATISFACTION_SURVEYS = False
    solve(ticket, team_agent)
    assert not SatisfactionRating.objects.exists()


def test_a_solve_after_reopening_opens_a_new_survey_and_closes_the_old(solved, customer, team_agent):
    first = survey(solved)
    satisfaction_services.rating_give(actor=customer, rating=first, score=Score.GOOD)
    services.ticket_change_status(actor=customer, ticket=solved, status=Status.OPEN)
    with pytest.raises(satisfaction_services.SurveyClosed):
        satisfaction_services.rating_give(actor=customer, rating=first, score=Score.BAD)
    solve(solved, team_agent)
    second = survey(solved)
    assert second.pk != first.pk and second.score == Score.OFFERED
    first.refresh_from_db()
    assert first.score == Score.GOOD  # the earlier solve keeps its answer
    with pytest.raises(satisfaction_services.SurveyClosed):  # a later solve has its own survey now
        satisfaction_services.rating_give(actor=customer, rating=first, score=Score.BAD)
    satisfaction_services.rating_give(actor=customer, rating=second, score=Score.BAD)
    assert SatisfactionRating.objects.filter(ticket=solved).count() == 2


def test_a_closed_ticket_still_takes_its_answer(solved, customer):
    services.ticket_change_status(actor=solved.assignee, ticket=solved, status=Status.CLOSED)
    satisfaction_services.rating_give(actor=customer, rating=survey(solved), score=Score.GOOD)
    assert survey(solved).score == Score.GOOD


# --- answering --------------------------------------------------------------------------------------


def test_answer_once_change_within_the_window_and_not_after(solved, customer):
    rating = survey(solved)
    satisfaction_services.rating_give(actor=customer, rating=rating, score=Score.GOOD, comment="  Quick, thanks!  ")
    satisfaction_services.rating_give(actor=customer, rating=rating, score=Score.GOOD, comment="Quick, thanks!")
    rating.refresh_from_db()
    assert (rating.score, rating.comment) == (Score.GOOD, "Quick, thanks!")
    first_rated_at = rating.rated_at
    (event,) = _rated_events(solved)  # the same answer again changes nothing
    assert event.public and event.actor_id == customer.pk
    assert event.data == {"score": "good", "old": None, "rating_id": rating.pk, "commented": True}

    _age(rating, 6.9)
    satisfaction_services.rating_give(actor=customer, rating=rating, score=Score.BAD, comment="It broke again.")
    rating.refresh_from_db()
    assert (rating.score, rating.rated_at) == (Score.BAD, first_rated_at)  # rated_at: the first answer
    assert [e.data["old"] for e in _rated_events(solved)] == [None, "good"]

    _age(rating, 7.01)
    with pytest.raises(satisfaction_services.SurveyClosed):
        satisfaction_services.rating_give(actor=customer, rating=rating, score=Score.GOOD)
    rating.refresh_from_db()
    assert rating.score == Score.BAD


@pytest.mark.parametrize("score", ["", "great", None, "offered"])
def test_only_good_or_bad(solved, customer, score):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as caught:
        satisfaction_services.rating_give(actor=customer, rating=survey(solved), score=score)
    assert "score" in caught.value.message_dict
    assert survey(solved).score == Score.OFFERED


def test_a_long_comment_is_refused(solved, customer):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as caught:
        satisfaction_services.rating_give(actor=customer, rating=survey(solved), score=Score.GOOD, comment="x" * 2001)
    assert "comment" in caught.value.message_dict


def test_only_the_requester_answers(solved, org_member, team_agent, admin):
    from django.core.exceptions import PermissionDenied

    for person in (org_member, team_agent, admin):
        with pytest.raises(PermissionDenied):
            satisfaction_services.rating_give(actor=person, rating=survey(solved), score=Score.BAD)
    assert survey(solved).score == Score.OFFERED


# --- the signed link --------------------------------------------------------------------------------


def _path(rating, score=None) -> str:
    return links.path(rating, score)


def test_get_confirms_with_the_choice_preselected_and_records_nothing(solved, client):
    rating = survey(solved)
    response = client.get(_path(rating, "bad"))
    assert response.status_code == 200
    html = response.content.decode()
    assert re.search(r'<input[^>]*value="bad"[^>]*checked', html)
    assert not re.search(r'<input[^>]*value="good"[^>]*checked', html)
    assert "Cannot download invoice" in html and 'name="comment"' in html
    assert client.head(_path(rating, "good")).status_code == 200
    rating.refresh_from_db()
    assert rating.score == Score.OFFERED and not _rated_events(solved)


def test_post_records_without_signing_in_and_thanks(solved, client):
    rating = survey(solved)
    response = client.post(_path(rating), {"score": "good", "comment": "Very kind."})
    token_path = links.path(rating).split("?")[0]
    assert response.status_code == 302
    assert response["Location"].endswith("?saved=1")
    rating.refresh_from_db()
    assert (rating.score, rating.comment) == (Score.GOOD, "Very kind.")
    page = client.get(response["Location"]).content.decode()
    assert "Thank you! Your rating is saved" in page
    assert token_path.startswith("/satisfaction/")


def test_post_without_a_choice_is_a_form_error(solved, client):
    response = client.post(_path(survey(solved)), {"comment": "Hmm"})
    assert response.status_code == 400
    assert "Choose good or bad." in response.content.decode()
    assert "Hmm</textarea>" in response.content.decode()  # nothing typed is lost


def test_the_post_needs_the_csrf_token(solved):
    client = Client(enforce_csrf_checks=True)
    response = client.post(_path(survey(solved)), {"score": "good"})
    assert response.status_code == 403
    assert survey(solved).score == Score.OFFERED


def test_a_tampered_link_is_404(solved, client):
    rating = survey(solved)
    token = links.make_token(rating)
    other = signing.dumps({"s": rating.pk, "t": rating.ticket_id, "e": rating.solve_event_id, "r": rating.requester_id})
    forged = signing.dumps({"s": rating.pk, "t": rating.ticket_id, "e": rating.solve_event_id, "r": 999}, salt="x")
    for bad in (token[:-2] + ("AA" if not token.endswith("AA") else "BB"), other, "nonsense", forged, "a" * 300):
        response = client.get(f"/satisfaction/{bad}/?score=good")
        assert response.status_code == 404, bad
        assert "This survey link is not valid" in response.content.decode()
        assert client.post(f"/satisfaction/{bad}/", {"score": "good"}).status_code == 404
    assert survey(solved).score == Score.OFFERED


def test_a_link_naming_another_survey_is_404(solved, client):
    rating = survey(solved)
    # A genuine signature over a row id that does not match the rest of the token.
    token = signing.dumps(
        {"s": rating.pk, "t": rating.ticket_id, "e": rating.solve_event_id + 1, "r": rating.requester_id},
        salt=links.SALT,
    )
    assert client.get(f"/satisfaction/{token}/").status_code == 404


def test_an_expired_link_is_400(solved, client, monkeypatch):
    rating = survey(solved)
    eight_days_ago = timezone.now().timestamp() - 8 * 86400
    monkeypatch.setattr(signing.time, "time", lambda: eight_days_ago)
    token = links.make_token(rating)
    monkeypatch.undo()
    for response in (client.get(f"/satisfaction/{token}/"), client.post(f"/satisfaction/{token}/", {"score": "bad"})):
        assert response.status_code == 400
        assert "This survey is closed" in response.content.decode()
    assert survey(solved).score == Score.OFFERED


def test_change_within_seven_days_refused_after(solved, client):
    rating = survey(solved)
    assert client.post(_path(rating), {"score": "good"}).status_code == 302
    _age(rating, 6)
    assert client.post(_path(rating), {"score": "bad", "comment": "Came back."}).status_code == 302
    rating.refresh_from_db()
    assert rating.score == Score.BAD
    _age(rating, 7.5)
    for response in (client.get(_path(rating, "good")), client.post(_path(rating), {"score": "good"})):
        assert response.status_code == 400
        assert "Your rating stays as it was" in response.content.decode()
    rating.refresh_from_db()
    assert rating.score == Score.BAD
    assert len(_rated_events(solved)) == 2


def test_a_reopened_ticket_takes_no_answer(solved, client, customer):
    services.ticket_change_status(actor=customer, ticket=solved, status=Status.OPEN)
    assert client.get(_path(survey(solved), "good")).status_code == 400
    assert client.post(_path(survey(solved)), {"score": "good"}).status_code == 400
    assert survey(solved).score == Score.OFFERED


def test_someone_else_signed_in_is_refused(solved, client, other_customer, org_member, agent):
    rating = survey(solved)
    for person in (other_customer, org_member, agent):
        client.force_login(person)
        response = client.get(_path(rating, "good"))
        assert response.status_code == 403
        assert "This survey belongs to someone else" in response.content.decode()
        assert "Cannot download invoice" not in response.content.decode()
        assert client.post(_path(rating), {"score": "good"}).status_code == 403
    assert survey(solved).score == Score.OFFERED


def test_the_signed_in_requester_answers_from_the_portal(solved, client, customer):
    client.force_login(customer)
    page = client.get(f"/portal/tickets/{solved.pk}/").content.decode()
    assert "How was our support?" in page
    form_action = re.search(r'action="(/satisfaction/[^"]+/)"', page).group(1)
    response = client.post(form_action, {"score": "bad", "comment": "Slow.", "from": "portal"})
    assert response.status_code == 302 and response["Location"] == f"/portal/tickets/{solved.pk}/"
    page = client.get(f"/portal/tickets/{solved.pk}/").content.decode()
    assert "Thank you! Your rating is saved." in page
    assert "You rated it <strong>Bad</strong>" in page and "Slow." in page
    assert "rated the support: Bad" in page  # their own action in the history


def test_the_page_speaks_the_requesters_language(solved, client, customer):
    customer.language = "es"
    customer.save(update_fields=["language"])
    page = client.get(_path(survey(solved), "good"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'lang="es"' in page
    assert "How was our support?" not in page


# --- who sees ratings -------------------------------------------------------------------------------


def test_colleagues_and_outsiders_never_see_a_rating(solved, customer, org_member, other_customer, client):
    satisfaction_services.rating_give(actor=customer, rating=survey(solved), score=Score.BAD, comment="SECRET-FEEDBACK")
    client.force_login(org_member)
    page = client.get(f"/portal/tickets/{solved.pk}/").content.decode()
    assert "SECRET-FEEDBACK" not in page and "How was our support?" not in page
    assert "rated the support" not in page  # nor the history line
    kinds = [e["kind"] for e in token_client(org_member).get(f"/api/v1/tickets/{solved.pk}/events/").json()["results"]]
    assert "status_changed" in kinds and "satisfaction_rated" not in kinds
    mine = [e["kind"] for e in token_client(customer).get(f"/api/v1/tickets/{solved.pk}/events/").json()["results"]]
    assert "satisfaction_rated" in mine
    client.force_login(other_customer)
    assert client.get(f"/portal/tickets/{solved.pk}/").status_code == 404
    assert client.get(f"/api/v1/tickets/{solved.pk}/").status_code == 404


def test_the_agent_sees_rating_comment_and_history(solved, customer, team_agent, other_team_agent, client):
    satisfaction_services.rating_give(actor=customer, rating=survey(solved), score=Score.BAD, comment="Took a week.")
    client.force_login(team_agent)
    page = client.get(f"/agent/tickets/{solved.pk}/").content.decode()
    assert "score-badge-bad" in page and "Took a week." in page
    assert "rated the support: Bad" in page
    client.force_login(other_team_agent)
    assert client.get(f"/agent/tickets/{solved.pk}/").status_code == 404


def test_the_agent_sees_an_unanswered_survey(solved, client, team_agent):
    client.force_login(team_agent)
    page = client.get(f"/agent/tickets/{solved.pk}/").content.decode()
    assert "Survey sent at the last solve; no answer yet." in page


# --- the email ----------------------------------------------------------------------------------------


def _mails_to(address):
    return [m for m in mail.outbox if address in m.to]


def _survey_links(text: str) -> list[str]:
    return re.findall(r"https?://[^\s\"<>]+/satisfaction/[^\s\"<>/]+/\?score=(?:good|bad)", text)


@pytest.mark.parametrize("with_reply", [False, True])
def test_the_solved_email_carries_both_links(
    ticket, customer, org_member, team_agent, django_capture_on_commit_callbacks, settings, client, with_reply
):
    settings.HELPDESK_SITE_URL = "http://127.0.0.1:8100"
    services.ticket_claim(actor=team_agent, ticket=ticket)
    services.collaborator_add(actor=team_agent, ticket=ticket, email=org_member.email)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        solve(ticket, team_agent, reply="Fixed: the invoice downloads again." if with_reply else None)
    (message,) = _mails_to(customer.email)
    html = message.alternatives[0][0]
    text_links, html_links = _survey_links(message.body), _survey_links(html)
    assert [link.rsplit("=", 1)[1] for link in text_links] == ["good", "bad"]
    assert len(html_links) == 2 and all(link.startswith("http://127.0.0.1:8100/satisfaction/") for link in text_links)
    (colleague_mail,) = _mails_to(org_member.email)  # a collaborator hears of the solve, without a survey
    assert not _survey_links(colleague_mail.body)
    # The link from the mail works: GET confirms, POST records.
    path = text_links[1].removeprefix("http://127.0.0.1:8100")
    assert client.get(path).status_code == 200
    assert survey(ticket).score == Score.OFFERED
    client.post(path.split("?")[0], {"score": "bad"})
    assert survey(ticket).score == Score.BAD


def test_the_survey_mail_is_in_the_requesters_language(
    ticket, customer, team_agent, django_capture_on_commit_callbacks
):
    customer.language = "es"
    customer.save(update_fields=["language"])
    with django_capture_on_commit_callbacks(execute=True):
        solve(ticket, team_agent)
    (message,) = _mails_to(customer.email)
    assert len(_survey_links(message.body)) == 2
    assert "How would you rate" not in message.body
    assert "¿" in message.body


def test_no_links_when_surveys_are_off_or_on_other_mail(
    ticket, customer, team_agent, django_capture_on_commit_callbacks, settings
):
    with django_capture_on_commit_callbacks(execute=True):
        services.ticket_change_status(actor=team_agent, ticket=ticket, status=Status.PENDING)
    settings.HELPDESK_SATISFACTION_SURVEYS = False
    with django_capture_on_commit_callbacks(execute=True):
        solve(ticket, team_agent)
    assert len(_mails_to(customer.email)) == 2  # pending, then solved
    assert not any(_survey_links(m.body + m.alternatives[0][0]) for m in mail.outbox)


# --- the permission rules -----------------------------------------------------------------------------


def test_who_may_rate_and_who_sees_ratings(
    solved, customer, org_member, other_customer, agent, team_agent, other_team_agent, admin
):
    from django.contrib.auth.models import AnonymousUser

    from tickets import permissions

    assert permissions.may_rate(customer, customer.pk, solved)
    for outsider in (org_member, other_customer, agent, team_agent, admin, AnonymousUser(), None):
        assert not permissions.may_rate(outsider, customer.pk, solved)
    assert not permissions.may_rate(customer, org_member.pk, solved)  # a survey sent to someone else
    customer.is_active = False
    assert not permissions.may_rate(customer, customer.pk, solved)
    customer.is_active = True
    solved.requester_id = org_member.pk  # the ticket changed hands since the survey went out
    assert not permissions.may_rate(customer, customer.pk, solved)
    solved.requester_id = customer.pk

    for seer in (customer, agent, team_agent, admin):
        assert permissions.sees_satisfaction(seer, solved), seer
    for outsider in (org_member, other_customer, other_team_agent, AnonymousUser()):
        assert not permissions.sees_satisfaction(outsider, solved), outsider
