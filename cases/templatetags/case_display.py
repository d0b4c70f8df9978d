"""Display helpers for the case templates: words for stored codes and moments, nothing more."""

from __future__ import annotations

from datetime import datetime

from django import template
from django.utils import timezone

from cases.models import EventKind, Severity, Status

register = template.Library()

STATUS_KINDS = {
    EventKind.ACKNOWLEDGED,
    EventKind.STATUS,
    EventKind.RESOLVED,
    EventKind.REOPENED,
    EventKind.CLOSED,
}
LABELS = {**dict(Status.choices), **dict(Severity.choices)}
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


@register.filter
def event_value(value: str, kind: str) -> str:
    """A timeline event's from/to value in words: status and severity codes get their labels."""
    if kind in STATUS_KINDS or kind in {EventKind.SEVERITY, EventKind.RAISED}:
        return str(LABELS.get(value, value))
    return value


@register.filter
def kind_label(kind: str) -> str:
    """A timeline event's kind in words; a kind this code does not know shows as stored.

    Not ``get_kind_display``, which builds a dict of every choice on each call: 1.9 ms of the
    200-event page's timeline (bench/RESULTS.md, session 4)."""
    try:
        return str(EventKind(kind).label)
    except ValueError:
        return kind


@register.filter
def iso(value: datetime | None) -> str:
    """A moment for a ``<time datetime>`` attribute: ISO 8601 in the current time zone, as
    ``|date:"c"`` gives it; that filter's per-call format machinery costs 2.9 ms on the
    200-event page's timeline (bench/RESULTS.md, session 4)."""
    return _local(value).isoformat() if value else ""


def _local(value: datetime) -> datetime:
    return timezone.localtime(value) if timezone.is_aware(value) else value


@register.filter
def stamp(value: datetime | None) -> str:
    """A moment as the case pages show it, "Mon 2 Mar 2026, 09:05" in the current time zone,
    as ``|date:"D j M Y, H:i"`` gives it (English names, like the rest of the interface).

    Kept over the date filter for a figure (bench/RESULTS.md, session 4): that filter looks up
    its format and the day's and month's translated names on every call, 24 us a moment
    against 4 us here, 7.4 ms of the 200-event page's timeline, a third of its 25 ms budget.
    Plain code over ``timezone.localtime``; tests hold it to the date filter across DST
    changes."""
    if not value:
        return ""
    local = _local(value)
    return (
        f"{WEEKDAYS[local.weekday()]} {local.day} {MONTHS[local.month - 1]} {local.year}, "
        f"{local.hour:02d}:{local.minute:02d}"
    )
