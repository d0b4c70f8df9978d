"""The case templates' display filters show moments exactly as Django's date filter would."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.template import Context, Template
from django.utils import timezone

from cases.models import EventKind
from cases.templatetags.case_display import iso, kind_label, stamp


def date_filter(moment: datetime, fmt: str) -> str:
    """What a template shows with Django's own date filter (which converts to local time)."""
    return Template("{{ moment|date:fmt }}").render(Context({"moment": moment, "fmt": fmt}))


MOMENTS = [
    datetime(2026, 3, 2, 8, 5, tzinfo=UTC),  # a Monday, winter time
    datetime(2026, 3, 29, 0, 59, 59, 123456, tzinfo=UTC),  # one second before summer time
    datetime(2026, 3, 29, 1, 0, tzinfo=UTC),  # summer time starts (Europe/Amsterdam)
    datetime(2026, 10, 25, 0, 30, tzinfo=UTC),  # the hour that happens twice, first time
    datetime(2026, 10, 25, 1, 30, tzinfo=UTC),  # ... and the second time
    datetime(2026, 12, 31, 23, 59, tzinfo=UTC),  # New Year's Day locally
]


@pytest.mark.parametrize("moment", MOMENTS)
@pytest.mark.parametrize("zone", ["Europe/Amsterdam", "America/New_York", "UTC"])
def test_stamp_and_iso_read_as_the_date_filter_in_the_current_time_zone(moment, zone) -> None:
    with timezone.override(zone):
        assert stamp(moment) == date_filter(moment, "D j M Y, H:i")
        assert iso(moment) == date_filter(moment, "c")
        shown = Template("{% load case_display %}{{ m|stamp }} {{ m|iso }}").render(
            Context({"m": moment})
        )
        assert shown == f"{date_filter(moment, 'D j M Y, H:i')} {date_filter(moment, 'c')}"


def test_no_moment_shows_nothing() -> None:
    assert stamp(None) == "" and iso(None) == ""


def test_event_kinds_read_in_words() -> None:
    assert kind_label(EventKind.RAISED) == EventKind.RAISED.label
    assert kind_label("something-new") == "something-new"
