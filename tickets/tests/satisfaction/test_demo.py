"""The demo desk's satisfaction surveys (seed_demo): dated with their solves, a few answered."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command

from tickets.models import EventKind, Status, TicketEvent
from tickets.satisfaction.models import SatisfactionRating, Score

pytestmark = pytest.mark.django_db


def test_seed_demo_answers_a_few_surveys_mostly_good():
    call_command("seed_demo", stdout=StringIO())
    surveys = SatisfactionRating.objects.select_related("solve_event", "ticket")
    assert surveys.count() >= 10
    assert all(s.created_at == s.solve_event.created_at for s in surveys)  # the period of their solve
    answered = [s for s in surveys if s.score != Score.OFFERED]
    scores = sorted(s.score for s in answered)
    assert scores.count(Score.BAD) == 1 and scores.count(Score.GOOD) >= 4
    assert next(s for s in answered if s.score == Score.BAD).comment
    for survey in answered:
        assert survey.ticket.status in (Status.SOLVED, Status.CLOSED)
        assert survey.rated_at > survey.created_at
        event = TicketEvent.objects.get(ticket=survey.ticket, kind=EventKind.SATISFACTION_RATED)
        assert (event.public, event.actor_id, event.created_at) == (True, survey.requester_id, survey.rated_at)
