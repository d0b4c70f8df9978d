"""How a report payload reads: headline cards and the tables, shared by the page, CSV and PDF,
so the three always show the same figures under the same names."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.contrib.humanize.templatetags.humanize import intcomma
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from cases.models import Status, Tier
from reports.highlights import change_text
from reports.numbers import localized

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

NOT_COLLECTED = gettext_lazy("not yet collected")


@dataclass(frozen=True)
class Column:
    key: str
    label: StrOrPromise
    # text, count, pct, hours, days, score, datetime, case, severity, tier, status, list
    kind: str = "text"


@dataclass(frozen=True)
class Table:
    key: str
    title: StrOrPromise
    columns: list[Column]
    rows: list[dict[str, Any]]
    note: StrOrPromise = ""
    # Rows shown on the page and in the PDF; the CSV always has them all.
    display_limit: int | None = None
    empty: StrOrPromise = gettext_lazy("Nothing this week.")
    # A link under the table to everything it samples (the page only: its drill-down list).
    more_text: StrOrPromise = ""
    more_url: str = ""

    @property
    def display_rows(self) -> list[dict[str, Any]]:
        return self.rows[: self.display_limit] if self.display_limit else self.rows

    @property
    def hidden_count(self) -> int:
        return len(self.rows) - len(self.display_rows)


def hours(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds / 3600, 2)


def format_value(kind: str, value: Any) -> str:
    """The text a cell shows on the page and in the PDF."""
    if value is None or value == "":
        return "—"
    if kind == "count":
        return intcomma(value)
    if kind == "pct":
        return localized(f"{value:.1f}%")
    if kind == "hours":
        return format_duration(value * 3600)
    if kind == "days":
        return _("%(days)s d") % {"days": localized(f"{value:.1f}")}
    if kind == "score":
        return localized(f"{value:.2f} / 5")
    if kind == "datetime":
        moment = datetime.fromisoformat(value) if isinstance(value, str) else value
        return formats.date_format(timezone.localtime(moment), "D j M H:i")
    if kind == "severity":
        return str(value)
    if kind == "tier":
        return str(Tier(value).label) if value in Tier.values else str(value)
    if kind == "status":
        return str(Status(value).label) if value in Status.values else str(value)
    if kind == "list":
        return ", ".join(str(v) for v in value)
    return str(value)


def csv_value(kind: str, value: Any) -> Any:
    """The value a CSV cell holds: numbers stay numbers, times are local ISO 8601."""
    if value is None:
        return ""
    if kind == "datetime":
        moment = datetime.fromisoformat(value) if isinstance(value, str) else value
        return timezone.localtime(moment).isoformat()
    if kind == "list":
        return " ".join(str(v) for v in value)
    return value


def format_duration(seconds: float | None) -> str:
    """Business time as hours: "45 min", "5.2 h", "130 h"."""
    if seconds is None:
        return "—"
    if seconds < 3600:
        return f"{round(seconds / 60)} min"
    value = seconds / 3600
    return localized(f"{value:.1f} h") if value < 100 else f"{round(value)} h"


@dataclass(frozen=True)
class Headline:
    key: str
    label: StrOrPromise
    kind: str
    # None: a volume, neither better nor worse when it changes (more raised is demand, not
    # performance; more resolved may only follow more raised).
    higher_is_better: bool | None
    live_label: StrOrPromise = ""


HEADLINES: tuple[Headline, ...] = (
    Headline("raised", gettext_lazy("Escalations raised"), "count", higher_is_better=None),
    Headline("resolved", gettext_lazy("Resolved"), "count", higher_is_better=None),
    Headline(
        "backlog",
        gettext_lazy("Open at the end of the week"),
        "count",
        higher_is_better=False,
        live_label=gettext_lazy("Open now"),
    ),
    Headline(
        "response_compliance",
        gettext_lazy("First-response SLA met"),
        "pct",
        higher_is_better=True,
    ),
    Headline(
        "resolution_compliance", gettext_lazy("Resolution SLA met"), "pct", higher_is_better=True
    ),
    Headline(
        "resolve_p50", gettext_lazy("Median time to resolve"), "duration", higher_is_better=False
    ),
    Headline(
        "resolve_p90",
        gettext_lazy("90th percentile time to resolve"),
        "duration",
        higher_is_better=False,
    ),
    Headline("breaches", gettext_lazy("SLA breaches"), "count", higher_is_better=False),
    Headline("reopened", gettext_lazy("Reopened cases"), "count", higher_is_better=False),
    Headline("csat_average", gettext_lazy("Customer satisfaction"), "score", higher_is_better=True),
)


def figure_text(kind: str, value: Any) -> str:
    """The text of a headline figure: a duration as business time, else as a table cell."""
    return format_duration(value) if kind == "duration" else format_value(kind, value)


def _change_text(kind: str, delta: float) -> str:
    """How much and which way, in the measure's words: "3 more", "2.0 points lower",
    "1.5 h longer"."""
    size, rose = abs(delta), delta > 0
    if kind == "pct":
        text = _("%(size)s points higher") if rose else _("%(size)s points lower")
        return text % {"size": localized(f"{size:.1f}")}
    if kind == "duration":
        text = _("%(size)s longer") if rose else _("%(size)s shorter")
        return text % {"size": format_duration(size)}
    if kind == "score":
        text = _("%(size)s higher") if rose else _("%(size)s lower")
        return text % {"size": localized(f"{size:.2f}")}
    text = _("%(size)s more") if rose else _("%(size)s fewer")
    return text % {"size": intcomma(round(size))}


@dataclass
class Card:
    key: str
    label: StrOrPromise
    value: str
    previous: str
    change: str
    tone: str  # better, worse, neutral (changed, neither better nor worse), same, none
    detail: str = ""
    direction: str = ""  # up, down or ""
    extra: dict[str, Any] = field(default_factory=dict)


def compared(h: Headline, value: float | None, previous: float | None) -> tuple[str, str]:
    """A figure against the one before, as a card's tone and direction (``Card``): "none"
    without both, "same", "neutral" for a volume, else "better" or "worse"; up, down or ""."""
    if value is None or previous is None:
        return "none", ""
    delta = value - previous
    if abs(delta) < 1e-9:
        return "same", ""
    direction = "up" if delta > 0 else "down"
    if h.higher_is_better is None:
        return "neutral", direction
    return ("better" if (delta > 0) == h.higher_is_better else "worse"), direction


def headline_card(
    h: Headline,
    label: StrOrPromise,
    value: float | None,
    previous: float | None,
    *,
    change: str,
    detail: str,
) -> Card:
    """The card of one headline figure and the one before, both in the measure's format, with
    its tone and direction (``compared``)."""
    tone, direction = compared(h, value, previous)
    return Card(
        h.key,
        label,
        figure_text(h.kind, value),
        figure_text(h.kind, previous),
        change,
        tone,
        detail=detail,
        direction=direction,
    )


def headline_cards(payload: dict[str, Any]) -> list[Card]:
    """One card per headline figure: this week, last week and the change in words, the verdict
    first (never colour or a sign alone): "worse: 12 more than the previous week's 110", "better:
    2.0 points higher than the previous week's 85.0%"; a volume only "12 more than ..."."""
    now, before = payload["headline"], payload["previous"]
    cards = []
    for h in HEADLINES:
        label = h.live_label if payload["live"] and h.live_label else h.label
        if h.key == "csat_average" and not payload.get("satisfaction_collected"):
            note = payload.get("satisfaction_note") or str(NOT_COLLECTED)
            cards.append(Card(h.key, label, note, "—", "", "none"))
            continue
        value, previous = now.get(h.key), before.get(h.key)
        change = _week_change(h, value, previous)
        cards.append(
            headline_card(h, label, value, previous, change=change, detail=_detail(h.key, now))
        )
    return cards


