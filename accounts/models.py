"""People of the help desk: users (customers, agents, admins), organizations, teams, invites."""

from __future__ import annotations

import secrets
from datetime import timedelta

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, Group, PermissionsMixin
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from accounts.addresses import normalize_email
from accounts.languages import validate_language, validate_time_zone
from helpdesk.text import LabelField


class Role(models.TextChoices):
    CUSTOMER = "customer", pgettext_lazy("role", "Customer")
    AGENT = "agent", pgettext_lazy("role", "Agent")
    ADMIN = "admin", pgettext_lazy("role", "Admin")


class TicketScope(models.TextChoices):
    ALL = "all", _("All tickets")
    TEAMS = "teams", _("Only their teams' tickets")


class Organization(models.Model):
    """A customer company. With ``share_tickets`` its members see each other's tickets."""

    name = LabelField(max_length=200, unique=True)
    share_tickets = models.BooleanField(
        default=False, help_text=_("Members see every ticket of the organization (read-only for non-requesters).")
    )
    # The guardian group that holds "view" on every ticket of the organization; its members are the
    # organization's users while sharing is on, nobody while it is off (accounts.services keeps it).
    group = models.OneToOneField(Group, on_delete=models.PROTECT, related_name="organization", editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Team(models.Model):
    """A group of agents tickets are routed to. Membership is the linked Django group's membership."""

    name = LabelField(max_length=100, unique=True)
    description = models.CharField(max_length=300, blank=True)
    group = models.OneToOneField(Group, on_delete=models.PROTECT, related_name="team", editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def members(self):
        return User.objects.filter(groups=self.group_id)


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    @classmethod
    def normalize_email(cls, email: str | None) -> str:
        """The desk's one normal form (``accounts.addresses.normalize_email``), for Django's callers."""
        return normalize_email(email or "")

    def with_email(self, email: str | None) -> models.QuerySet[User]:
        """The user whose stored address is ``email``'s normal form: an exact match, never the
        database's own case-insensitive comparison (which folds look-alikes such as ``ı`` onto
        ``i`` on PostgreSQL). The ``lower()`` condition only lets the query use the unique index
        on ``lower(email)``; stored addresses are already in the normal form."""
        address = normalize_email(email)
        return self.alias(email_lower=Lower("email")).filter(email_lower=Lower(models.Value(address)), email=address)

    def get_by_natural_key(self, username: str | None) -> User:
        # Sign-in (ModelBackend) and createsuperuser: Ada@Example.com, ＡＤＡ@example.com and
        # ada@example.com are one account.
        return self.with_email(username).get()

    def create_user(self, email: str, password: str | None = None, **fields) -> User:
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email), **fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **fields) -> User:
        fields.update(role=Role.ADMIN, is_staff=True, is_superuser=True)
        return self.create_user(email, password, **fields)


