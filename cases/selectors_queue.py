"""The queue's reads, for the triage page, the operators' list and the API alike: the
FilterSet's filters, the orders ("Most urgent" in severity-weighted segments, nearest deadline,
newest, oldest, severity), keyset pages with opaque cursors, and a bounded count."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db.models import (
    Q,
    QuerySet,
    prefetch_related_objects,
)
from django.utils import timezone
from django.utils.datastructures import MultiValueDict
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from cases.extensions import CLOCK_KINDS, risk_reads
from cases.filters import CaseFilter, Sort
from cases.models import (
    Case,
)
from cases.models.case import (
    DUE_NEVER,
    URGENCY_ALLOWANCE,
    CaseSlaState,
    Severity,
    due_key,
    urgency_key,
)
from cases.queue_keyset import (
    KEYSETS,
    URGENCY_SEGMENTS,
    cursor_decode,
    cursor_encode,
    keyset_key_of,
    keyset_order,
    rows_after,
)
from cases.queue_keyset import CursorError as CursorError
from cases.visibility import case_visible_to
from escalation.roles import AnyUser

PAGE_SIZE = 25
PAGE_SIZE_MAX = 100
# The queue and the API count their matching cases exactly up to here, and say "10,000+" past
# it: counting a LIMIT of COUNT_BOUND + 1 rows costs at most that many index entries.
COUNT_BOUND = 10_000
# Wide text columns the queue never shows: left out of its rows.
QUEUE_DEFERRED = ("description", "tried", "resolution_summary")


# --- The queue: filters and keyset pagination (the keysets and cursors: cases.queue_keyset) --


def _hours(delta: timedelta) -> str:
    hours = int(delta.total_seconds() // 3600)
    return ngettext("%(count)s hour", "%(count)s hours", hours) % {"count": hours}


def urgency_explained() -> str:
    """The queue's sentence about its "most urgent" order, in the active language."""
    allowances = ", ".join(
        _("%(severity)s by %(hours)s")
        % {"severity": severity, "hours": _hours(URGENCY_ALLOWANCE[severity])}
        for severity in Severity.values
        if URGENCY_ALLOWANCE[severity]
    )
    return _(
        "Most urgent first: cases whose deadline is still ahead, the soonest first; then "
        "breached cases, the longest breached first; then cases with no running clock. A less "
        "severe case counts as if its deadline (or breach) came later: %(allowances)s."
    ) % {"allowances": allowances}


_ALLOWANCE_MAX = max(URGENCY_ALLOWANCE.values())


def _urgency_segment_filter(segment: int, *, now: datetime) -> Q:
    """The segment's rows as ranges of the urgency key alone, per severity: the key is
    sla_breach_at plus the severity's allowance, so "not breached" is "the key passes now by
    more than the allowance". Exact, and estimated from case_open_urgency_idx's statistics.
    Written as ``sla_breach_at > now`` beside the key's range, the planner multiplied the two
    correlated ranges into a handful of rows and sorted the 11,668 of the segment instead of
    reading 26 off the index (bench/RESULTS.md)."""
    if segment == 2:
        return Q(urgency_key__gte=DUE_NEVER)
    condition = Q()
    for severity, allowance in URGENCY_ALLOWANCE.items():
        if segment == 0:
            condition |= Q(severity=severity, urgency_key__gt=now + allowance)
        else:
            condition |= Q(severity=severity, urgency_key__lte=now + allowance)
    if segment == 0:
        return Q(urgency_key__gt=now, urgency_key__lt=DUE_NEVER) & condition
    return Q(urgency_key__lte=now + _ALLOWANCE_MAX) & condition


# The segments in which a case of each SLA state can be (cases.models.case.sla_state_condition):
# a queue filtered by state skips the others' queries.
SEGMENTS_OF_STATE: dict[str, frozenset[int]] = {
    CaseSlaState.ON_TRACK: frozenset({0}),
    CaseSlaState.AT_RISK: frozenset({0}),
    CaseSlaState.BREACHED: frozenset({1}),
    CaseSlaState.PAUSED: frozenset({2}),
    CaseSlaState.NONE: frozenset({2}),
}
_EVERY_SEGMENT = frozenset(range(len(URGENCY_SEGMENTS)))


def urgency_segments_for(cleaned: Mapping[str, Any]) -> frozenset[int]:
    """The "Most urgent" segments that can hold rows under a CaseFilter's cleaned data: the
    case's SLA states' (``sla``), and segment 1 alone for a breached clock (``sla_<kind>=
    breached``: a breach on record, or a running clock past its deadline, makes the case
    breached; a clock stopped late has its breach on record, sla.alignment)."""
    segments = _EVERY_SEGMENT
    if cleaned.get("sla"):
        segments &= frozenset().union(*(SEGMENTS_OF_STATE[s] for s in cleaned["sla"]))
    for kind in CLOCK_KINDS:
        if list(cleaned.get(f"sla_{kind}") or ()) == [CaseSlaState.BREACHED]:
            segments &= SEGMENTS_OF_STATE[CaseSlaState.BREACHED]
    return segments


