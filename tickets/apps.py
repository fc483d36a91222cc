from django.apps import AppConfig


class TicketsConfig(AppConfig):
    name = "tickets"
    verbose_name = "Tickets"

    def ready(self) -> None:
        from accounts.signals import access_changed
        from tickets.permissions import people_access_changed

        # accounts sits below tickets: it announces changes to people, the ticket side follows.
        access_changed.connect(people_access_changed, dispatch_uid="tickets.people_access_changed")
