"""Writing to a case's timeline: the one way every app records what happened to a case; and
showing a timeline to a viewer, who must not learn of cases they may not open through it."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.db.models import Choices
from django.utils import timezone
from django.utils.translation import gettext_lazy

from cases.models import Case, CaseEvent, EventKind
from cases.visibility import case_visible_to
from escalation.bulk import objects_insert
from escalation.roles import AnyUser
from escalation.text import label_in

# What a link event says instead of the reference of a case the viewer may not open.
HIDDEN_CASE = gettext_lazy("a case you cannot open")
# The keys of a link event's ``data`` that hold a case's id (the link's two ends).
LINK_ENDS = ("source", "target")


def stored_label(choice: Choices) -> str:
    """A choice's label as the timeline stores it in an event's text: in the site's language
    (``LANGUAGE_CODE``), whoever's request made the event, so that one case's timeline does not
    mix the languages of the people who worked it."""
    return label_in(choice, settings.LANGUAGE_CODE)


def event_record(
    *,
    case: Case,
    actor: User | None,
    kind: EventKind,
    from_value: str = "",
    to_value: str = "",
    reason: str = "",
    body: str = "",
    data: dict[str, Any] | None = None,
) -> CaseEvent:
    """Append one event. ``actor`` None means the system (SLA engine, scheduled tasks).

    Call it inside the transaction that makes the change, so the change and its record
    commit or roll back together.
    """
    event = event_build(
        case=case,
        actor=actor,
        kind=kind,
        from_value=from_value,
        to_value=to_value,
        reason=reason,
        body=body,
        data=data,
    )
    event.save(force_insert=True)
    return event


def event_build(
    *,
    case: Case,
    actor: User | None,
    kind: EventKind,
    from_value: str = "",
    to_value: str = "",
    reason: str = "",
    body: str = "",
    data: dict[str, Any] | None = None,
) -> CaseEvent:
    """The event ``event_record`` appends, not saved yet: for set-based services, which write
    the events of many cases with one ``events_save``."""
    return CaseEvent(
        case=case,
        actor=actor,
        kind=kind,
        from_value=str(from_value)[:200],
        to_value=str(to_value)[:200],
        reason=reason,
        body=body,
        data=data or {},
        created_at=timezone.now(),
    )


def events_save(events: Iterable[CaseEvent]) -> list[CaseEvent]:
    """Append built events (``event_build``) in their order, with one insert."""
    return objects_insert(list(events))


@dataclass(frozen=True)
class Piece:
    """Part of a link event's text; ``reference`` set: the text is that case's reference, a
    case the viewer may open (the page links it)."""

    text: str
    reference: str = ""


def _other_case_id(event: CaseEvent) -> int | None:
    """The case at the other end of a link event (linked or unlinked), from its data."""
    for key in LINK_ENDS:
        value = event.data.get(key)
        if isinstance(value, int) and value != event.case_id:
            return value
    return None


def _named(reference: str) -> re.Pattern[str]:
    # Not followed by a digit: ESC-100000 is not the start of ESC-1000000.
    return re.compile(re.escape(reference) + r"(?!\d)")


def _pieces(text: str, named: re.Pattern[str] | None, *, visible: bool) -> list[Piece]:
    """``text`` cut around the other case's first mention (linked, or ``HIDDEN_CASE``)."""
    found = named.search(text) if named is not None else None
    if named is None or found is None:
        return [Piece(text)] if text else []
    reference = found.group()
    middle = Piece(reference, reference) if visible else Piece(str(HIDDEN_CASE))
    after = named.sub(middle.text, text[found.end() :])
    pieces = (Piece(text[: found.start()]), middle, Piece(after))
    return [p for p in pieces if p.text]


def timeline_for_viewer(*, events: Iterable[CaseEvent], viewer: AnyUser) -> list[CaseEvent]:
    """The events as ``viewer`` may see them: a link event whose other case they may not open
    names it ``HIDDEN_CASE`` (no reference, no id in ``data``); for one they may open,
    ``from_pieces``/``to_pieces`` mark its reference, for the page to link it.

    One query for the whole timeline (the visible ones among the linked cases), none without
    link events. Only the instances in memory change: events are never saved again.
    """
    events = list(events)
    others = {e.pk: _other_case_id(e) for e in events if e.kind == EventKind.LINKED}
    ids = {pk for pk in others.values() if pk is not None}
    visible = (
        set(case_visible_to(viewer=viewer).filter(pk__in=ids).values_list("pk", flat=True))
        if ids
        else set()
    )
    for event in events:
        if event.pk not in others:
            continue
        other = others[event.pk]
        # No other case in the data (not written by the link services): the text as it is.
        named = _named(Case(pk=other).reference) if other is not None else None
        shown = other in visible
        event.from_pieces = _pieces(event.from_value, named, visible=shown)  # type: ignore[attr-defined]
        event.to_pieces = _pieces(event.to_value, named, visible=shown)  # type: ignore[attr-defined]
        if named is not None and not shown:
            event.from_value = named.sub(str(HIDDEN_CASE), event.from_value)
            event.to_value = named.sub(str(HIDDEN_CASE), event.to_value)
            event.data = {k: v for k, v in event.data.items() if v != other or k not in LINK_ENDS}
    return events