def _urgency_segment_of(case: Case, *, now: datetime) -> int:
    """The segment of a row (as _urgency_segment_filter tells it)."""
    key: datetime = case.urgency_key  # type: ignore[attr-defined]  # the annotation
    if key >= DUE_NEVER:
        return 2
    return 0 if key > now + URGENCY_ALLOWANCE[case.severity] else 1


@dataclass
class CaseQueuePage:
    """One page of the queue, and how many cases match: exact up to COUNT_BOUND
    (``count_exact``), COUNT_BOUND past it; ``has_next``/``has_previous`` drive the
    navigation."""

    rows: list[Case]
    sort: str
    page_size: int
    filterset: CaseFilter
    next_cursor: str | None = None
    previous_cursor: str | None = None
    errors: dict[str, list[str]] = field(default_factory=dict)
    count: int = 0
    count_exact: bool = True

    @property
    def order_explained(self) -> str:
        """The sentence the queue shows about its order ("" for the plain sorts)."""
        return urgency_explained() if self.sort == Sort.URGENCY else ""

    @property
    def count_text(self) -> str:
        """ "1 case", "37 cases", "10,000+ cases"."""
        count = number_format(self.count, force_grouping=True)
        if not self.count_exact:
            return _("%(count)s+ cases") % {"count": count}
        return ngettext("%(count)s case", "%(count)s cases", self.count) % {"count": count}

    @property
    def has_next(self) -> bool:
        return self.next_cursor is not None

    @property
    def has_previous(self) -> bool:
        return self.previous_cursor is not None


def _as_multivalue(filters: Mapping[str, Any]) -> MultiValueDict[str, Any]:
    """A QueryDict passes through; a plain mapping's values become lists (multi-value filters
    such as ``status`` read lists)."""
    if isinstance(filters, MultiValueDict):
        return filters
    data: MultiValueDict[str, Any] = MultiValueDict()
    for name, value in filters.items():
        data.setlist(name, list(value) if isinstance(value, list | tuple) else [value])
    return data


# The queue's "likely to breach" filter (``?likely=1``): a running clock whose stored breach
# forecast reaches the threshold (cases.extensions.RiskReads); ignored without forecasts.
LIKELY = "likely"


def likely_wanted(filters: Mapping[str, Any]) -> bool:
    return risk_reads() is not None and str(filters.get(LIKELY) or "") in {"1", "true", "on"}


def likely_to_breach() -> Q:
    reads = risk_reads()
    return reads.likely_condition() if reads is not None else Q()


def case_queue(
    *, viewer: AnyUser, filters: Mapping[str, Any], page_size: int = PAGE_SIZE
) -> CaseQueuePage:
    """One page of the cases ``viewer`` may see, filtered by CaseFilter and keyset-paginated.

    1. Validate ``filters`` with CaseFilter (a bad value lands in ``errors`` and is ignored).
    2. Order by the chosen sort key then the id (by default "Most urgent",
       URGENCY_SEGMENTS); a ``cursor`` from a previous page restricts to rows strictly after
       (or before) the row it names.
    3. Fetch page_size + 1 rows: the extra one only tells whether another page follows.
    4. Count the matching cases up to COUNT_BOUND.
    Queries: the viewer's roles (cached per request), one per id-valued filter given (its
    validation), the rows (up to three for "Most urgent"), their tags and the count: the same
    for 10 rows as for 100.
    """
    base = case_visible_to(viewer=viewer)
    if likely_wanted(filters):
        base = base.filter(likely_to_breach())
    filterset = CaseFilter(data=_as_multivalue(filters), queryset=base)
    errors: dict[str, list[str]] = {k: list(v) for k, v in filterset.errors.items()}
    sort = filterset.form.cleaned_data.get("sort") or Sort.URGENCY
    cursor = str(filters.get("cursor") or "")
    # From the filters that applied (a bad value is ignored).
    segments = urgency_segments_for(filterset.form.cleaned_data if not errors else {})
    try:
        keyset_page = case_keyset_page(
            queryset=filterset.qs,
            sort=sort,
            cursor=cursor,
            page_size=page_size,
            segments=segments,
        )
    except CursorError as exc:
        errors["cursor"] = [str(exc)]
        keyset_page = case_keyset_page(
            queryset=filterset.qs,
            sort=sort,
            cursor="",
            page_size=page_size,
            segments=segments,
        )
    count, count_exact = case_count_bounded(queryset=filterset.qs)
    return CaseQueuePage(
        rows=keyset_page.rows,
        sort=sort,
        page_size=keyset_page.page_size,
        filterset=filterset,
        next_cursor=keyset_page.next_cursor,
        previous_cursor=keyset_page.previous_cursor,
        errors=errors,
        count=count,
        count_exact=count_exact,
    )


def case_count_bounded(*, queryset: QuerySet[Case], bound: int = COUNT_BOUND) -> tuple[int, bool]:
    """-> (how many rows ``queryset`` has, capped at ``bound``; whether that is exact). One
    query, ``SELECT COUNT(*) FROM (... LIMIT bound + 1)``: it stops at bound + 1 rows."""
    found = queryset.order_by()[: bound + 1].count()
    return min(found, bound), found <= bound


