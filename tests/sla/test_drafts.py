"""Drafts of SLA policies and calendars: made, edited, published once, discarded; who may."""

from __future__ import annotations

from datetime import UTC, datetime, time
from typing import Any

import pytest
from django.urls import reverse

from escalation.errors import DomainError
from sla import tasks
from sla.drafts import draft_calendar_edit, draft_discard, draft_publish, draft_start
from sla.models import BusinessCalendar, DraftState, Holiday, SlaDraft, SlaPolicy, WorkingHours
from tests.conftest import client_for
from tests.sla.factories import SlaPolicyFactory, office_calendar

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 9, 10, 0, tzinfo=UTC)


@pytest.fixture
def policy() -> SlaPolicy:
    return SlaPolicyFactory(calendar=office_calendar())


@pytest.fixture
def resyncs(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """The background re-alignments asked for (the task's arguments), instead of a broker."""
    asked: list[dict[str, Any]] = []
    monkeypatch.setattr(tasks.clocks_resync_for, "delay", lambda **kwargs: asked.append(kwargs))
    return asked


def policy_post(client: Any, draft: SlaDraft, **overrides: Any) -> Any:
    data = {
        "calendar": draft.policy_calendar_id,
        "response_minutes": 30,
        "resolution_minutes": 240,
        "update_minutes": "",
        "warn_percent": 80,
        **overrides,
    }
    return client.post(reverse("sla:draft_detail", kwargs={"pk": draft.pk}), data)


def test_a_manager_starts_a_draft_of_a_policy_as_a_copy_of_it(bob, policy) -> None:
    response = client_for(bob).post(reverse("sla:draft_list"), {"source": f"policy:{policy.pk}"})
    draft = SlaDraft.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("sla:draft_detail", kwargs={"pk": draft.pk})
    assert (draft.response_minutes, draft.resolution_minutes, draft.update_minutes) == (
        60,
        480,
        120,
    )
    assert draft.policy_calendar_id == policy.calendar_id
    assert draft.base["resolution_minutes"] == 480


def test_operators_and_executives_cannot_start_or_edit_a_draft(alice, erin, bob, policy) -> None:
    for user in (alice, erin):
        response = client_for(user).post(
            reverse("sla:draft_list"), {"source": f"policy:{policy.pk}"}
        )
        assert response.status_code == 403
    assert not SlaDraft.objects.exists()
    draft = draft_start(by=bob, now=NOW, policy=policy)
    assert policy_post(client_for(erin), draft).status_code == 403
    assert policy_post(client_for(alice), draft).status_code == 403
    draft.refresh_from_db()
    assert draft.resolution_minutes == 480


def test_an_executive_reads_a_draft_and_an_operator_is_refused(alice, erin, bob, policy) -> None:
    draft = draft_start(by=bob, now=NOW, policy=policy)
    url = reverse("sla:draft_detail", kwargs={"pk": draft.pk})
    page = client_for(erin).get(url)
    assert page.status_code == 200
    assert "Publish the draft" not in page.content.decode()
    assert client_for(alice).get(url).status_code == 403


def test_editing_a_policy_draft_changes_the_draft_and_not_the_policy(bob, policy) -> None:
    draft = draft_start(by=bob, now=NOW, policy=policy)
    response = policy_post(client_for(bob), draft)
    assert response.status_code == 302
    draft.refresh_from_db()
    policy.refresh_from_db()
    assert (draft.response_minutes, draft.resolution_minutes, draft.update_minutes) == (
        30,
        240,
        None,
    )
    assert (policy.response_minutes, policy.resolution_minutes) == (60, 480)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("response_minutes", "0", "greater than or equal to 1"),
        ("warn_percent", "100", "less than or equal to 99"),
        ("resolution_minutes", "10", "Resolution cannot come before the first response."),
        ("response_minutes", "soon", "Enter a whole number."),
    ],
)
def test_a_bad_policy_draft_is_refused_with_the_field_named(
    bob, policy, field, value, message
) -> None:
    draft = draft_start(by=bob, now=NOW, policy=policy)
    response = policy_post(client_for(bob), draft, **{field: value})
    assert response.status_code == 400
    assert message in response.context["form"].errors[field][0]
    draft.refresh_from_db()
    assert draft.response_minutes == 60


def test_a_calendar_draft_reads_hours_and_holidays_a_line_each(bob) -> None:
    calendar = office_calendar()
    draft = draft_start(by=bob, now=NOW, calendar=calendar)
    assert draft.hours[0] == [0, "09:00", "17:00"]
    response = client_for(bob).post(
        reverse("sla:draft_detail", kwargs={"pk": draft.pk}),
        {
            "time_zone": "Europe/Amsterdam",
            "hours": "Mon 08:00-12:00, 13:00-24:00\nTue 08:00-18:00",
            "holidays": "2026-12-25 Christmas Day",
        },
    )
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.hours == [[0, "08:00", "12:00"], [0, "13:00", None], [1, "08:00", "18:00"]]
    assert draft.holidays == [["2026-12-25", "Christmas Day"]]


