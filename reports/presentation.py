"""How a report payload reads: headline cards and the tables, shared by the page, CSV and PDF,
so the three always show the same figures under the same names."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.contrib.humanize.templatetags.humanize import intcomma
from django.utils import timezone

from cases.models import Status, Tier
from reports.highlights import change_text

NOT_COLLECTED = "not yet collected"


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    # text, count, pct, hours, days, score, datetime, case, severity, tier, status, list
    kind: str = "text"


@dataclass(frozen=True)
class Table:
    key: str
    title: str
    columns: list[Column]
    rows: list[dict[str, Any]]
    note: str = ""
    # Rows shown on the page and in the PDF; the CSV always has them all.
    display_limit: int | None = None
    empty: str = "Nothing this week."
    # A link under the table to everything it samples (the page only: its drill-down list).
    more_text: str = ""
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
        return f"{value:.1f}%"
    if kind == "hours":
        return format_duration(value * 3600)
    if kind == "days":
        return f"{value:.1f} d"
    if kind == "score":
        return f"{value:.2f} / 5"
    if kind == "datetime":
        moment = datetime.fromisoformat(value) if isinstance(value, str) else value
        return f"{timezone.localtime(moment):%a %-d %b %H:%M}"
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
    return f"{value:.1f} h" if value < 100 else f"{round(value)} h"


@dataclass(frozen=True)
class Headline:
    key: str
    label: str
    kind: str
    # None: a volume, neither better nor worse when it changes (more raised is demand, not
    # performance; more resolved may only follow more raised).
    higher_is_better: bool | None
    live_label: str = ""


HEADLINES: tuple[Headline, ...] = (
    Headline("raised", "Escalations raised", "count", higher_is_better=None),
    Headline("resolved", "Resolved", "count", higher_is_better=None),
    Headline(
        "backlog",
        "Open at the end of the week",
        "count",
        higher_is_better=False,
        live_label="Open now",
    ),
    Headline("response_compliance", "First-response SLA met", "pct", higher_is_better=True),
    Headline("resolution_compliance", "Resolution SLA met", "pct", higher_is_better=True),
    Headline("resolve_p50", "Median time to resolve", "duration", higher_is_better=False),
    Headline("resolve_p90", "90th percentile time to resolve", "duration", higher_is_better=False),
    Headline("breaches", "SLA breaches", "count", higher_is_better=False),
    Headline("reopened", "Reopened cases", "count", higher_is_better=False),
    Headline("csat_average", "Customer satisfaction", "score", higher_is_better=True),
)


def _display(kind: str, value: Any) -> str:
    return format_duration(value) if kind == "duration" else format_value(kind, value)


def _change_text(kind: str, delta: float) -> str:
    """How much and which way, in the measure's words: "3 more", "2.0 points lower",
    "1.5 h longer"."""
    size, rose = abs(delta), delta > 0
    if kind == "pct":
        return f"{size:.1f} points {'higher' if rose else 'lower'}"
    if kind == "duration":
        return f"{format_duration(size)} {'longer' if rose else 'shorter'}"
    if kind == "score":
        return f"{size:.2f} {'higher' if rose else 'lower'}"
    return f"{intcomma(round(size))} {'more' if rose else 'fewer'}"


@dataclass
class Card:
    key: str
    label: str
    value: str
    previous: str
    change: str
    tone: str  # better, worse, neutral (changed, neither better nor worse), same, none
    detail: str = ""
    direction: str = ""  # up, down or ""
    extra: dict[str, Any] = field(default_factory=dict)


def headline_cards(payload: dict[str, Any]) -> list[Card]:
    """One card per headline figure: this week, last week and the change in words, the verdict
    first (never colour or a sign alone): "worse: 12 more than the previous week's 110", "better:
    2.0 points higher than the previous week's 85.0%"; a volume only "12 more than ..."."""
    now, before = payload["headline"], payload["previous"]
    cards = []
    for h in HEADLINES:
        label = h.live_label if payload["live"] and h.live_label else h.label
        if h.key == "csat_average" and not payload.get("satisfaction_collected"):
            note = payload.get("satisfaction_note") or NOT_COLLECTED
            cards.append(Card(h.key, label, note, "—", "", "none"))
            continue
        value, previous = now.get(h.key), before.get(h.key)
        direction = ""
        if value is None or previous is None:
            change, tone = ("no comparison" if value is not None else ""), "none"
        else:
            delta = value - previous
            if abs(delta) < 1e-9:
                change, tone = "same as the week before", "same"
            else:
                direction = "up" if delta > 0 else "down"
                change = (
                    f"{_change_text(h.kind, delta)} than the previous week's "
                    f"{_display(h.kind, previous)}"
                )
                if h.higher_is_better is None:
                    tone = "neutral"
                else:
                    tone = "better" if (delta > 0) == h.higher_is_better else "worse"
                    change = f"{tone}: {change}"
        cards.append(
            Card(
                h.key,
                label,
                _display(h.kind, value),
                _display(h.kind, previous),
                change,
                tone,
                detail=_detail(h.key, now),
                direction=direction,
            )
        )
    return cards