@dataclass(frozen=True)
class KeysetPage:
    rows: list[Case]
    page_size: int
    next_cursor: str | None
    previous_cursor: str | None


def case_keyset_page(
    *,
    queryset: QuerySet[Case],
    sort: str,
    cursor: str,
    page_size: int,
    segments: frozenset[int] = _EVERY_SEGMENT,
) -> KeysetPage:
    """One page of already filtered queue rows in ``sort`` order (steps 2 and 3 of
    ``case_queue``; the API's pagination calls it with the rows its filter backend left).
    ``segments``: the "Most urgent" segments the filters can leave rows in (the others are
    not read; ``urgency_segments_for``).
    Raises CursorError, before any query, for a cursor we did not hand out."""
    page_size = max(1, min(int(page_size), PAGE_SIZE_MAX))
    keyset = KEYSETS[sort]
    queryset = queryset.annotate(due_key=due_key())
    if sort == Sort.URGENCY:
        queryset = queryset.annotate(urgency_key=urgency_key())
    decoded = cursor_decode(cursor[:1000], sort=sort) if cursor else None
    if sort == Sort.URGENCY:
        return _urgency_page(queryset, cursor=decoded, page_size=page_size, segments=segments)
    backwards = False
    if decoded is not None:
        key, pk, backwards, _ = decoded
        queryset = queryset.filter(rows_after(keyset, key, pk, backwards=backwards))

    queryset = (
        queryset.order_by(*keyset_order(keyset, backwards=backwards))
        .select_related("customer", "owner", "team", "product", "category")
        .prefetch_related("tags")
        .defer(*QUEUE_DEFERRED)
    )
    rows: list[Case] = list(queryset[: page_size + 1])
    more = len(rows) > page_size
    rows = rows[:page_size]
    if backwards:
        rows.reverse()

    next_cursor = previous_cursor = None
    if rows:
        first, last = rows[0], rows[-1]
        has_next = more if not backwards else True
        has_previous = bool(cursor) if not backwards else more
        if has_next:
            next_cursor = cursor_encode(
                sort=sort, key=keyset_key_of(keyset, last), pk=last.pk, backwards=False
            )
        if has_previous:
            previous_cursor = cursor_encode(
                sort=sort, key=keyset_key_of(keyset, first), pk=first.pk, backwards=True
            )
    return KeysetPage(
        rows=rows, page_size=page_size, next_cursor=next_cursor, previous_cursor=previous_cursor
    )


def _urgency_page(
    queryset: QuerySet[Case],
    *,
    cursor: tuple[Any, int, bool, int] | None,
    page_size: int,
    segments: frozenset[int],
) -> KeysetPage:
    """One page in "Most urgent" order (URGENCY_SEGMENTS).

    1. Start in the cursor's segment, after (or before) its row; without a cursor, at the
       start of the first segment.
    2. Fetch up to page_size + 1 rows of that segment in its direction; while short, go on
       with the next segment (the previous one when paging backwards) from its start.
    3. Each row's segment goes in its cursor, so the next page starts in the right one.
    A page is one to three row queries (each an index range scan; none for a segment not in
    ``segments``, which the filters leave empty) and one for the tags.
    """
    now = timezone.now()
    key, pk, backwards, start = cursor if cursor is not None else (None, 0, False, 0)
    steps = range(start, -1, -1) if backwards else range(start, len(URGENCY_SEGMENTS))
    rows: list[Case] = []
    for segment in steps:
        if segment not in segments:
            continue
        keyset = URGENCY_SEGMENTS[segment]
        part = queryset.filter(_urgency_segment_filter(segment, now=now))
        if cursor is not None and segment == start:
            part = part.filter(rows_after(keyset, key, pk, backwards=backwards))
        part = (
            part.order_by(*keyset_order(keyset, backwards=backwards))
            .select_related("customer", "owner", "team", "product", "category")
            .defer(*QUEUE_DEFERRED)
        )
        rows.extend(part[: page_size + 1 - len(rows)])
        if len(rows) > page_size:
            break
    more = len(rows) > page_size
    rows = rows[:page_size]
    if backwards:
        rows.reverse()
    prefetch_related_objects(rows, "tags")

    def link(case: Case, *, back: bool) -> str:
        key: datetime = case.urgency_key  # type: ignore[attr-defined]  # the annotation
        segment = _urgency_segment_of(case, now=now)
        return cursor_encode(
            sort=Sort.URGENCY, key=key, pk=case.pk, backwards=back, segment=segment
        )

    next_cursor = previous_cursor = None
    if rows:
        if more if not backwards else True:
            next_cursor = link(rows[-1], back=False)
        if cursor is not None if not backwards else more:
            previous_cursor = link(rows[0], back=True)
    return KeysetPage(
        rows=rows, page_size=page_size, next_cursor=next_cursor, previous_cursor=previous_cursor
    )
