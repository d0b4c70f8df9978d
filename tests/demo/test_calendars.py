"""The demo's SLA calendars: real office hours with public holidays, deadlines that fall in
them, and the demo's business-time shortcut agreeing with `sla.clock` to the second."""

from __future__ import annotations

import io
import random
from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from hypothesis import given, settings
from hypothesis import strategies as st

from cases.models import Customer, Severity, Status, Tier
from demo.business import BusinessTime
from demo.reference import Reference
from demo.reference_data import (
    ALWAYS,
    AMSTERDAM,
    LEGACY_OFFICE,
    POLICY_MINUTES,
    ROME,
    public_holidays,
    seed_reference_data,
)
from demo.seeding import seed_cases
from demo.story import Generator
from sla import clock as bh
from sla.calendars import calendar_for
from sla.models import BusinessCalendar, CaseClock, Holiday, SlaPolicy, WorkingHours

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
# pytest-django's django_capture_on_commit_callbacks fixture.
CaptureCallbacks = Callable[..., AbstractContextManager[list[Callable[[], object]]]]
SECOND = timedelta(seconds=1)
YEARS = range(2024, 2028)


@pytest.fixture
def frozen():  # type: ignore[no-untyped-def]
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def calendar_rows() -> list[tuple[object, ...]]:
    return list(
        BusinessCalendar.objects.order_by("name").values_list(
            "pk", "name", "time_zone", "always_open", "revision"
        )
    )


def policy_calendars() -> dict[tuple[str, str], str]:
    return {
        (p.tier, p.severity): p.calendar.name for p in SlaPolicy.objects.select_related("calendar")
    }


@pytest.mark.django_db
def test_office_hours_run_on_real_calendars_with_public_holidays(frozen: object) -> None:
    seed_reference_data()

    amsterdam = BusinessCalendar.objects.get(name=AMSTERDAM.name)
    rome = BusinessCalendar.objects.get(name=ROME.name)
    assert (amsterdam.time_zone, rome.time_zone) == ("Europe/Amsterdam", "Europe/Rome")
    assert list(
        WorkingHours.objects.filter(calendar=amsterdam).values_list("weekday", "start", "end")
    ) == [(day, time(8), time(18)) for day in range(5)]
    assert list(
        WorkingHours.objects.filter(calendar=rome).values_list("weekday", "start", "end")
    ) == [(day, time(9), time(18)) for day in range(5)]
    dutch = dict(Holiday.objects.filter(calendar=amsterdam).values_list("date", "name"))
    italian = dict(Holiday.objects.filter(calendar=rome).values_list("date", "name"))
    assert dutch[date(2026, 4, 27)] == "King's Day"
    assert dutch[date(2027, 5, 6)] == "Ascension Day"
    assert date(2024, 12, 25) in dutch and date(2024, 6, 2) not in dutch
    assert italian[date(2026, 4, 25)] == "Liberation Day"
    assert date(2026, 6, 2) in italian and date(2026, 6, 29) in italian  # Rome's patron saints
    assert date(2026, 4, 27) not in italian
    assert {day.year for day in dutch} == {day.year for day in italian} == set(YEARS)
    assert not BusinessCalendar.objects.filter(name=LEGACY_OFFICE).exists()

    expected = {
        (tier, severity): (
            ALWAYS
            if severity == Severity.S1
            else (ROME.name if tier == Tier.STANDARD else AMSTERDAM.name)
        )
        for tier, by_severity in POLICY_MINUTES.items()
        for severity in by_severity
    }
    assert policy_calendars() == expected


@pytest.mark.django_db
def test_seeding_the_reference_data_again_changes_nothing(
    frozen: object, django_capture_on_commit_callbacks: CaptureCallbacks
) -> None:
    seed_reference_data()
    calendars, holidays = calendar_rows(), Holiday.objects.count()
    policies = list(SlaPolicy.objects.order_by("pk").values())

    with django_capture_on_commit_callbacks() as callbacks:
        seed_reference_data()

    assert calendar_rows() == calendars
    assert Holiday.objects.count() == holidays
    assert list(SlaPolicy.objects.order_by("pk").values()) == policies
    assert callbacks == [], "nothing to re-sync"


