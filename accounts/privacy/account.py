"""The account's own part of an export and an erasure: profile, organization and teams, API
token metadata, invitations, sign-in records (django-axes) and the audit log entries about the
person. Runs after every other part (``registry.parts``)."""

from __future__ import annotations

import json
from typing import Any

from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib.admin.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db.models import Q
from django.utils.translation import gettext_noop
from rest_framework.authtoken.models import Token

from accounts import audit
from accounts.models import Invite, User
from accounts.privacy.registry import Bundle, Erasure, Part, scrub_json
from accounts.signals import access_changed


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def _sign_in_keys(user: User, email: str) -> list[str]:
    """How django-axes stores this person's sign-in attempts (``accounts.backends.throttle_username``)."""
    return [f"user:{user.pk}", email]


def _entries_about(user: User):
    return LogEntry.objects.filter(content_type=ContentType.objects.get_for_model(User), object_id=str(user.pk))


def export(bundle: Bundle) -> None:
    user = bundle.person
    teams = sorted(team.name for team in user.teams)
    bundle.data["profile"] = {
        "id": user.pk,
        "email": user.email,
        "name": user.name,
        "role": user.role,
        "ticket_scope": user.ticket_scope,
        "language": user.language,
        "time_zone": user.time_zone,
        "active": user.is_active,
        "joined": _iso(user.date_joined),
        "last_sign_in": _iso(user.last_login),
        "email_bouncing_since": _iso(user.email_bouncing_since),
        "notify_team_tickets": user.notify_team_tickets,
    }
    bundle.data["organization"] = (
        {"id": user.organization_id, "name": user.organization.name, "shares_tickets": user.organization.share_tickets}
        if user.organization is not None
        else None
    )
    bundle.data["teams"] = teams
    # Never the key itself: only that a token exists and when it was made.
    bundle.data["api_tokens"] = [
        {"created": _iso(created)} for created in Token.objects.filter(user=user).values_list("created", flat=True)
    ]
    bundle.data["invitations"] = [
        {"role": invite.role, "created": _iso(invite.created_at), "accepted": _iso(invite.accepted_at)}
        for invite in Invite.objects.filter(Q(email__iexact=user.email) | Q(accepted_user=user))
    ]
    keys = _sign_in_keys(user, user.email)
    bundle.data["sign_ins"] = [
        {
            "time": _iso(row.attempt_time),
            "logout": _iso(row.logout_time),
            "ip_address": row.ip_address,
            "user_agent": row.user_agent,
        }
        for row in AccessLog.objects.filter(username__in=keys).order_by("attempt_time")
    ]
    bundle.data["failed_sign_ins"] = [
        {
            "time": _iso(row.attempt_time),
            "ip_address": row.ip_address,
            "user_agent": row.user_agent,
            "locked_out": row.locked_out,
        }
        for row in AccessFailureLog.objects.filter(username__in=keys).order_by("attempt_time")
    ]
    bundle.data["audit_log_about_you"] = [
        {
            "time": _iso(entry.action_time),
            "by": entry.user.name if entry.user_id != user.pk else user.name,
            "changes": [
                {"field": line.field, "old": line.old, "new": line.new} if line.field else {"text": line.text}
                for line in audit.describe(entry)
            ],
        }
        for entry in _entries_about(user).select_related("user").order_by("action_time", "pk")
    ]
    bundle.count(gettext_noop("Audit entries"), len(bundle.data["audit_log_about_you"]))


def erase(erasure: Erasure) -> None:
    user = erasure.person
    teams = list(user.groups.all())
    erasure.count(gettext_noop("Team and organization memberships"), len(teams))
    user.groups.clear()
    user.name = erasure.new_name
    user.email = erasure.new_email
    user.organization = None
    user.language = user.time_zone = ""
    user.email_bouncing_since = None
    user.notify_team_tickets = False
    user.is_active = False
    user.end_all_sessions()  # every browser session ends on its next request
    user.set_unusable_password()  # User.save() then deletes the API tokens too
    tokens = Token.objects.filter(user=user).count()
    user.save()
    erasure.count(gettext_noop("API tokens"), tokens)
    invites = Invite.objects.filter(email__iexact=erasure.old_email)
    erasure.count(gettext_noop("Invitations"), invites.update(email=erasure.new_email))
    deleted = 0
    for model in (AccessAttempt, AccessLog, AccessFailureLog):
        deleted += model.objects.filter(username__in=_sign_in_keys(user, erasure.old_email)).delete()[0]
    erasure.count(gettext_noop("Sign-in records"), deleted)
    erasure.count(gettext_noop("Audit entries"), _scrub_audit_log(erasure))
    access_changed.send(sender=User, users=(user,))


def _scrub_audit_log(erasure: Erasure) -> int:
    """The audit log keeps who did what, never the old name or address: entries about the person
    are renamed, and any entry that quoted their name or address ("Added member “Ada <ada@…>”")
    has it replaced."""
    user = erasure.person
    changed = 0
    mentions = Q(object_repr__icontains=erasure.old_email) | Q(change_message__icontains=erasure.old_email)
    if len(erasure.old_name) >= 3:
        mentions |= Q(object_repr__icontains=erasure.old_name) | Q(change_message__icontains=erasure.old_name)
    about = Q(content_type=ContentType.objects.get_for_model(User), object_id=str(user.pk))
    # Ids first, then chunks: no writes to a table a cursor is still reading (SQLite).
    found = list(LogEntry.objects.filter(about | mentions).values_list("pk", flat=True))
    for start in range(0, len(found), 500):
        for entry in LogEntry.objects.filter(pk__in=found[start : start + 500]):
            repr_ = str(user) if about_person(entry, user) else erasure.scrub(entry.object_repr)
            message = entry.change_message
            try:
                decoded = json.loads(message) if message.startswith("[") else None
            except json.JSONDecodeError:
                decoded = None
            message = json.dumps(scrub_json(decoded, erasure.scrub)) if decoded is not None else erasure.scrub(message)
            if (repr_, message) != (entry.object_repr, entry.change_message):
                LogEntry.objects.filter(pk=entry.pk).update(object_repr=repr_[:200], change_message=message)
                changed += 1
    return changed


def about_person(entry: LogEntry, user: User) -> bool:
    return entry.content_type_id == ContentType.objects.get_for_model(User).pk and entry.object_id == str(user.pk)


PART = Part("account", export=export, erase=erase)