def _week_change(h: Headline, value: float | None, previous: float | None) -> str:
    """The change in words, against the week before (``headline_cards``)."""
    if value is None or previous is None:
        return _("no comparison") if value is not None else ""
    tone, _direction = compared(h, value, previous)
    if tone == "same":
        return _("same as the week before")
    change = _("%(change)s than the previous week's %(previous)s") % {
        "change": _change_text(h.kind, value - previous),
        "previous": figure_text(h.kind, previous),
    }
    if tone == "neutral":
        return change
    verdict = _("better: %(change)s") if tone == "better" else _("worse: %(change)s")
    return verdict % {"change": change}


def _detail(key: str, figures: dict[str, Any]) -> str:
    if key in ("response_compliance", "resolution_compliance"):
        clock = key.removesuffix("_compliance")
        met, missed = figures[f"{clock}_met"], figures[f"{clock}_missed"]
        if not met + missed:
            return _("no deadlines this week")
        return _("%(met)s of %(total)s deadlines") % {"met": met, "total": met + missed}
    if key == "csat_average":
        answers = figures.get("csat_responses") or 0
        if not answers:
            return _("no survey answers this week")
        satisfied = figures.get("csat_satisfied")
        if satisfied is None:
            return ngettext("%(count)s answer", "%(count)s answers", answers) % {"count": answers}
        return ngettext(
            "%(count)s answer, %(share)s%% gave 4 or 5",
            "%(count)s answers, %(share)s%% gave 4 or 5",
            answers,
        ) % {"count": answers, "share": round(satisfied * 100)}
    return ""


