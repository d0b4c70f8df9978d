"""Freezing finished weeks: on first view, by the Monday task, by the command; the digest."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core import mail
from django.core.management import CommandError, call_command

from cases.models import Status
from escalation.roles import Role
from escalation.users import user_language_set
from reports.models import WeeklySnapshot
from reports.payload import report_compute
from reports.selectors import ReportFilters
from reports.services import digest_send, snapshot_rebuild, week_report
from reports.tasks import weekly_snapshot
from reports.weeks import IsoWeek
from sla.models import Notification, NotificationKind
from tests.factories import TeamFactory, UserFactory
from tests.reports.conftest import NOW, W09, W10, W11, Fortnight, at
from tests.reports.factories import ReportCaseFactory

pytestmark = pytest.mark.django_db

ALL = ReportFilters()


def test_a_finished_week_is_frozen_on_first_view_and_never_changes(fortnight: Fortnight) -> None:
    first = week_report(week=W10, filters=ALL, now=NOW)
    assert first.snapshot is not None and not first.live
    assert first.payload["headline"]["raised"] == 5
    # Later changes to the week's cases do not change its report.
    fortnight.cases["c3"].status = Status.RESOLVED
    fortnight.cases["c3"].resolved_at = at(3, 6, 9)
    fortnight.cases["c3"].save()
    ReportCaseFactory(raised_at=at(3, 4, 12))
    again = week_report(week=W10, filters=ALL, now=at(3, 20))
    assert again.payload == first.payload
    assert WeeklySnapshot.objects.count() == 1


def test_the_running_week_is_live_and_not_stored(fortnight: Fortnight) -> None:
    report = week_report(week=W11, filters=ALL, now=NOW)
    assert report.live and report.payload["live"] is True
    assert not WeeklySnapshot.objects.exists()


def test_each_filter_combination_is_frozen_separately(fortnight: Fortnight) -> None:
    team = ReportFilters(team_id=fortnight.teams["fs"].pk)
    week_report(week=W10, filters=ALL, now=NOW)
    filtered = week_report(week=W10, filters=team, now=NOW)
    assert filtered.payload["headline"]["raised"] == 1
    assert sorted(WeeklySnapshot.objects.values_list("filters_key", flat=True)) == [
        "",
        f"team={fortnight.teams['fs'].pk}",
    ]


def test_the_trend_and_the_comparison_use_frozen_weeks(fortnight: Fortnight) -> None:
    frozen_w09 = week_report(week=W09, filters=ALL, now=NOW).payload["headline"]
    # After W09 was frozen, a late correction adds a case to it; W10's comparison keeps the
    # figures W09's own page shows.
    ReportCaseFactory(raised_at=at(2, 24, 9))
    w10 = week_report(week=W10, filters=ALL, now=NOW).payload
    assert w10["previous"] == frozen_w09
    assert w10["previous"]["raised"] == 2
    assert w10["trend"][-2]["frozen"] is True and w10["trend"][-3]["frozen"] is False


def test_the_monday_task_freezes_last_week_and_mails_the_executives_once(
    fortnight: Fortnight, erin, bob, time_machine, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    UserFactory(username="eve", role=Role.EXECUTIVE)
    UserFactory(username="olga", role=Role.EXECUTIVE, is_active=False)
    time_machine.move_to(NOW, tick=False)
    with django_capture_on_commit_callbacks(execute=True):
        assert weekly_snapshot() == "2026-03-02"
    with django_capture_on_commit_callbacks(execute=True):
        weekly_snapshot()  # a second run (retry, two beats): nothing new
    snapshot = WeeklySnapshot.objects.get(filters_key="", week_start=W10.monday)
    assert snapshot.digest_sent_at == NOW
    notes = Notification.objects.filter(kind=NotificationKind.REPORT)
    assert sorted(n.recipient.username for n in notes) == ["erin", "eve"]  # not bob, not olga
    assert len(mail.outbox) == 2
    body = mail.outbox[0].body
    assert "Escalations in Week 10, 2–8 Mar 2026" in body
    assert "- Escalations raised: 5 (3 more than the previous week's 2)" in body
    assert "- Resolution SLA met: 75.0%, 3 of 4 deadlines (no comparison)" in body
    assert "- Customer satisfaction: —, no survey answers this week" in body
    assert "/reports/weekly/2026-W10/" in body


def test_the_digest_goes_out_once_even_if_asked_twice(fortnight: Fortnight, erin) -> None:  # type: ignore[no-untyped-def]
    snapshot = week_report(week=W10, filters=ALL, now=NOW).snapshot
    assert snapshot is not None
    assert digest_send(snapshot=snapshot, now=NOW) == 1
    assert digest_send(snapshot=snapshot, now=NOW) == 0


def test_each_executive_reads_the_digest_in_their_language(
    fortnight: Fortnight, erin, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    """erin chose Italian (words, month names, decimal comma); eve reads the site's English."""
    UserFactory(username="eve", role=Role.EXECUTIVE)
    user_language_set(user=erin, language="it")
    snapshot = week_report(week=W10, filters=ALL, now=NOW).snapshot
    assert snapshot is not None
    with django_capture_on_commit_callbacks(execute=True):
        assert digest_send(snapshot=snapshot, now=NOW) == 2

    by_reader = {n.recipient.username: n for n in Notification.objects.all()}
    italian, english = by_reader["erin"], by_reader["eve"]
    assert italian.subject == "Report settimanale delle escalation, Settimana 10, 2–8 Mar 2026"
    assert italian.body.startswith("Escalation della Settimana 10, 2–8 Mar 2026, a confronto")
    assert "- SLA di risoluzione rispettato: 75,0%, 3 scadenze su 4 (nessun confronto)" in (
        italian.body
    )
    assert "Il report completo: " in italian.body
    assert english.subject == "Weekly escalation report, Week 10, 2–8 Mar 2026"
    assert "- Resolution SLA met: 75.0%, 3 of 4 deadlines (no comparison)" in english.body
    mailed = {m.to[0]: m for m in mail.outbox}
    assert mailed["erin@example.com"].subject == f"[Escalation] {italian.subject}"
    assert "75,0%" in mailed["erin@example.com"].body
    assert "75.0%" in mailed["eve@example.com"].body