def _detail(key: str, figures: dict[str, Any]) -> str:
    if key == "response_compliance":
        met, missed = figures["response_met"], figures["response_missed"]
        return f"{met} of {met + missed} deadlines" if met + missed else "no deadlines this week"
    if key == "resolution_compliance":
        met, missed = figures["resolution_met"], figures["resolution_missed"]
        return f"{met} of {met + missed} deadlines" if met + missed else "no deadlines this week"
    if key == "csat_average":
        answers = figures.get("csat_responses") or 0
        if not answers:
            return "no survey answers this week"
        satisfied = figures.get("csat_satisfied")
        share = f", {round(satisfied * 100)}% gave 4 or 5" if satisfied is not None else ""
        return f"{answers} answer{'s' if answers != 1 else ''}{share}"
    return ""


BREAKDOWN_COLUMNS = [
    Column("raised", "Raised", "count"),
    Column("resolved", "Resolved", "count"),
    Column("backlog", "Open at end", "count"),
    Column("breaches", "Breaches", "count"),
    Column("response_compliance", "First-response SLA", "pct"),
    Column("resolution_compliance", "Resolution SLA", "pct"),
    Column("resolve_p50_h", "Median time to resolve", "hours"),
    Column("reopened", "Reopened", "count"),
]

CASE_COLUMNS = [
    Column("reference", "Case", "case"),
    Column("title", "Title"),
    Column("customer", "Customer"),
    Column("team", "Team"),
    Column("severity", "Severity", "severity"),
]


def tables_for(payload: dict[str, Any]) -> dict[str, Table]:
    """Every table of the report, by key (the key names the CSV file too), in reading order."""
    tables = [
        _headline_table(headline_cards(payload)),
        _trend_table(payload["trend"]),
        *_breakdown_tables(payload["breakdowns"]),
        _top_customers_table(payload["top_customers"]),
        _root_causes_table(payload["root_causes"]),
        _backlog_age_table(payload["backlog_age"]),
        *_change_tables(payload["highlights"]),
        _strategic_breaches_table(payload["strategic_breaches"]),
        _longest_open_table(payload["longest_open"]),
    ]
    return {table.key: table for table in tables}


def _headline_table(cards: list[Card]) -> Table:
    return Table(
        "headline",
        "Headline figures",
        [
            Column("measure", "Measure"),
            Column("this_week", "This week"),
            Column("last_week", "Week before"),
            Column("change", "Change"),
        ],
        [
            {"measure": c.label, "this_week": c.value, "last_week": c.previous, "change": c.change}
            for c in cards
        ],
    )


def _trend_table(trend: list[dict[str, Any]]) -> Table:
    return Table(
        "trend",
        "The last 12 weeks",
        [
            Column("week", "Week"),
            Column("raised", "Raised", "count"),
            Column("resolved", "Resolved", "count"),
            Column("backlog", "Open at end", "count"),
            Column("response_compliance", "First-response SLA", "pct"),
            Column("resolution_compliance", "Resolution SLA", "pct"),
            Column("resolve_p50_h", "Median time to resolve", "hours"),
            Column("resolve_p90_h", "90th percentile", "hours"),
            Column("breaches", "Breaches", "count"),
            Column("reopened", "Reopened", "count"),
            Column("csat_average", "Satisfaction", "score"),
        ],
        [
            {
                **row,
                "resolve_p50_h": hours(row.get("resolve_p50")),
                "resolve_p90_h": hours(row.get("resolve_p90")),
            }
            for row in trend
        ],
    )


BREAKDOWN_TITLES = {
    "team": "By team",
    "severity": "By severity",
    "tier": "By customer tier",
    "product": "By product",
    "category": "By category",
}


def _breakdown_tables(breakdowns: dict[str, list[dict[str, Any]]]) -> list[Table]:
    return [
        Table(
            f"by_{key}",
            title,
            [Column("label", title.removeprefix("By ").capitalize()), *BREAKDOWN_COLUMNS],
            [
                {**row, "resolve_p50_h": hours(row.get("resolve_p50"))}
                for row in breakdowns.get(key, [])
            ],
            display_limit=15,
        )
        for key, title in BREAKDOWN_TITLES.items()
    ]