# The figures of a week, a group or a period's part, as the columns of the tables that list them.
MEASURES = {
    column.key: column
    for column in (
        Column("raised", gettext_lazy("Raised"), "count"),
        Column("resolved", gettext_lazy("Resolved"), "count"),
        Column("backlog", gettext_lazy("Open at end"), "count"),
        Column("response_compliance", gettext_lazy("First-response SLA"), "pct"),
        Column("resolution_compliance", gettext_lazy("Resolution SLA"), "pct"),
        Column("resolve_p50_h", gettext_lazy("Median time to resolve"), "hours"),
        Column("resolve_p90_h", gettext_lazy("90th percentile"), "hours"),
        Column("breaches", gettext_lazy("Breaches"), "count"),
        Column("reopened", gettext_lazy("Reopened"), "count"),
    )
}

BREAKDOWN_COLUMNS = [MEASURES[key] for key in (
    "raised", "resolved", "backlog", "breaches", "response_compliance", "resolution_compliance",
    "resolve_p50_h", "reopened",
)]  # fmt: skip
# A trend table's, after the column naming its weeks (or a period's parts).
TREND_COLUMNS = list(MEASURES.values())

CASE_COLUMNS = [
    Column("reference", gettext_lazy("Case"), "case"),
    Column("title", gettext_lazy("Title")),
    Column("customer", gettext_lazy("Customer")),
    Column("team", gettext_lazy("Team")),
    Column("severity", gettext_lazy("Severity"), "severity"),
]


def tables_for(payload: dict[str, Any]) -> dict[str, Table]:
    """Every table of the report, by key (the key names the CSV file too), in reading order."""
    tables = [
        headline_table(
            headline_cards(payload),
            [
                Column("value", _("This week")),
                Column("previous", _("Week before")),
                Column("change", _("Change")),
            ],
        ),
        trend_table(
            payload["trend"],
            _("The last 12 weeks"),
            [
                Column("week", _("Week")),
                *TREND_COLUMNS,
                Column("csat_average", _("Satisfaction"), "score"),
            ],
        ),
        *breakdown_tables(payload["breakdowns"]),
        _top_customers_table(payload["top_customers"]),
        _root_causes_table(payload["root_causes"]),
        backlog_age_table(payload["backlog_age"]),
        *_change_tables(payload["highlights"]),
        _strategic_breaches_table(payload["strategic_breaches"]),
        _longest_open_table(payload["longest_open"]),
    ]
    return {table.key: table for table in tables}


