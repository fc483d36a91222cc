"""Request types for type checking."""

from django.http import HttpRequest

from accounts.models import User


class AuthenticatedHttpRequest(HttpRequest):
    """A request that `LoginRequiredMiddleware` let through to a view: its `user` is a signed-in `User`.

    Only an annotation for views (mypy); at run time the view still gets Django's request object.
    """

    user: User
