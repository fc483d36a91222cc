"""manage.py add_user EMAIL --role ROLE --password PW [--name N] [--team T]... [--organization O] [--scope S]

Idempotent: run it again with the same email to bring an existing account in line (role, scope,
password, teams, organization). Teams and organizations are created when they do not exist.
"""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from accounts import services
from accounts.models import Organization, Role, Team, TicketScope, User


class Command(BaseCommand):
    help = "Create or update a user (customer, agent or admin), with teams and organization."

    def add_arguments(self, parser):
        parser.add_argument("email")
        parser.add_argument("--role", choices=Role.values, required=True)
        parser.add_argument("--password", required=True)
        parser.add_argument("--name", default="")
        parser.add_argument("--team", action="append", default=[], help="Team name (repeatable; agents/admins).")
        parser.add_argument("--organization", default=None, help="Organization name (customers).")
        parser.add_argument(
            "--scope", choices=TicketScope.values, default=None, help="Agents: all tickets or teams only."
        )

    @transaction.atomic
    def handle(self, *args, email, role, password, name, team, organization, scope, **options):
        if team and role == Role.CUSTOMER:
            raise CommandError("--team is for agents and admins; customers belong to an --organization.")
        teams = [Team.objects.filter(name__iexact=t).first() or services.team_create(name=t) for t in team]
        org = None
        if organization:
            org = Organization.objects.filter(name__iexact=organization).first() or services.organization_create(
                name=organization
            )
        user = User.objects.with_email(email).first()
        try:
            if user is None:
                user = services.user_create(
                    email=email,
                    name=name or email.split("@")[0],
                    password=password,
                    role=role,
                    organization=org,
                    ticket_scope=scope or (TicketScope.TEAMS if teams and role == Role.AGENT else TicketScope.ALL),
                    teams=teams,
                    validate_password_strength=False,
                )
                verb = "Created"
            else:
                services.user_set_role(user=user, role=role, ticket_scope=scope)
                if name:
                    user.name = name
                user.set_password(password)
                user.save(update_fields=["name", "password"])
                if organization is not None:
                    services.user_set_organization(user=user, organization=org)
                for t in teams:
                    services.team_add_member(team=t, user=user)
                verb = "Updated"
        except ValidationError as exc:
            raise CommandError("; ".join(f"{k}: {' '.join(v)}" for k, v in exc.message_dict.items())) from None
        self.stdout.write(self.style.SUCCESS(f"{verb} {user.role} {user.email}"))