def test_rebuilding_a_week_replaces_its_snapshot(fortnight: Fortnight) -> None:
    week_report(week=W10, filters=ALL, now=NOW)
    ReportCaseFactory(raised_at=at(3, 4, 12))
    rebuilt = snapshot_rebuild(week=W10, filters=ALL, now=at(3, 10))
    assert rebuilt.payload["headline"]["raised"] == 6
    assert WeeklySnapshot.objects.get().computed_at == at(3, 10)


def test_the_running_week_cannot_be_frozen(fortnight: Fortnight) -> None:
    from escalation.errors import DomainError

    with pytest.raises(DomainError, match="not over yet"):
        snapshot_rebuild(week=W11, filters=ALL, now=NOW)


def test_the_command_builds_one_week(fortnight: Fortnight, time_machine) -> None:  # type: ignore[no-untyped-def]
    time_machine.move_to(NOW, tick=False)
    out = StringIO()
    call_command("weekly_report", "--week", "2026-W10", stdout=out)
    assert "2026-W10 all: 5 raised, 4 resolved, 5 open at the end, 4 breaches." in out.getvalue()
    call_command("weekly_report", "--week", "2026-W10", "--tier", "premium", stdout=out)
    assert set(WeeklySnapshot.objects.values_list("filters_key", flat=True)) == {"", "tier=premium"}


def test_the_command_defaults_to_last_week(fortnight: Fortnight, time_machine) -> None:  # type: ignore[no-untyped-def]
    time_machine.move_to(NOW, tick=False)
    call_command("weekly_report", stdout=StringIO())
    assert WeeklySnapshot.objects.get().week_start == W10.monday


