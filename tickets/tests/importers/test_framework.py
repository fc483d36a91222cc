"""The importers' shared machinery (tickets.importers.framework), with teams as the records."""

from __future__ import annotations

from io import StringIO

import pytest

from accounts import services as account_services
from accounts.models import Team
from tickets.importers.framework import ImportInterrupted, ImportSession, Matched, Outcome, Report, Skip, fingerprint
from tickets.importers.models import ImportLink, ImportRun

pytestmark = pytest.mark.django_db


def session(**options) -> ImportSession:
    return ImportSession(source="test", instance="one", label="a test", progress=False, **options)


def import_teams(s: ImportSession, rows: list[dict]) -> None:
    def handle(row: dict) -> None:
        if row.get("explode"):
            account_services.team_create(name=f"half of {row['name']}")  # written, then rolled back
            raise RuntimeError("the source row is corrupt")
        if row.get("skip"):
            raise Skip("not wanted")
        s.upsert(
            "team",
            row["id"],
            model=Team,
            digest=fingerprint(row),
            create=lambda: account_services.team_create(name=row["name"]),
            update=lambda team: account_services.team_update(team=team, name=row["name"]),
        )

    s.each("team", rows, key=lambda row: row["id"], handle=handle, total=len(rows))


def test_upsert_creates_then_leaves_alone_then_updates_and_respects_deletions():
    rows = [{"id": 1, "name": "Billing"}, {"id": 2, "name": "Tech"}]
    s = session()
    with s.running():
        import_teams(s, rows)
    assert s.total.counts == {"team": {"created": 2}}
    assert ImportLink.objects.filter(source="test", instance="one", kind="team").count() == 2

    s = session()
    with s.running():
        import_teams(s, [{"id": 1, "name": "Billing"}, {"id": 2, "name": "Technical"}])
    assert s.total.counts == {"team": {"unchanged": 1, "updated": 1}}
    assert sorted(Team.objects.values_list("name", flat=True)) == ["Billing", "Technical"]

    Team.objects.filter(name="Billing").delete()  # removed here on purpose: not brought back
    s = session()
    with s.running():
        import_teams(s, rows)
    assert s.total.get("team", Outcome.SKIPPED) == 1
    assert "deleted here after an earlier import" in s.total.render()
    assert sorted(Team.objects.values_list("name", flat=True)) == ["Tech"]
    assert ImportRun.objects.filter(finished_at__isnull=False).count() == 3


def test_a_failing_record_is_rolled_back_whole_and_the_run_goes_on():
    s = session()
    with s.running():
        import_teams(
            s,
            [
                {"id": 1, "name": "Billing"},
                {"id": 2, "name": "Broken", "explode": True},
                {"id": 3, "name": "Unwanted", "skip": True},
                {"id": 4, "name": "Tech"},
            ],
        )
    assert sorted(Team.objects.values_list("name", flat=True)) == ["Billing", "Tech"]  # no "half of Broken"
    assert s.total.counts["team"] == {"created": 2, "failed": 1, "skipped": 1}
    text = s.total.render()
    assert "team failed ×1: RuntimeError: the source row is corrupt (e.g. 2)" in text
    assert "team skipped ×1: not wanted (e.g. 3)" in text
    run = ImportRun.objects.get()
    assert run.checkpoints == {"team": 4}
    assert Report.from_dict(run.report).counts == s.total.counts


def test_an_interrupted_run_is_taken_up_from_its_checkpoint():
    rows = [{"id": n, "name": f"Team {n}"} for n in range(1, 6)]
    s = session(fail_after=10**6)  # counting tickets only: teams never stop the run

    def stop_at_three(row: dict) -> None:
        if row["id"] == 3:
            raise ImportInterrupted("killed")
        s.upsert(
            "team",
            row["id"],
            model=Team,
            digest=fingerprint(row),
            create=lambda: account_services.team_create(name=row["name"]),
            update=lambda team: None,
        )

    with pytest.raises(ImportInterrupted), s.running():
        s.each("team", rows, key=lambda row: row["id"], handle=stop_at_three)
    run = ImportRun.objects.get()
    assert run.finished_at is None and run.checkpoints == {"team": 2}

    again = session()
    with again.running():
        assert again.resumed
        done = again.checkpoint("team")
        import_teams(again, [row for row in rows if row["id"] > done])
    assert Team.objects.count() == 5
    assert ImportRun.objects.get().finished_at is not None
    assert again.total.counts == {"team": {"created": 5}}  # the report of the whole run


def test_matched_rows_are_linked_not_created_and_a_dry_run_keeps_nothing():
    existing = account_services.team_create(name="Billing")
    s = session(dry_run=True)
    with s.running():
        s.each(
            "team",
            [{"id": 1}],
            key=lambda row: row["id"],
            handle=lambda row: s.upsert(
                "team",
                row["id"],
                model=Team,
                digest="",
                create=lambda: Matched(existing, "same name"),
                update=lambda team: None,
            ),
        )
        assert ImportLink.objects.get().local_id == existing.pk
    assert s.total.counts == {"team": {"unchanged": 1}}
    assert not ImportLink.objects.exists() and not ImportRun.objects.exists()


def test_the_report_reads_as_a_table_with_reasons():
    report = Report()
    for _ in range(3):
        report.add("ticket", Outcome.CREATED)
    report.add("attachment", Outcome.SKIPPED, reason="type refused", key=7)
    merged = Report().merged(report).merged(report)
    assert merged.get("ticket", Outcome.CREATED) == 6
    out = StringIO(merged.render())
    lines = out.getvalue().splitlines()
    assert lines[0].split() == ["kind", "created", "updated", "unchanged", "skipped", "failed"]
    assert lines[1].split() == ["ticket", "6", "0", "0", "0", "0"]
    assert "attachment skipped ×2: type refused (e.g. 7)" in merged.render()
    assert Report.from_dict(merged.as_dict()).as_dict() == merged.as_dict()


def test_the_report_keeps_a_bounded_number_of_reasons():
    report = Report()
    for n in range(60):
        report.add("attachment", Outcome.SKIPPED, reason=f"refused file {n}", key=n)
    reasons = [key for key in report.reasons if key[:2] == ("attachment", "skipped")]
    assert len(reasons) == 51
    assert report.reasons[("attachment", "skipped", "other reasons")][0] == 10
    assert report.get("attachment", Outcome.SKIPPED) == 60
    assert Report().merged(report).reasons == report.reasons
