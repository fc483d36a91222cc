"""The API's throttle rates come from the environment; a bad one stops start-up naming it."""

import pytest

from helpdesk.tests.test_settings import _check


@pytest.mark.parametrize("variable", ["API_THROTTLE_USER", "API_THROTTLE_ANON", "API_THROTTLE_TOKEN"])
def test_bad_rate_names_the_variable(variable):
    result = _check(**{variable: "lots"})
    assert result.returncode != 0
    assert variable in result.stderr


def test_good_rate_starts():
    assert _check(API_THROTTLE_TOKEN="5/minute").returncode == 0
