"""Display helpers for the case templates: words for stored codes, nothing more."""

from __future__ import annotations

from django import template

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


@register.filter
def event_value(value: str, kind: str) -> str:
    """A timeline event's from/to value in words: status and severity codes get their labels."""
    if kind in STATUS_KINDS or kind in {EventKind.SEVERITY, EventKind.RAISED}:
        return str(LABELS.get(value, value))
    return value
