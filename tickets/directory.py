"""The desk's agents and teams as the pickers list them, kept in the web process (issue 19).

Every queue page offers every active agent and every team (filters, bulk actions), and every agent
ticket page the agents who may take the ticket: queries and a few hundred rows built on each page,
for lists that change when an admin edits a person, a team or its members. They are kept with
``caching.kept`` under the directory version, which every save or deletion of a person (other than
a sign-in's ``last_login``) or of a team and every change of a person's groups (team membership)
bumps, and under the access version, which role, membership and import changes bump
(``caching.access_changed``).
The lists are shared between requests: read them, do not change them.
"""

from __future__ import annotations

from typing import Any

from accounts.models import Team
from tickets import caching, permissions

#: Bumped on every save or deletion of a person or a team and every change of team membership
#: (``directory_changed``).
DIRECTORY_KEY = caching.read_together("helpdesk:directory:version")


def directory_changed(sender: object = None, *, update_fields: Any = None, **kwargs: Any) -> None:
    """Receiver of ``post_save``/``post_delete`` on users and teams and of ``m2m_changed`` on
    users' groups (``TicketsConfig.ready``). A sign-in writes only ``last_login``, which no list
    shows."""
    if update_fields is not None and set(update_fields) <= {"last_login"}:
        return
    if str(kwargs.get("action", "")).startswith("pre_"):  # m2m_changed: the change follows
        return
    caching.changed_now_and_at_commit(DIRECTORY_KEY)


def staff_rows() -> list[Any]:
    """Active agents and admins as ``(pk, name, email)`` rows, by name: what a picker shows."""

    def read() -> list[Any]:
        staff = permissions.staff_members().order_by("name", "id")
        return list(staff.values_list("pk", "name", "email", named=True))

    return caching.kept("staff-rows", 0, read, scope=[DIRECTORY_KEY, caching.ACCESS_KEY])


def assignable_rows(team: Team | None) -> list[Any]:
    """The agents who may be assigned a ticket of ``team`` (``permissions.agents_who_can_work``),
    as ``staff_rows`` gives them. Kept per team: membership changes bump the directory version
    (``User.groups``) as well as the access version."""

    def read() -> list[Any]:
        agents = permissions.agents_who_can_work(team).order_by("name", "id")
        return list(agents.values_list("pk", "name", "email", named=True))

    owner = team.pk if team is not None else 0
    return caching.kept("assignable-rows", owner, read, scope=[DIRECTORY_KEY, caching.ACCESS_KEY])


def teams() -> list[Team]:
    """Every team, by name."""
    return caching.kept("teams", 0, lambda: list(Team.objects.order_by("name")), scope=[DIRECTORY_KEY])