def test_the_command_freezes_the_missing_weeks_since_one(
    fortnight: Fortnight, time_machine
) -> None:  # type: ignore[no-untyped-def]
    time_machine.move_to(NOW, tick=False)
    week_report(week=W09, filters=ALL, now=NOW)
    out = StringIO()
    call_command("weekly_report", "--since", "2026-W07", stdout=out)
    assert "Froze 3 weeks from 2026-W07 to 2026-W10 (all)." in out.getvalue()
    weeks = sorted(WeeklySnapshot.objects.values_list("week_start", flat=True))
    assert [IsoWeek.of_date(d).week for d in weeks] == [7, 8, 9, 10]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--week", "2026-W11"], "not over yet"),
        (["--week", "2026-W99"], "ISO week"),
        (["--week", "2026-W10", "--team", "999999"], "no team with id 999999"),
        (["--since", "2026-W11"], "not over yet"),
        (["--since", "2026-W01", "--week", "2026-W10"], "not both"),
    ],
)
def test_the_command_refuses_bad_weeks_and_filters(
    fortnight: Fortnight, time_machine, args: list[str], message: str
) -> None:  # type: ignore[no-untyped-def]
    time_machine.move_to(NOW, tick=False)
    with pytest.raises(CommandError, match=message):
        call_command("weekly_report", *args, stdout=StringIO(), stderr=StringIO())
    assert not WeeklySnapshot.objects.exists()


def test_the_monday_task_also_freezes_the_week_for_each_tier_and_active_team(
    fortnight: Fortnight, time_machine
) -> None:  # type: ignore[no-untyped-def]
    retired = TeamFactory(name="Retired team", is_active=False)
    time_machine.move_to(NOW, tick=False)
    weekly_snapshot()
    weekly_snapshot()
    keys = set(
        WeeklySnapshot.objects.filter(week_start=W10.monday).values_list("filters_key", flat=True)
    )
    sd, fs = fortnight.teams["sd"].pk, fortnight.teams["fs"].pk
    assert keys == {
        "",
        "tier=standard",
        "tier=premium",
        "tier=strategic",
        f"team={sd}",
        f"team={fs}",
    }
    assert f"team={retired.pk}" not in keys
    # And the older weeks (W05 to W09) for the whole organisation only.
    assert WeeklySnapshot.objects.count() == 6 + 5
    premium = WeeklySnapshot.objects.get(filters_key="tier=premium")
    assert premium.payload["headline"]["raised"] == 1 and premium.digest_sent_at is None


def test_once_past_weeks_are_frozen_only_the_week_itself_is_computed(fortnight: Fortnight) -> None:
    cold = report_compute(week=W10, filters=ALL, now=NOW)
    for offset in range(11, 0, -1):
        week_report(week=W10.shifted(-offset), filters=ALL, now=NOW)
    warm = report_compute(week=W10, filters=ALL, now=NOW)
    assert all(row["frozen"] for row in warm["trend"][:-1]) and not warm["trend"][-1]["frozen"]
    for key in ("headline", "previous", "breakdowns", "highlights", "backlog_age", "top_customers"):
        assert warm[key] == cold[key], key
    assert [r["raised"] for r in warm["trend"]] == [r["raised"] for r in cold["trend"]]


def test_beat_runs_the_snapshot_task_on_monday_morning_in_the_organisation_time_zone() -> None:
    from django.conf import settings

    from escalation.celery import app

    entry = settings.CELERY_BEAT_SCHEDULE["reports-weekly-snapshot"]
    assert entry["task"] == "reports.tasks.weekly_snapshot"
    assert entry["schedule"].day_of_week == {1}
    assert entry["schedule"].hour == {settings.WEEKLY_REPORT_HOUR}
    assert settings.CELERY_TIMEZONE == settings.TIME_ZONE
    app.loader.import_default_modules()
    assert "reports.tasks.weekly_snapshot" in app.tasks
