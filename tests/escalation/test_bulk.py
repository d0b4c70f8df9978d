"""Writing many rows at once (``escalation.bulk``): the set-based services' inserts and updates
hold exactly what the ORM would have written, on the fast path (PostgreSQL) and the portable one.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from cases.models import CaseEvent, EventKind, Status
from escalation import bulk
from sla.models import ClockKind, SlaBreach
from tests.cases.factories import case_in
from tests.portable import PATHS, PORTABLE, take_portable_path

pytestmark = pytest.mark.django_db
NOON = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


@pytest.fixture(params=PATHS)
def path(request, monkeypatch) -> str:  # type: ignore[no-untyped-def]
    if request.param == PORTABLE:
        take_portable_path(monkeypatch, bulk)
    return str(request.param)


def test_inserted_events_read_back_as_written_and_get_their_keys(path: str, alice) -> None:
    case = case_in(Status.NEW)
    events = [
        CaseEvent(
            case=case,
            actor=alice if n else None,
            kind=EventKind.ESCALATED,
            to_value=f"step {n}",
            reason="Rule: Reassign to the next level.",
            data={"rule": "breach_to_next_level", "step": n, "to": [1, None], "name": "Zoë"},
            created_at=NOON,
        )
        for n in range(3)
    ]
    saved = bulk.objects_insert(events)
    assert saved == events and all(e.pk is not None for e in events)
    assert not any(e._state.adding for e in events)
    stored = list(CaseEvent.objects.filter(case=case).order_by("pk"))
    assert [e.pk for e in stored] == [e.pk for e in events]
    assert [(e.actor_id, e.kind, e.to_value, e.data, e.created_at, e.body) for e in stored] == [
        (alice.pk if n else None, EventKind.ESCALATED, f"step {n}", events[n].data, NOON, "")
        for n in range(3)
    ]


def test_a_conflicting_row_is_left_out_and_the_first_stands(path: str) -> None:
    case = case_in(Status.NEW)

    def breach(at: datetime) -> SlaBreach:
        return SlaBreach(
            case=case, clock_kind=ClockKind.RESPONSE, cycle=1, breached_at=at, recorded_at=at
        )

    bulk.objects_insert([breach(NOON)], ignore_conflicts=True)
    bulk.objects_insert([breach(NOON.replace(hour=13))], ignore_conflicts=True)
    [kept] = SlaBreach.objects.filter(case=case)
    assert kept.breached_at == NOON


def test_nothing_to_insert_writes_nothing(path: str, django_assert_num_queries) -> None:
    with django_assert_num_queries(0):
        assert bulk.objects_insert([]) == []


def test_updated_rows_hold_their_new_values_however_many_value_sets(path: str) -> None:
    cases = [case_in(Status.NEW) for _ in range(bulk.FEW_VALUE_SETS + 3)]
    for n, case in enumerate(cases):
        case.title = f"Title {n}"
    bulk.objects_update(cases[:2], ["title"])  # few sets: an UPDATE per set
    bulk.objects_update(cases[2:], ["title"])  # more: one statement for all
    stored = dict(
        type(cases[0]).objects.filter(pk__in=[c.pk for c in cases]).values_list("pk", "title")
    )
    assert stored == {c.pk: c.title for c in cases}