class User(AbstractBaseUser, PermissionsMixin):
    """Anyone who signs in. ``role`` is set by admins or invites, never from sign-up input."""

    email = models.EmailField(max_length=254)
    name = LabelField(max_length=150)  # cleaned of invisible characters (helpdesk.text)
    role = models.CharField(max_length=16, choices=Role, default=Role.CUSTOMER)
    ticket_scope = models.CharField(
        max_length=8,
        choices=TicketScope,
        default=TicketScope.ALL,
        help_text=_("For agents: every ticket, or only tickets routed to their teams."),
    )
    organization = models.ForeignKey(
        Organization, null=True, blank=True, on_delete=models.SET_NULL, related_name="members"
    )
    notify_team_tickets = models.BooleanField(
        default=True, help_text=_("Agents: email me about new unassigned tickets in my teams.")
    )
    # Set when mail to the address bounced (a delivery-status report); notifications skip the
    # address until mail from it arrives again (tickets.mail).
    email_bouncing_since = models.DateTimeField(null=True, blank=True)
    # Blank: the browser's language (Accept-Language) on pages, the desk's default in mail.
    language = models.CharField(max_length=16, blank=True, default="", validators=[validate_language])
    # Blank: the desk's TIME_ZONE. Else an IANA name such as Europe/Madrid.
    time_zone = models.CharField(max_length=64, blank=True, default="", validators=[validate_time_zone])
    is_active = models.BooleanField(default=True)
    # Raised to end every session signed in so far (deactivation): part of the hash each session
    # keeps (``_get_session_auth_hash``), like the password — so reactivating someone does not
    # bring back a browser that was signed in before.
    session_generation = models.PositiveIntegerField(default=0, editable=False)
    is_staff = models.BooleanField(default=False, help_text=_("May use the Django admin (admins only)."))
    date_joined = models.DateTimeField(default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["name"]

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(Lower("email"), name="user_email_ci_unique"),
            models.CheckConstraint(condition=models.Q(role__in=Role.values), name="user_role_valid"),
            models.CheckConstraint(condition=models.Q(ticket_scope__in=TicketScope.values), name="user_scope_valid"),
        ]
        indexes = [
            # The staff, by name: assignee pickers, queue filters and statistics list the few hundred
            # agents among 100,000 customers (agent ticket page: 17-31 ms seq scan of users -> <1 ms).
            models.Index(
                fields=["name", "id"], name="user_staff_name_idx", condition=models.Q(role__in=["agent", "admin"])
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} <{self.email}>" if self.name else self.email

    # --- a new password ends every other credential -------------------------------------------
    # Django ends other sessions when the password changes (the session keeps a hash of it); API
    # tokens outlive that unless they are revoked where the password is written. Every route that
    # sets a password — reset, the profile's change, ``user_set_password``, ``add_user``, Django's
    # ``changepassword``, ``set_unusable_password`` — ends in this ``save()``, so the tokens go with
    # it there, exactly where Django itself calls ``password_validation.password_changed``. A hash
    # upgrade at sign-in (``check_password``'s setter clears ``_password``) is not a new password.

    def set_unusable_password(self) -> None:
        super().set_unusable_password()
        self._password_unset = True

    def save(self, *args, **kwargs) -> None:
        new_password = not self._state.adding and (
            getattr(self, "_password", None) is not None or getattr(self, "_password_unset", False)
        )
        super().save(*args, **kwargs)
        if new_password:
            self._password_unset = False
            revoke_api_tokens(self)

    def _get_session_auth_hash(self, secret: str | None = None) -> str:
        if not self.session_generation:  # Django's own hash: sessions from before the field stay valid
            return super()._get_session_auth_hash(secret=secret)  # type: ignore[misc]  # private in the stubs
        return salted_hmac(
            "accounts.User.session_auth_hash",
            f"{self.password}\x00{self.session_generation}",
            secret=secret,
            algorithm="sha256",
        ).hexdigest()

    def end_all_sessions(self) -> None:
        """Make every session signed in so far invalid on its next request (saved by the caller)."""
        self.session_generation += 1

    def get_full_name(self) -> str:
        return self.name or self.email

    def get_short_name(self) -> str:
        return self.name.split(" ")[0] if self.name else self.email

    @property
    def is_customer(self) -> bool:
        return self.role == Role.CUSTOMER

    @property
    def is_agent(self) -> bool:
        """Agents and admins both work tickets."""
        return self.role in (Role.AGENT, Role.ADMIN)

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN

    @property
    def teams(self) -> models.QuerySet[Team]:
        return Team.objects.filter(group__user=self)


def revoke_api_tokens(user: User) -> int:
    """Delete ``user``'s API tokens (their password changed); returns how many there were."""
    from rest_framework.authtoken.models import Token

    deleted, _ = Token.objects.filter(user=user).delete()
    return deleted


def _invite_token() -> str:
    return secrets.token_urlsafe(32)


def _invite_expiry():
    return timezone.now() + timedelta(days=7)


class Invite(models.Model):
    """An admin's invitation for an agent or admin. Single use, valid for seven days."""

    email = models.EmailField(max_length=254)
    role = models.CharField(max_length=16, choices=[(Role.AGENT, Role.AGENT.label), (Role.ADMIN, Role.ADMIN.label)])
    team = models.ForeignKey(Team, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    token = models.CharField(max_length=64, unique=True, default=_invite_token, editable=False)
    invited_by = models.ForeignKey(User, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    expires_at = models.DateTimeField(default=_invite_expiry)
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_user = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(condition=models.Q(role__in=[Role.AGENT, Role.ADMIN]), name="invite_role_staff"),
        ]

    def __str__(self) -> str:
        return f"Invite for {self.email} ({self.role})"

    @property
    def is_used(self) -> bool:
        return self.accepted_at is not None

    @property
    def is_expired(self) -> bool:
        return timezone.now() >= self.expires_at
