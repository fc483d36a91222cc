"""The API table's SLA rows (tickets/tests/api/table.py) × every persona."""

from __future__ import annotations

import pytest

from tickets.tests.api.support import _fresh_throttles, as_user, people, world  # noqa: F401
from tickets.tests.api.table import case_id, cases, run

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(("row", "persona", "expected"), cases("sla"), ids=case_id)
def test_permission_matrix(row, persona, expected, world, as_user):  # noqa: F811
    response = run(row, persona, world, as_user)
    assert response.status_code == expected, response.content[:500]
