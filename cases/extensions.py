"""What the case pages and the queue show from the SLA app (the read side).

``cases`` sits below ``sla`` and imports nothing from it, yet the queue filters by SLA state
(``?sla=`` on the page and in the API), its rows show clock badges and the case page the clock
panel. The SLA app provides those reads once, in its ``AppConfig.ready()``, with
``clock_reads_provide``; the case pages ask ``clock_reads()``. Without a provider the pages show
``next_due_at`` only and the queue offers no SLA states.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from django.db.models import Expression, Q

from cases.models import Case, CaseEvent


class ClockLedger(Protocol):
    """One clock explained for the case page's panel; ``state`` is its badge."""

    @property
    def state(self) -> Any: ...


@dataclass(frozen=True)
class ClockReads:
    """The SLA app's reads for the case pages, each bounded in queries whatever the rows.

    - ``badges_template``: the partial that shows a list of clock states as badges.
    - ``states_for(cases, now)``: every clock state of ``cases`` by case id (one query).
    - ``ledgers_for(case, now, events)``: the case's clocks explained, from the timeline the
      page already holds.
    - ``state_choices``: the queue's SLA-state filter's choices, the states the SLA app keeps
      the case's marks for (``Case.sla_breach_at`` and the rest; the filter's conditions are
      ``cases.models.case.sla_state_condition``).
    - ``clock_state_choices`` and ``clock_state_expression(kind, now)``: the same for one
      clock of the case (``kind`` one of CLOCK_KINDS), the queue's ``?sla_<kind>=`` filters.
    """

    badges_template: str
    states_for: Callable[[Sequence[Case], datetime], Mapping[int, list[Any]]]
    ledgers_for: Callable[[Case, datetime, Sequence[CaseEvent]], Sequence[ClockLedger]]
    state_choices: Sequence[tuple[str, str]]
    clock_state_choices: Sequence[tuple[str, str]] = ()
    clock_state_expression: Callable[[str, datetime], Expression] | None = None


# The clocks the queue filters by one at a time (``?sla_response=``, ``?sla_resolution=``,
# ``?sla_update=``): part of the API's vocabulary, so named here; the SLA app's clock kinds
# carry the same values (the SLA app checks it when it provides its reads).
CLOCK_KINDS: tuple[str, ...] = ("response", "resolution", "update")


_provided: list[ClockReads] = []


def clock_reads_provide(reads: ClockReads) -> None:
    """Install the SLA app's reads (once, from its ``AppConfig.ready()``)."""
    if reads.clock_state_expression is not None and not reads.clock_state_choices:
        raise ValueError("A clock-state expression needs the choices it yields.")
    _provided[:] = [reads]


def clock_reads() -> ClockReads | None:
    """The installed reads, or None while no app provides them."""
    return _provided[0] if _provided else None


class StateChoices:
    """The SLA states of a queue filter, read each time a form or the API schema lists them
    (so after the apps are ready, whenever ``cases.filters`` was imported): the case's state,
    or with ``kind`` the state of that one clock."""

    def __init__(self, kind: str | None = None) -> None:
        self.kind = kind

    def __iter__(self) -> Iterator[tuple[str, str]]:
        reads = clock_reads()
        if reads is None:
            return iter(())
        return iter(reads.state_choices if self.kind is None else reads.clock_state_choices)


# --- Breach forecasts (provided by the forecasts app) ---------------------------------------


@dataclass(frozen=True)
class BreachRisk:
    """How likely one running clock is to breach, with its top reasons in words."""

    kind: str
    kind_label: str
    probability: float
    reasons: Sequence[str]
    likely: bool

    @property
    def percent(self) -> int:
        return round(100 * self.probability)


@dataclass(frozen=True)
class RiskReads:
    """The forecasts app's reads for the case pages, the queue and the clocks API.

    - ``risks_for(cases)``: the stored risk of each running clock, by case id then clock kind
      (one query; a clock without a forecast is absent).
    - ``likely_condition()``: a condition on ``Case``: a running clock at or above the risk
      threshold (the queue's "likely to breach" filter).
    - ``threshold_percent``: that threshold (FORECAST_RISK_PERCENT).
    """

    risks_for: Callable[[Sequence[Case]], Mapping[int, Mapping[str, BreachRisk]]]
    likely_condition: Callable[[], Q]
    threshold_percent: int


_risks_provided: list[RiskReads] = []


def risk_reads_provide(reads: RiskReads) -> None:
    """Install the forecasts app's reads (once, from its ``AppConfig.ready()``)."""
    _risks_provided[:] = [reads]


def risk_reads() -> RiskReads | None:
    """The installed reads, or None while no app provides forecasts."""
    return _risks_provided[0] if _risks_provided else None


class _CaseRisks:
    """One case's forecasts, read (for all the cases attached together, in one query) the
    first time a page shows any of them: a page that never shows them pays nothing."""

    def __init__(self, case: Case, batch: _RiskBatch) -> None:
        self.case, self.batch = case, batch

    def _list(self) -> list[BreachRisk]:
        by_kind = self.batch.load().get(self.case.pk, {})
        return [by_kind[k] for k in CLOCK_KINDS if k in by_kind]

    def __iter__(self) -> Iterator[BreachRisk]:
        return iter(self._list())

    def __len__(self) -> int:
        return len(self._list())

    def __bool__(self) -> bool:
        return bool(self._list())


class _RiskBatch:
    def __init__(self, cases: list[Case], reads: RiskReads | None) -> None:
        self.cases, self.reads = cases, reads
        self.loaded: Mapping[int, Mapping[str, BreachRisk]] | None = None

    def load(self) -> Mapping[int, Mapping[str, BreachRisk]]:
        if self.loaded is None:
            reads = self.reads
            self.loaded = reads.risks_for(self.cases) if reads is not None and self.cases else {}
        return self.loaded


def attach_breach_risks(cases: Iterable[Case]) -> None:
    """Set ``case.breach_risks`` (its running clocks' forecasts, in clock order) on each case:
    one query for all of them, made when a page first shows one; empty without forecasts."""
    cases = list(cases)
    batch = _RiskBatch(cases, risk_reads())
    for case in cases:
        case.breach_risks = _CaseRisks(case, batch)  # type: ignore[attr-defined]