def headline_table(cards: list[Card], columns: list[Column]) -> Table:
    """The headline cards as rows: the measure, then ``columns``, each keyed by the card's
    field it shows (value, previous, change)."""
    return Table(
        "headline",
        _("Headline figures"),
        [Column("measure", _("Measure")), *columns],
        [
            {"measure": c.label, "value": c.value, "previous": c.previous, "change": c.change}
            for c in cards
        ],
    )


def trend_table(trend: list[dict[str, Any]], title: StrOrPromise, columns: list[Column]) -> Table:
    """The trend's rows (a week or a period's part each) under ``columns``, times in hours."""
    return Table(
        "trend",
        title,
        columns,
        [
            {
                **row,
                "resolve_p50_h": hours(row.get("resolve_p50")),
                "resolve_p90_h": hours(row.get("resolve_p90")),
            }
            for row in trend
        ],
    )


# key -> (table title, the column naming its groups)
BREAKDOWN_TITLES: dict[str, tuple[StrOrPromise, StrOrPromise]] = {
    "team": (gettext_lazy("By team"), gettext_lazy("Team")),
    "severity": (gettext_lazy("By severity"), gettext_lazy("Severity")),
    "tier": (gettext_lazy("By customer tier"), gettext_lazy("Customer tier")),
    "product": (gettext_lazy("By product"), gettext_lazy("Product")),
    "category": (gettext_lazy("By category"), gettext_lazy("Category")),
}


def breakdown_tables(breakdowns: dict[str, list[dict[str, Any]]]) -> list[Table]:
    return [
        Table(
            f"by_{key}",
            title,
            [Column("label", group_label), *BREAKDOWN_COLUMNS],
            [
                {**row, "resolve_p50_h": hours(row.get("resolve_p50"))}
                for row in breakdowns.get(key, [])
            ],
            display_limit=15,
        )
        for key, (title, group_label) in BREAKDOWN_TITLES.items()
    ]


def _top_customers_table(rows: list[dict[str, Any]]) -> Table:
    return Table(
        "top_customers",
        _("Customers with the most escalations"),
        [
            Column("customer", _("Customer")),
            Column("tier", _("Tier"), "tier"),
            Column("raised", _("Raised"), "count"),
            Column("high_severity", _("S1 or S2"), "count"),
            Column("still_open", _("Still open"), "count"),
            Column("breached", _("With a breach"), "count"),
        ],
        rows,
    )


def _root_causes_table(causes: dict[str, Any]) -> Table:
    return Table(
        "root_causes",
        _("Most frequent root causes"),
        [
            Column("group", _("Group")),
            Column("cause", _("Root cause")),
            Column("cases", _("Cases"), "count"),
            Column("share", _("Share"), "pct"),
        ],
        causes["rows"],
        note=_("Of %(resolved)s cases resolved this week, %(with_cause)s have a root cause.")
        % {"resolved": causes["resolved"], "with_cause": causes["with_cause"]},
        empty=_("No case with a root cause was resolved this week."),
    )


def backlog_age_table(rows: list[dict[str, Any]]) -> Table:
    return Table(
        "backlog_age",
        _("Age of the open backlog"),
        [Column("bucket", _("Age")), Column("cases", _("Open cases"), "count")],
        rows,
    )


CHANGE_COLUMNS = [
    Column("where", gettext_lazy("Where")),
    Column("measure", gettext_lazy("Measure")),
    Column("before_text", gettext_lazy("Week before")),
    Column("after_text", gettext_lazy("This week")),
    Column("change", gettext_lazy("Change")),
]


def _change_tables(highlights: dict[str, list[dict[str, Any]]]) -> list[Table]:
    """The largest improvements and regressions against the week before."""
    return [
        Table(
            key,
            title,
            CHANGE_COLUMNS,
            [_change_row(item) for item in highlights[key]],
            empty=_("No change against the week before."),
        )
        for key, title in (
            ("improvements", _("Largest improvements")),
            ("regressions", _("Largest regressions")),
        )
    ]


