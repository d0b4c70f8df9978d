"""Small helpers shared by the case pages: SLA display hooks and request details."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from urllib.parse import parse_qs, urlsplit

from django.http import HttpRequest, QueryDict
from django.utils.http import url_has_allowed_host_and_scheme

from cases.extensions import attach_breach_risks, clock_reads
from cases.filters import OPEN, Sort
from cases.models import Case, CaseEvent

# A submitted filter form carries this marker, so "no status ticked" means every status;
# without it (a fresh visit) the lists show open cases.
FILTERED = "filtered"


def queue_filters(query: QueryDict, *, default_sort: str = Sort.DUE) -> QueryDict:
    """The list's GET parameters with its defaults: open cases, sorted by ``default_sort``."""
    data = query.copy()
    if FILTERED not in data and "status" not in data:
        data.setlist("status", [OPEN])
    if not data.get("sort"):
        data["sort"] = default_sort
    return data


def sla_badges_template() -> str | None:
    """The partial that shows a case's clock states as badges (None: no app provides clocks,
    and the pages show ``next_due_at`` only)."""
    reads = clock_reads()
    return reads.badges_template if reads is not None else None


def attach_clock_states(cases: Iterable[Case], *, now: datetime) -> None:
    """Set ``case.sla_clocks`` (the SLA app's clock states) and ``case.breach_risks`` (the
    forecasts of its running clocks) on each case, in one query each for all of them."""
    cases = list(cases)
    reads = clock_reads()
    states = reads.states_for(cases, now) if reads is not None and cases else {}
    for case in cases:
        case.sla_clocks = states.get(case.pk, [])  # type: ignore[attr-defined]
    attach_breach_risks(cases)


def attach_clock_ledgers(case: Case, *, now: datetime, events: Sequence[CaseEvent]) -> None:
    """Set ``case.sla_ledgers`` (each clock explained, for the case page's clock panel) and
    ``case.sla_clocks`` (their states, for the badges) from one read of the clocks; the
    timeline the page already holds names the events that moved them."""
    reads = clock_reads()
    ledgers = list(reads.ledgers_for(case, now, events)) if reads is not None else []
    case.sla_ledgers = ledgers  # type: ignore[attr-defined]
    case.sla_clocks = [ledger.state for ledger in ledgers]  # type: ignore[attr-defined]
    attach_breach_risks([case])


def timeline_order(request: HttpRequest) -> str:
    """``newest`` or ``oldest``: from the query string, or for an HTMX action from the URL the
    page shows (the order toggle pushes it there)."""
    order = request.GET.get("order")
    if order is None and request.htmx and request.htmx.current_url:  # type: ignore[attr-defined]
        query = parse_qs(urlsplit(request.htmx.current_url).query)  # type: ignore[attr-defined]
        order = (query.get("order") or [""])[0]
    return "newest" if order == "newest" else "oldest"


def safe_next(request: HttpRequest, fallback: str) -> str:
    """A same-site path to go back to after a POST, never an open redirect."""
    target = request.POST.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return fallback
