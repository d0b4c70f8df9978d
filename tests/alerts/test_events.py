"""POST /api/events/: triggers, repeats, acknowledgements, resolutions and reopening."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from alerts.models import AlertKey
from cases.models import Case, CaseEvent, EventKind, Severity, Source, Status
from tests.alerts.conftest import acknowledge, resolve, trigger

pytestmark = pytest.mark.django_db

NOON = datetime(2026, 12, 2, 11, 2, tzinfo=UTC)  # 12:02 in Amsterdam


def test_a_trigger_raises_a_case_as_the_sources_account(monitoring, datadog, acme) -> None:
    [result] = monitoring.results(trigger(details={"host": "db1", "used": "99%"}))
    case = Case.objects.get()
    assert result == {
        "dedup_key": "disk-full/db1",
        "case": case.reference,
        "outcome": "raised",
        "errors": {},
    }
    assert (case.title, case.severity, case.customer, case.status) == (
        "Disk full on db1",
        Severity.S2,
        acme,
        Status.NEW,
    )
    assert case.raised_by == datadog.integration.user
    assert case.source == Source.API
    assert '"host": "db1"' in case.description
    assert "Raised by Datadog for the alert disk-full/db1." in case.description


def test_one_key_repeated_is_one_case_counted_with_one_note(monitoring) -> None:
    with time_machine.travel(NOON, tick=False):
        first = monitoring.results(trigger(), trigger())
        again = monitoring.results(*[trigger()] * 3)
    assert Case.objects.count() == 1
    reference = Case.objects.get().reference
    assert [r["outcome"] for r in first + again] == ["raised"] + ["appended"] * 4
    assert {r["case"] for r in first + again} == {reference}
    key = AlertKey.objects.get()
    assert (key.times_seen, key.first_seen_at, key.last_seen_at) == (5, NOON, NOON)
    # The raise is the record of the first trigger; the repeats wait for the note interval.
    assert not CaseEvent.objects.filter(kind=EventKind.NOTE).exists()


def test_repeats_are_noted_once_per_interval_saying_how_often(monitoring, settings) -> None:
    settings.ALERTS_NOTE_MINUTES = 10
    with time_machine.travel(NOON, tick=False):
        monitoring.results(trigger())
    for minutes in (1, 5, 11, 12, 13):
        with time_machine.travel(NOON + timedelta(minutes=minutes), tick=False):
            monitoring.results(trigger(summary="Disk full on db1 (still)"))
    notes = list(CaseEvent.objects.filter(kind=EventKind.NOTE))
    assert [n.body.splitlines()[0] for n in notes] == [
        "Seen again: 4 times since 12:02 (alert disk-full/db1)."
    ]
    assert "Disk full on db1 (still)" in notes[0].body
    assert AlertKey.objects.get().times_seen == 6


def test_many_keys_in_one_batch_raise_one_case_each(monitoring) -> None:
    results = monitoring.results(trigger("a"), trigger("b"), trigger("a"), trigger("c"))
    assert [r["outcome"] for r in results] == ["raised", "raised", "appended", "raised"]
    assert results[0]["case"] == results[2]["case"] != results[1]["case"]
    assert Case.objects.count() == 3


def test_acknowledge_and_resolve_go_through_the_case_services(monitoring) -> None:
    monitoring.results(trigger())
    [acked] = monitoring.results(acknowledge())
    case = Case.objects.get()
    assert (acked["outcome"], case.status, case.owner) == (
        "acknowledged",
        Status.ACKNOWLEDGED,
        None,
    )
    assert case.first_response_at is not None
    [again] = monitoring.results(acknowledge())
    assert again["outcome"] == "acknowledged"
    [resolved] = monitoring.results(resolve(summary="Disk cleaned up"))
    case.refresh_from_db()
    assert (resolved["outcome"], case.status) == ("resolved", Status.RESOLVED)
    assert str(case.root_cause) == "Unknown / Cleared by monitoring"
    assert case.resolution_summary.startswith("Cleared by Datadog (alert disk-full/db1).")
    kinds = list(case.events.values_list("kind", flat=True))
    # (and the review the resolution opens)
    assert kinds[:3] == [EventKind.RAISED, EventKind.ACKNOWLEDGED, EventKind.RESOLVED]


def test_resolving_a_new_case_acknowledges_it_first(monitoring) -> None:
    results = monitoring.results(trigger(), resolve())
    assert [r["outcome"] for r in results] == ["raised", "resolved"]
    case = Case.objects.get()
    assert case.status == Status.RESOLVED
    assert list(case.events.values_list("kind", flat=True))[:3] == [
        EventKind.RAISED,
        EventKind.ACKNOWLEDGED,
        EventKind.RESOLVED,
    ]


def test_a_trigger_within_the_window_reopens_the_resolved_case(monitoring, settings) -> None:
    settings.ALERTS_REOPEN_HOURS = 24
    with time_machine.travel(NOON, tick=False):
        monitoring.results(trigger(), resolve())
    with time_machine.travel(NOON + timedelta(hours=23), tick=False):
        [result] = monitoring.results(trigger())
    case = Case.objects.get()
    assert (result["outcome"], result["case"]) == ("reopened", case.reference)
    assert (case.status, case.reopen_count) == (Status.IN_PROGRESS, 1)
    reopened = case.events.get(kind=EventKind.REOPENED)
    assert reopened.actor is None
    assert reopened.reason == "Datadog triggered the alert disk-full/db1 again."


def test_a_trigger_after_the_window_raises_a_new_case_and_repoints_the_key(
    monitoring, settings
) -> None:
    settings.ALERTS_REOPEN_HOURS = 24
    with time_machine.travel(NOON, tick=False):
        [first, _] = monitoring.results(trigger(), resolve())
    with time_machine.travel(NOON + timedelta(hours=25), tick=False):
        [result] = monitoring.results(trigger())
    assert result["outcome"] == "raised"
    assert result["case"] != first["case"]
    old, new = Case.objects.order_by("pk")
    assert (old.status, new.status) == (Status.RESOLVED, Status.NEW)
    key = AlertKey.objects.get()
    assert (key.case, key.times_seen) == (new, 1)


def test_a_bad_event_refuses_only_itself(monitoring) -> None:
    results = monitoring.results(
        trigger("good"),
        trigger("bad-severity", severity="S9"),
        trigger("nobody", customer="No Such Corp"),
        {"action": "trigger", "summary": "No key", "severity": "S2"},
        "not an object",
        acknowledge("never-seen"),
        trigger("also-good", customer="Acme Corp"),
    )
    assert [r["outcome"] for r in results] == [
        "raised",
        "refused",
        "refused",
        "refused",
        "refused",
        "refused",
        "raised",
    ]
    assert results[1]["errors"] == {"severity": ['"S9" is not a valid choice.']}
    assert results[2]["errors"] == {
        "customer": ["No customer has the id or the exact name 'No Such Corp'."]
    }
    assert results[3]["errors"] == {"dedup_key": ["This field is required."]}
    assert list(results[4]["errors"]) == ["non_field_errors"]
    assert results[5]["errors"] == {"dedup_key": ["No case was raised for this key."]}
    assert results[5]["case"] is None
    assert Case.objects.count() == 2


def test_the_customer_is_found_by_id_or_exact_name(monitoring, acme) -> None:
    other = type(acme).objects.create(name="Globex")
    results = monitoring.results(
        trigger("by-id", customer=other.pk), trigger("by-name", customer="Globex")
    )
    assert [r["outcome"] for r in results] == ["raised", "raised"]
    assert set(Case.objects.values_list("customer", flat=True)) == {other.pk}


def test_a_bad_envelope_is_a_400_with_field_messages(monitoring) -> None:
    too_many = monitoring.post(*[trigger(f"k{i}") for i in range(1001)])
    assert too_many.status_code == 400
    assert too_many.json()["errors"] == {
        "events": ["Ensure this field has no more than 1000 elements."]
    }
    empty = monitoring.client.post("/api/events/", {"nothing": []}, format="json")
    assert empty.status_code == 400
    assert empty.json()["errors"] == {"events": ["This field is required."]}
    assert not Case.objects.exists()