@pytest.mark.django_db
def test_a_later_year_adds_its_holidays_under_a_new_revision(
    frozen: object, django_capture_on_commit_callbacks: CaptureCallbacks
) -> None:
    seed_reference_data()
    revisions = dict(BusinessCalendar.objects.values_list("name", "revision"))

    with django_capture_on_commit_callbacks() as callbacks:
        seed_reference_data(now=NOW + timedelta(days=365))

    amsterdam = BusinessCalendar.objects.get(name=AMSTERDAM.name)
    assert Holiday.objects.filter(calendar=amsterdam, date=date(2028, 4, 27)).exists()
    assert amsterdam.revision != revisions[AMSTERDAM.name]
    assert BusinessCalendar.objects.get(name=ALWAYS).revision == revisions[ALWAYS]
    assert len(callbacks) == 1, "the open cases on the changed calendars are re-synced"


def seed_like_an_earlier_demo() -> BusinessCalendar:
    """The calendars and policies the demo made before it knew holidays."""
    legacy = BusinessCalendar.objects.create(name=LEGACY_OFFICE, time_zone="Europe/Amsterdam")
    WorkingHours.objects.bulk_create(
        WorkingHours(calendar=legacy, weekday=day, start=time(8), end=time(18)) for day in range(5)
    )
    always, _ = BusinessCalendar.objects.get_or_create(
        name=ALWAYS, defaults={"time_zone": "UTC", "always_open": True}
    )
    for tier, by_severity in POLICY_MINUTES.items():
        for severity, (response, resolution, update) in by_severity.items():
            SlaPolicy.objects.create(
                tier=tier,
                severity=severity,
                calendar=always if severity == Severity.S1 else legacy,
                response_minutes=response,
                resolution_minutes=resolution,
                update_minutes=update,
            )
    return legacy


@pytest.mark.django_db
def test_the_old_office_calendar_becomes_the_amsterdam_one(
    frozen: object, django_capture_on_commit_callbacks: CaptureCallbacks
) -> None:
    legacy = seed_like_an_earlier_demo()

    with django_capture_on_commit_callbacks() as callbacks:
        seed_reference_data()

    renamed = BusinessCalendar.objects.get(pk=legacy.pk)
    assert renamed.name == AMSTERDAM.name and renamed.revision != legacy.revision
    assert Holiday.objects.filter(calendar=renamed, date=date(2026, 4, 27)).exists()
    assert WorkingHours.objects.filter(calendar=renamed).count() == 5
    calendars = policy_calendars()
    assert calendars[(Tier.PREMIUM, Severity.S3)] == AMSTERDAM.name
    assert calendars[(Tier.STANDARD, Severity.S3)] == ROME.name
    assert calendars[(Tier.STANDARD, Severity.S1)] == ALWAYS
    assert len(callbacks) == 1, "the moved policies' open cases are re-synced"

    with django_capture_on_commit_callbacks() as again:
        seed_reference_data()
    assert policy_calendars() == calendars and again == []


@pytest.mark.django_db
def test_policies_left_on_the_old_calendar_move_when_the_new_ones_exist(frozen: object) -> None:
    seed_reference_data()
    SlaPolicy.objects.all().delete()
    legacy = seed_like_an_earlier_demo()

    seed_reference_data()

    assert BusinessCalendar.objects.filter(pk=legacy.pk, name=LEGACY_OFFICE).exists()
    assert not SlaPolicy.objects.filter(calendar=legacy).exists()
    assert policy_calendars()[(Tier.STRATEGIC, Severity.S2)] == AMSTERDAM.name


