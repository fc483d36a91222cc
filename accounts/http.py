"""Request types for type checking."""

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest

from accounts.models import User


class AuthenticatedHttpRequest(HttpRequest):
    """A request that `LoginRequiredMiddleware` let through to a view: its `user` is a signed-in `User`.

    Only an annotation for views (mypy); at run time the view still gets Django's request object.
    """

    user: User


def signed_in(user: AbstractBaseUser | AnonymousUser) -> User:
    """``user`` as the signed-in ``User`` of a view that only signed-in people reach (an API view
    behind ``IsAuthenticated``); an anonymous one, which cannot get there, is refused."""
    if not isinstance(user, User):
        raise PermissionDenied
    return user