def _stored(text: str) -> str:
    """An English name a frozen payload keeps, in the active language (as is if unknown)."""
    return _(text) if text else text


def _change_row(item: dict[str, Any]) -> dict[str, Any]:
    kind = "pct" if item["rate"] else "count"
    return {
        **item,
        # The payload keeps English names (it is frozen): translated here, for the page.
        "where": f"{_stored(item['dimension'])}: {_stored(item['group'])}",
        "measure": _stored(item["measure"]),
        "before_text": format_value(kind, item["before"]),
        "after_text": format_value(kind, item["after"]),
        "change": change_text(item),
    }


def _strategic_breaches_table(breaches: dict[str, Any]) -> Table:
    return Table(
        "strategic_breaches",
        _("Strategic customers' cases with a breach"),
        [
            *CASE_COLUMNS,
            Column("breached", _("Deadlines missed"), "list"),
            Column("breached_at", _("First breach"), "datetime"),
            Column("status", _("Status now"), "status"),
        ],
        breaches["rows"],
        display_limit=10,
        note=(
            _("Showing %(shown)s of %(total)s.")
            % {"shown": len(breaches["rows"]), "total": breaches["total"]}
            if breaches["total"] > len(breaches["rows"])
            else ""
        ),
        empty=_("No strategic customer's case breached this week."),
    )


def _longest_open_table(rows: list[dict[str, Any]]) -> Table:
    return Table(
        "longest_open",
        _("Open longest"),
        [
            *CASE_COLUMNS,
            Column("raised_at", _("Raised"), "datetime"),
            Column("age_days", _("Age"), "days"),
            Column("status", _("Status now"), "status"),
        ],
        rows,
        empty=_("No open cases."),
    )


def _breaches(count: int) -> str:
    return ngettext("%(count)s breach", "%(count)s breaches", count) % {"count": intcomma(count)}


def week_summary(headline: dict[str, Any] | None, counts: dict[str, int] | None) -> str:
    """The one line the list of weeks shows for a week."""
    if headline is not None:
        parts = [
            _("%(count)s raised") % {"count": intcomma(headline["raised"])},
            _("%(count)s resolved") % {"count": intcomma(headline["resolved"])},
            _("%(count)s open at the end") % {"count": intcomma(headline["backlog"])},
            _("first response %(rate)s")
            % {"rate": format_value("pct", headline.get("response_compliance"))},
            _("resolution %(rate)s")
            % {"rate": format_value("pct", headline.get("resolution_compliance"))},
            _breaches(headline["breaches"]),
        ]
    elif counts is not None:
        parts = [
            _("%(count)s raised") % {"count": intcomma(counts["raised"])},
            _("%(count)s resolved") % {"count": intcomma(counts["resolved"])},
            _breaches(counts["breaches"]),
        ]
    else:
        return ""
    return " · ".join(parts)


def filter_text(*, team_name: str | None, tier: str | None) -> str:
    """ "All teams, all customers" / "Team Service desk, strategic customers"."""
    who = _("Team %(name)s") % {"name": team_name} if team_name else _("All teams")
    if tier in Tier.values:
        whose = _("%(tier)s customers") % {"tier": str(Tier(tier).label).lower()}
    else:
        whose = _("all customers")
    return f"{who}, {whose}"


# What placed each row of a drill-down list in the week, by metric.
DRILLDOWN_MOMENTS: dict[str, StrOrPromise] = {
    "resolved": gettext_lazy("Resolved"),
    "reopened": gettext_lazy("Reopened"),
    "breached_cases": gettext_lazy("First breach"),
    "response_met": gettext_lazy("Met at"),
    "resolution_met": gettext_lazy("Met at"),
    "response_missed": gettext_lazy("Breached at"),
    "resolution_missed": gettext_lazy("Breached at"),
    "breaches": gettext_lazy("Breached at"),
}


def drilldown_moment(metric: str) -> str:
    return str(DRILLDOWN_MOMENTS.get(metric, _("Raised")))
