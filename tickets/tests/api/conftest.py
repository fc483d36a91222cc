from tickets.tests.api.support import _fresh_throttles, as_user, people, world  # noqa: F401