def _top_customers_table(rows: list[dict[str, Any]]) -> Table:
    return Table(
        "top_customers",
        "Customers with the most escalations",
        [
            Column("customer", "Customer"),
            Column("tier", "Tier", "tier"),
            Column("raised", "Raised", "count"),
            Column("high_severity", "S1 or S2", "count"),
            Column("still_open", "Still open", "count"),
            Column("breached", "With a breach", "count"),
        ],
        rows,
    )


def _root_causes_table(causes: dict[str, Any]) -> Table:
    return Table(
        "root_causes",
        "Most frequent root causes",
        [
            Column("group", "Group"),
            Column("cause", "Root cause"),
            Column("cases", "Cases", "count"),
            Column("share", "Share", "pct"),
        ],
        causes["rows"],
        note=(
            f"Of {causes['resolved']} cases resolved this week, "
            f"{causes['with_cause']} have a root cause."
        ),
        empty="No case with a root cause was resolved this week.",
    )


def _backlog_age_table(rows: list[dict[str, Any]]) -> Table:
    return Table(
        "backlog_age",
        "Age of the open backlog",
        [Column("bucket", "Age"), Column("cases", "Open cases", "count")],
        rows,
    )


CHANGE_COLUMNS = [
    Column("where", "Where"),
    Column("measure", "Measure"),
    Column("before_text", "Week before"),
    Column("after_text", "This week"),
    Column("change", "Change"),
]


def _change_tables(highlights: dict[str, list[dict[str, Any]]]) -> list[Table]:
    """The largest improvements and regressions against the week before."""
    return [
        Table(
            key,
            title,
            CHANGE_COLUMNS,
            [_change_row(item) for item in highlights[key]],
            empty="No change against the week before.",
        )
        for key, title in (
            ("improvements", "Largest improvements"),
            ("regressions", "Largest regressions"),
        )
    ]


def _change_row(item: dict[str, Any]) -> dict[str, Any]:
    kind = "pct" if item["rate"] else "count"
    return {
        **item,
        "where": f"{item['dimension']}: {item['group']}",
        "before_text": format_value(kind, item["before"]),
        "after_text": format_value(kind, item["after"]),
        "change": change_text(item),
    }


def _strategic_breaches_table(breaches: dict[str, Any]) -> Table:
    return Table(
        "strategic_breaches",
        "Strategic customers' cases with a breach",
        [
            *CASE_COLUMNS,
            Column("breached", "Deadlines missed", "list"),
            Column("breached_at", "First breach", "datetime"),
            Column("status", "Status now", "status"),
        ],
        breaches["rows"],
        display_limit=10,
        note=(
            f"Showing {len(breaches['rows'])} of {breaches['total']}."
            if breaches["total"] > len(breaches["rows"])
            else ""
        ),
        empty="No strategic customer's case breached this week.",
    )


def _longest_open_table(rows: list[dict[str, Any]]) -> Table:
    return Table(
        "longest_open",
        "Open longest",
        [
            *CASE_COLUMNS,
            Column("raised_at", "Raised", "datetime"),
            Column("age_days", "Age", "days"),
            Column("status", "Status now", "status"),
        ],
        rows,
        empty="No open cases.",
    )


def _breaches(count: int) -> str:
    return f"{intcomma(count)} breach" + ("" if count == 1 else "es")


def week_summary(headline: dict[str, Any] | None, counts: dict[str, int] | None) -> str:
    """The one line the list of weeks shows for a week."""
    if headline is not None:
        parts = [
            f"{intcomma(headline['raised'])} raised",
            f"{intcomma(headline['resolved'])} resolved",
            f"{intcomma(headline['backlog'])} open at the end",
            f"first response {format_value('pct', headline.get('response_compliance'))}",
            f"resolution {format_value('pct', headline.get('resolution_compliance'))}",
            _breaches(headline["breaches"]),
        ]
    elif counts is not None:
        parts = [
            f"{intcomma(counts['raised'])} raised",
            f"{intcomma(counts['resolved'])} resolved",
            _breaches(counts["breaches"]),
        ]
    else:
        return ""
    return " · ".join(parts)


def filter_text(*, team_name: str | None, tier: str | None) -> str:
    """ "All teams, all customers" / "Team Service desk, strategic customers"."""
    who = f"Team {team_name}" if team_name else "All teams"
    whose = f"{Tier(tier).label.lower()} customers" if tier in Tier.values else "all customers"
    return f"{who}, {whose}"


# What placed each row of a drill-down list in the week, by metric.
DRILLDOWN_MOMENTS = {
    "resolved": "Resolved",
    "reopened": "Reopened",
    "breached_cases": "First breach",
    "response_met": "Met at",
    "resolution_met": "Met at",
    "response_missed": "Breached at",
    "resolution_missed": "Breached at",
    "breaches": "Breached at",
}


def drilldown_moment(metric: str) -> str:
    return DRILLDOWN_MOMENTS.get(metric, "Raised")
