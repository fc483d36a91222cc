"""Values every page's layout needs from the ticket side: the bell's unread count."""

from django.http import HttpRequest


def layout(request: HttpRequest) -> dict:
    """The bell's unread count, computed only when a template actually shows it."""
    from tickets import selectors

    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    cache: dict = {}

    def unread() -> int:
        if "n" not in cache:
            cache["n"] = selectors.unread_notification_count(user)
        return cache["n"]

    return {"unread_notifications": unread}