@pytest.mark.django_db
def test_every_office_hours_deadline_falls_in_working_hours(frozen: object) -> None:
    seed_reference_data()
    seed_cases(total=300, stdout=io.StringIO(), now=NOW)

    checked = moved = 0
    for clock in CaseClock.objects.select_related("policy__calendar"):
        assert clock.policy is not None
        if clock.policy.calendar.always_open:
            continue
        calendar = calendar_for(clock.policy.calendar)
        for deadline in (clock.due_at, clock.warn_at, clock.reescalate_at):
            if deadline is None:
                continue
            # Open then, or the closing time itself that ends the last business second.
            assert deadline in (
                bh.next_open(calendar, deadline),
                bh.next_open(calendar, deadline - SECOND) + SECOND,
            ), (clock.pk, deadline)
            checked += 1
        wall = clock.started_at + timedelta(seconds=clock.target_seconds + clock.paused_seconds)
        moved += clock.due_at != wall
    assert checked > 300
    assert moved > 100, "most office-hours deadlines are not where calendar time puts them"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("tier", "raised", "due"),
    [
        # Friday 17:30 in Amsterdam, 4 business hours: 30 minutes on Friday, the rest on Monday
        # (the first response of ESC-000238 fell due on the Saturday).
        (Tier.PREMIUM, "2026-11-20 17:30 Europe/Amsterdam", "2026-11-23 11:30 Europe/Amsterdam"),
        # Friday before King's Day (Monday 27 April): on to Tuesday.
        (Tier.PREMIUM, "2026-04-24 17:00 Europe/Amsterdam", "2026-04-28 11:00 Europe/Amsterdam"),
        # Monday 1 June 17:00 in Rome, 8 business hours; 2 June is Republic Day.
        (Tier.STANDARD, "2026-06-01 17:00 Europe/Rome", "2026-06-03 16:00 Europe/Rome"),
    ],
)
def test_a_first_response_falls_due_in_the_next_working_hours(
    tier: str, raised: str, due: str
) -> None:
    seed_reference_data(now=NOW)
    ref = Reference()
    customer = Customer.objects.filter(tier=tier).first()
    raised_at, due_at = local(raised), local(due)
    generator = Generator(ref, random.Random(1), int(raised_at.timestamp()) + 3600)

    draft = generator.draft(
        int(raised_at.timestamp()), True, customer=customer, severity=Severity.S3, status=Status.NEW
    )

    response = draft.clocks[0]
    assert response["kind"] == "response"
    assert response["due_at"] == int(due_at.timestamp())


def local(text: str) -> datetime:
    moment, zone = text.rsplit(" ", 1)
    return datetime.fromisoformat(moment).replace(tzinfo=ZoneInfo(zone))


# --- BusinessTime agrees with sla.clock ------------------------------------------------------

CALENDARS = {
    "amsterdam": bh.Calendar.weekdays(
        tz=AMSTERDAM.time_zone,
        start=AMSTERDAM.start,
        end=AMSTERDAM.end,
        holidays=public_holidays(AMSTERDAM, years=YEARS),
    ),
    "rome": bh.Calendar.weekdays(
        tz=ROME.time_zone,
        start=ROME.start,
        end=ROME.end,
        holidays=public_holidays(ROME, years=YEARS),
    ),
    "24x7": bh.Calendar.always_open("UTC"),
}
# Shared across examples, so the running totals grow (and rebase) in random order.
BUSINESS = {name: BusinessTime(calendar) for name, calendar in CALENDARS.items()}
SPAN_START = int(datetime(2024, 1, 1, tzinfo=UTC).timestamp())
moments = st.integers(min_value=SPAN_START, max_value=SPAN_START + 3 * 365 * 86400)
durations = st.one_of(
    st.sampled_from([0, 1, 60, 3600, 4 * 3600, 10 * 3600, 36000 * 5, 576000]),
    st.integers(min_value=0, max_value=40 * 86400),
)


def instant(seconds: int) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


@settings(max_examples=300, deadline=None)
@given(name=st.sampled_from(sorted(CALENDARS)), start=moments, seconds=durations)
def test_business_time_adds_like_sla_clock(name: str, start: int, seconds: int) -> None:
    calendar, business = CALENDARS[name], BUSINESS[name]

    due = business.add(start, seconds)

    assert instant(due) == bh.add_business_time(
        calendar, instant(start), timedelta(seconds=seconds)
    )


@settings(max_examples=300, deadline=None)
@given(name=st.sampled_from(sorted(CALENDARS)), start=moments, length=durations)
def test_business_time_measures_like_sla_clock(name: str, start: int, length: int) -> None:
    calendar, business = CALENDARS[name], BUSINESS[name]

    spent = business.between(start, start + length)

    expected = bh.business_time_between(calendar, instant(start), instant(start + length))
    assert spent == int(expected.total_seconds())
    assert business.between(start + length, start) == 0


@settings(max_examples=100, deadline=None)
@given(
    name=st.sampled_from(sorted(CALENDARS)),
    end=moments,
    seconds=st.integers(min_value=1, max_value=20 * 86400),
)
def test_business_time_finds_the_latest_start_before_a_moment(
    name: str, end: int, seconds: int
) -> None:
    business = BUSINESS[name]

    start = business.before(end, seconds)

    assert business.between(start, end) == seconds
    assert business.between(start + 1, end) < seconds