@pytest.mark.parametrize(
    ("hours", "holidays", "field", "message"),
    [
        ("Someday 09:00-17:00", "", "hours", "start with a weekday"),
        ("Mon 9-5", "", "hours", "is not like 09:00-17:00"),
        ("Mon 09:00-12:00, 11:00-17:00", "", "hours", "do not fit together"),
        ("Mon 17:00-09:00", "", "hours", "do not fit together"),
        ("", "", "hours", "needs working hours"),
        ("Mon 09:00-17:00", "Christmas", "holidays", "start with a date"),
        ("Mon 09:00-17:00", "2026-12-25\n2026-12-25 again", "holidays", "listed twice"),
    ],
)
def test_calendar_hours_that_do_not_read_are_refused_on_their_field(
    bob, hours, holidays, field, message
) -> None:
    draft = draft_start(by=bob, now=NOW, calendar=office_calendar())
    response = client_for(bob).post(
        reverse("sla:draft_detail", kwargs={"pk": draft.pk}),
        {"time_zone": "Europe/Amsterdam", "hours": hours, "holidays": holidays},
    )
    assert response.status_code == 400
    assert message in " ".join(response.context["form"].errors[field])


def test_an_unknown_time_zone_is_refused(bob) -> None:
    draft = draft_start(by=bob, now=NOW, calendar=office_calendar())
    response = client_for(bob).post(
        reverse("sla:draft_detail", kwargs={"pk": draft.pk}),
        {"time_zone": "Mars/Olympus", "hours": "Mon 09:00-17:00", "holidays": ""},
    )
    assert response.status_code == 400
    assert "not a known time zone" in response.context["form"].errors["time_zone"][0]


def test_publishing_a_policy_draft_writes_the_policy_and_realigns_its_cases_after_commit(
    bob, policy, resyncs, django_capture_on_commit_callbacks
) -> None:
    draft = draft_start(by=bob, now=NOW, policy=policy)
    policy_post(client_for(bob), draft)
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(bob).post(reverse("sla:draft_publish", kwargs={"pk": draft.pk}))
    assert response.status_code == 302
    policy.refresh_from_db()
    draft.refresh_from_db()
    assert (policy.response_minutes, policy.resolution_minutes, policy.update_minutes) == (
        30,
        240,
        None,
    )
    assert draft.state == DraftState.PUBLISHED and draft.decided_by == bob
    assert draft.changes["resolution_minutes"] == {"before": 480, "after": 240}
    assert "calendar_id" not in draft.changes
    assert resyncs == [
        {"policies": [[policy.tier, policy.severity]], "customer_ids": [], "calendar_ids": []}
    ]


def test_a_draft_is_published_once(bob, policy, resyncs) -> None:
    draft = draft_start(by=bob, now=NOW, policy=policy)
    draft_publish(draft_id=draft.pk, by=bob, now=NOW)
    with pytest.raises(DomainError, match="published already"):
        draft_publish(draft_id=draft.pk, by=bob, now=NOW)
    with pytest.raises(DomainError, match="published already"):
        draft_discard(draft_id=draft.pk, by=bob, now=NOW)


def test_a_draft_whose_live_policy_changed_meanwhile_is_not_published(bob, policy, resyncs) -> None:
    draft = draft_start(by=bob, now=NOW, policy=policy)
    SlaPolicy.objects.filter(pk=policy.pk).update(response_minutes=45)
    response = client_for(bob).post(
        reverse("sla:draft_publish", kwargs={"pk": draft.pk}), follow=True
    )
    assert "changed since this draft was made (response minutes)" in response.content.decode()
    policy.refresh_from_db()
    draft.refresh_from_db()
    assert policy.response_minutes == 45 and draft.state == DraftState.OPEN


def test_publishing_a_calendar_draft_replaces_hours_and_holidays_and_renews_the_revision(
    bob, resyncs, django_capture_on_commit_callbacks
) -> None:
    calendar = office_calendar()
    revision = calendar.revision
    draft = draft_start(by=bob, now=NOW, calendar=calendar)
    draft_calendar_edit(
        draft_id=draft.pk,
        by=bob,
        now=NOW,
        time_zone="Europe/Amsterdam",
        always_open=False,
        hours=[[day, "08:00", "18:00"] for day in range(5)],
        holidays=[["2026-12-25", "Christmas Day"]],
    )
    with django_capture_on_commit_callbacks(execute=True):
        draft_publish(draft_id=draft.pk, by=bob, now=NOW)
    calendar = BusinessCalendar.objects.get(pk=calendar.pk)
    assert calendar.revision != revision
    assert set(WorkingHours.objects.filter(calendar=calendar).values_list("start", "end")) == {
        (time(8), time(18))
    }
    assert list(Holiday.objects.filter(calendar=calendar).values_list("name", flat=True)) == [
        "Christmas Day"
    ]
    assert resyncs == [{"policies": [], "customer_ids": [], "calendar_ids": [calendar.pk]}]


def test_discarding_a_draft_changes_nothing_live(bob, policy, resyncs) -> None:
    draft = draft_start(by=bob, now=NOW, policy=policy)
    policy_post(client_for(bob), draft)
    response = client_for(bob).post(reverse("sla:draft_discard", kwargs={"pk": draft.pk}))
    assert response.status_code == 302
    policy.refresh_from_db()
    assert policy.resolution_minutes == 480
    assert SlaDraft.objects.get().state == DraftState.DISCARDED
    assert resyncs == []


def test_only_managers_publish_or_discard(alice, erin, bob, policy, resyncs) -> None:
    draft = draft_start(by=bob, now=NOW, policy=policy)
    for user in (alice, erin):
        for name in ("sla:draft_publish", "sla:draft_discard"):
            assert client_for(user).post(reverse(name, kwargs={"pk": draft.pk})).status_code == 403
    draft.refresh_from_db()
    assert draft.state == DraftState.OPEN
