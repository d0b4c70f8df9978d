"""What happened to a case, announced to the apps built on ``cases`` (the write side).

``cases`` sits below ``sla`` and ``reviews`` and imports neither, yet both must react to its
writes: the SLA clocks follow every change of a case (and of a customer's tier), the new owner
of a case is told, a resolved case gets its review. Each case service announces what it did
with ``announce``, after its own writes and inside its transaction; an app that cares
subscribes a handler for an event type in its ``AppConfig.ready()``.

- Handlers run synchronously, in the order they subscribed, in the caller's transaction: what
  they write commits or rolls back with the case's change.
- An exception from a handler propagates to the service, whose ``transaction.atomic()`` block
  rolls back the case's change with everything the handlers wrote: nothing half-applied, and
  no later handler runs.
- Mail and tasks go out after commit (``transaction.on_commit``), as in any service.

Why a small typed registry and not a ``django.dispatch.Signal``: a signal's receivers take
``sender`` and ``**kwargs``, so neither side's types are checked, and its weak references and
``dispatch_uid`` solve problems a handful of handlers registered once at start-up do not have.
Here each event is a frozen dataclass, and ``subscribe`` ties a handler's parameter type to its
event type, so mypy checks every subscriber against what the service announces.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from django.contrib.auth.models import User

from cases.models import Case, Customer
from cases.models import CaseEvent as TimelineEntry  # the timeline's row, not CaseEvent below


@dataclass(frozen=True)
class Event:
    """Something that happened in ``cases``; handlers subscribe to one exact subclass."""


@dataclass(frozen=True)
class CaseEvent(Event):
    """Something a case service did. ``case`` is the service's own locked, saved instance."""

    case: Case
    at: datetime


@dataclass(frozen=True)
class CaseRaised(CaseEvent):
    """A case was raised in this transaction (it has no SLA clocks yet)."""

    by: User


@dataclass(frozen=True)
class CaseChanged(CaseEvent):
    """A case service changed the case (status, severity, responses, assignment, details, ...):
    whatever follows the case's state, such as its SLA clocks, re-aligns now. ``fields``: the
    only fields of the case the change touched, when the service knows them (a reassignment:
    owner, team, level), so what does not follow them may skip it; None: anything."""

    fields: frozenset[str] | None = None


@dataclass(frozen=True)
class CaseAssigned(CaseEvent):
    """The case has a new owner. ``by`` None is the SLA engine; ``escalated`` says the SLA
    engine moved it because a target was breached."""

    by: User | None
    owner: User
    reason: str
    escalated: bool


@dataclass(frozen=True)
class CaseResolved(CaseEvent):
    """The case was resolved (again, after a reopen) by ``by`` (None: the system)."""

    by: User | None


@dataclass(frozen=True)
class CaseMentioned(CaseEvent):
    """``by``'s internal note mentioned people who may see the case (``by`` themself never
    among them); each is to be told once."""

    by: User | None
    note: TimelineEntry
    mentioned: tuple[User, ...]


@dataclass(frozen=True)
class CustomerReplied(CaseEvent):
    """The customer wrote to the case (by email or on its status page): ``event`` is the
    customer message on the timeline, ``at`` when the customer wrote. A case that waited on
    the customer is in progress again (``CaseChanged`` was announced before this)."""

    event: TimelineEntry


@dataclass(frozen=True)
class CustomerUpdatePosted(CaseEvent):
    """``by`` posted a customer-facing update (``update``, the timeline's UPDATE entry): it is
    to reach the customer's contacts."""

    by: User | None
    update: TimelineEntry


@dataclass(frozen=True)
class CustomerTierChanged(Event):
    """A customer moved to another tier: its open cases are owed other SLA targets."""

    customer: Customer


E = TypeVar("E", bound=Event)
Handler = Callable[[E], None]
ManyHandler = Callable[[Sequence[E]], None]


@dataclass(frozen=True)
class _Registered:
    handler: Callable[[Any], None]
    many: bool  # takes a sequence of events (``subscribe_many``)


_handlers: defaultdict[type[Event], list[_Registered]] = defaultdict(list)


def subscribe(event_type: type[E], handler: Handler[E]) -> Callable[[], None]:
    """Call ``handler`` with every ``event_type`` event announced from now on, after the
    handlers subscribed before it. Returns the function that unsubscribes it again."""
    return _register(event_type, _Registered(handler, many=False))


def subscribe_many(event_type: type[E], handler: ManyHandler[E]) -> Callable[[], None]:
    """Like ``subscribe``, for a handler that takes the events of one ``announce_many`` call
    at once (a one-event list for ``announce``), so it can do its work set-based."""
    return _register(event_type, _Registered(handler, many=True))


def _register(event_type: type[Event], registered: _Registered) -> Callable[[], None]:
    _handlers[event_type].append(registered)

    def unsubscribe() -> None:
        _handlers[event_type].remove(registered)

    return unsubscribe


def announce(event: Event) -> None:
    """Run the handlers of exactly ``event``'s type, in order; the first exception
    propagates."""
    announce_many(type(event), [event])


def announce_many(event_type: type[E], events: Sequence[E]) -> None:
    """Announce many events of one type, from a set-based service: each handler in turn,
    a ``subscribe_many`` one with all of them, any other with each of them in order. The
    first exception propagates."""
    if not events:
        return
    for registered in list(_handlers[event_type]):
        if registered.many:
            registered.handler(events)
        else:
            for event in events:
                registered.handler(event)
