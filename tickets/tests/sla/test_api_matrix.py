"""The API table's SLA rows (tickets/tests/api/table.py) × every persona."""

from __future__ import annotations

import pytest

from tickets.tests.api.support import _fresh_throttles, as_user, people, world  # noqa: F401
from tickets.tests.api.table import case_id, check, rows

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("row", rows("sla"), ids=case_id)
def test_permission_matrix(row, world, as_user):  # noqa: F811
    check(row, world, as_user)
