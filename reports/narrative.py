"""The weekly report's opening summary: a few sentences written from the report's own figures.

Two halves:

- ``narrative_facts`` (a selector) reads the few facts the rest of the payload does not hold: the
  fastest S1 resolution of the week, the corrective actions overdue at its end, the customers at
  risk then, and how often this week's root causes came up over the last weeks. The payload
  freezes them with the rest (``reports.payload``), so a frozen week's summary never changes.
- ``narrative_sentences`` (pure, over the payload) writes the sentences at render time, in the
  reader's language, each with the link to the figure or the cases behind it. A sentence whose
  figure is absent (no S1 resolved, nothing overdue, a snapshot frozen before the facts existed)
  is left out rather than written with a zero.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.db.models import Q
from django.urls import reverse
from django.utils import formats
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from cases.models import Case, Severity, Tier
from reports.aggregates import WeekIndex
from reports.definitions import ReportFilters, cases_for, resolution_times, resolved_in
from reports.highlights import HIGHLIGHT_MEASURES, Measure, change_effect
from reports.links import COLUMN_METRICS, FigureLinks
from reports.presentation import format_duration
from reports.weeks import IsoWeek, Period, report_zone
from reviews.models import ActionStatus, CorrectiveAction
from reviews.selectors.patterns import customers_at_risk

# Weeks over which a root cause counts as recurring, this one included.
RECURRING_WEEKS = 4
# A cause recurs when it came up in at least this many of those weeks.
RECURRING_MIN_WEEKS = 2
AT_RISK_NAMED = 3
# The least change worth a sentence, in cases (see reports.highlights).
MIN_EFFECT = 1.0


# --- The facts, frozen with the payload ------------------------------------------------------


def narrative_facts(*, periods: Sequence[Period], filters: ReportFilters) -> dict[str, Any]:
    """The summary's facts of the last of ``periods`` (the earlier ones count recurring root
    causes); a handful of queries whatever the size."""
    current = periods[-1]
    return {
        "fastest_s1": _fastest_s1(period=current, filters=filters),
        "overdue_actions": _overdue_actions(moment=current.end, filters=filters),
        "at_risk": _at_risk(moment=current.end, filters=filters),
        "recurring_causes": _recurring_causes(periods=periods[-RECURRING_WEEKS:], filters=filters),
    }


def _fastest_s1(*, period: Period, filters: ReportFilters) -> dict[str, Any] | None:
    clock = (
        resolution_times(filters, [period])
        .filter(case__severity=Severity.S1)
        .order_by("elapsed_seconds", "stopped_at", "case_id")
        .values("case_id", "case__customer__name", "elapsed_seconds")
        .first()
    )
    if clock is None:
        return None
    return {
        "case_id": clock["case_id"],
        "reference": Case(pk=clock["case_id"]).reference,
        "customer": clock["case__customer__name"],
        "seconds": clock["elapsed_seconds"],
    }


def _overdue_actions(*, moment: datetime, filters: ReportFilters) -> dict[str, Any] | None:
    """Corrective actions due before ``moment``'s day and still pending at ``moment``: not
    done then, and not cancelled before it (a cancellation's time is its last update)."""
    day = moment.astimezone(report_zone()).date()
    still_pending = (
        Q(status__in=[ActionStatus.OPEN, ActionStatus.IN_PROGRESS])
        | Q(status=ActionStatus.DONE, completed_at__gte=moment)
        | Q(status=ActionStatus.CANCELLED, updated_at__gte=moment)
    )
    overdue = CorrectiveAction.objects.filter(
        still_pending, filters.q("review__case__"), due_on__lt=day, created_at__lt=moment
    )
    count = overdue.count()
    oldest = overdue.order_by("due_on", "id").values("review__case_id", "due_on").first()
    if not count or oldest is None:
        return None
    return {
        "count": count,
        "oldest_due_on": oldest["due_on"].isoformat(),
        "reference": Case(pk=oldest["review__case_id"]).reference,
    }


def _at_risk(*, moment: datetime, filters: ReportFilters) -> dict[str, Any] | None:
    """The customers at risk at ``moment`` (``reviews``' measure, most reasons first), only
    those with cases within the report's filters."""
    risks = customers_at_risk(now=moment)
    if filters.key and risks:
        within = set(
            cases_for(filters)
            .filter(customer_id__in=[r.id for r in risks])
            .order_by()
            .values_list("customer_id", flat=True)
            .distinct()
        )
        risks = [r for r in risks if r.id in within]
    if not risks:
        return None
    return {
        "count": len(risks),
        "customers": [
            {"id": r.id, "name": r.name, "reasons": len(r.reasons)} for r in risks[:AT_RISK_NAMED]
        ],
    }


def _recurring_causes(*, periods: Sequence[Period], filters: ReportFilters) -> list[dict[str, Any]]:
    """Per root cause of the cases resolved over ``periods``: its name, the cases per week."""
    rows = (
        cases_for(filters)
        .filter(resolved_in(periods), root_cause__isnull=False)
        .order_by()
        .values("root_cause_id", "root_cause__name")
        .annotate(week=WeekIndex("resolved_at", periods))
        .values_list("root_cause_id", "root_cause__name", "week")
    )
    weeks: dict[tuple[int, str], list[int]] = defaultdict(lambda: [0] * len(periods))
    for cause_id, name, week in rows:
        if 0 <= week < len(periods):
            weeks[(cause_id, name)][week] += 1
    return [
        {"root_cause_id": cause_id, "cause": name, "weeks": counts}
        for (cause_id, name), counts in sorted(weeks.items())
    ]


# --- The sentences, written at render time ---------------------------------------------------


@dataclass(frozen=True)
class Sentence:
    """One sentence of the summary and where its figure or cases are listed."""

    key: str
    text: str
    url: str
    link_text: str


def _number(value: float, decimals: int = 0) -> str:
    # Rounded here: number_format cuts the digits beyond ``decimal_pos`` off.
    return formats.number_format(
        round(value, decimals), decimal_pos=decimals, use_l10n=True, force_grouping=True
    )


def _measure_value(measure: Measure, value: float) -> str:
    return f"{_number(value, 1)}%" if measure.is_rate else _number(value)


def _measure_label(measure: Measure) -> str:
    labels = {
        "breaches": _("SLA breaches"),
        "backlog": _("cases open at the end of the week"),
        "response_compliance": _("first-response SLA compliance"),
        "resolution_compliance": _("resolution SLA compliance"),
    }
    return labels[measure.key]


class _Writer:
    def __init__(self, payload: Mapping[str, Any], links: FigureLinks, base_url: str) -> None:
        self.payload = payload
        self.links = links
        self.base = base_url
        self.facts: Mapping[str, Any] = payload.get("narrative_facts") or {}

    def sentence(self, key: str, text: str, url: str, *, leads_to: str = "cases") -> Sentence:
        """``leads_to``: what the link opens, "cases" (a list), "case" or "figures"."""
        link_text = {
            "cases": _("the cases"),
            "case": _("the case"),
            "figures": _("the figures"),
        }[leads_to]
        return Sentence(key=key, text=text, url=f"{self.base}{url}", link_text=link_text)

    def page_url(self, anchor: str) -> str:
        path = reverse("reports:weekly", kwargs={"week": self.links.week})
        query = "&".join(f"{k}={v}" for k, v in self.links.filters.as_params().items())
        return f"{path}{'?' + query if query else ''}#{anchor}"

    def change(self) -> Sentence | None:
        """The headline measure that moved most since the week before, in cases."""
        now, before = self.payload["headline"], self.payload["previous"]
        ranked = sorted(
            ((change_effect(m, now, before), m) for m in HIGHLIGHT_MEASURES),
            key=lambda pair: -abs(pair[0]),
        )
        effect, measure = ranked[0]
        if abs(effect) < MIN_EFFECT:
            return None
        values = {
            "measure": _measure_label(measure),
            "before": _measure_value(measure, before[measure.key]),
            "after": _measure_value(measure, now[measure.key]),
        }
        if effect > 0:
            text = _(
                "The largest change against last week: %(measure)s improved from %(before)s to "
                "%(after)s."
            )
        else:
            text = _(
                "The largest change against last week: %(measure)s worsened from %(before)s to "
                "%(after)s."
            )
        return self.sentence("change", text % values, self.links.url(COLUMN_METRICS[measure.key]))

    def trend_breaches(self) -> Sentence | None:
        """This week's breaches against the weekly average of the trend's earlier weeks."""
        trend = self.payload["trend"][:-1]
        count = self.payload["headline"]["breaches"]
        earlier = [week["breaches"] for week in trend]
        if len(earlier) < 2:
            return None
        average = sum(earlier) / len(earlier)
        values = {"count": _number(count), "average": _number(average, 1), "weeks": len(earlier)}
        url = self.page_url("trends-title")
        if count == 0 and average == 0:
            return None
        if count == 0:
            text = _(
                "No SLA breaches this week, against an average of %(average)s a week over the "
                "previous %(weeks)s weeks."
            )
        elif average == 0:
            text = ngettext(
                "%(count)s SLA breach this week, after none in the previous %(weeks)s weeks.",
                "%(count)s SLA breaches this week, after none in the previous %(weeks)s weeks.",
                count,
            )
        elif count > max(earlier):
            text = ngettext(
                "%(count)s SLA breach this week, the most in %(weeks)s weeks (average "
                "%(average)s).",
                "%(count)s SLA breaches this week, the most in %(weeks)s weeks (average "
                "%(average)s).",
                count,
            )
            values["weeks"] = len(earlier) + 1  # this week among all the trend's
        elif round(count, 1) > round(average, 1):
            text = ngettext(
                "%(count)s SLA breach this week, above the average of %(average)s over the "
                "previous %(weeks)s weeks.",
                "%(count)s SLA breaches this week, above the average of %(average)s over the "
                "previous %(weeks)s weeks.",
                count,
            )
        elif round(count, 1) < round(average, 1):
            text = ngettext(
                "%(count)s SLA breach this week, below the average of %(average)s over the "
                "previous %(weeks)s weeks.",
                "%(count)s SLA breaches this week, below the average of %(average)s over the "
                "previous %(weeks)s weeks.",
                count,
            )
        else:
            text = ngettext(
                "%(count)s SLA breach this week, in line with the average over the previous "
                "%(weeks)s weeks.",
                "%(count)s SLA breaches this week, in line with the average over the previous "
                "%(weeks)s weeks.",
                count,
            )
        return self.sentence("trend_breaches", text % values, url, leads_to="figures")

    def trend_compliance(self) -> Sentence | None:
        """Resolution compliance against the average of the earlier weeks that had one."""
        rate = self.payload["headline"].get("resolution_compliance")
        earlier = [
            w["resolution_compliance"]
            for w in self.payload["trend"][:-1]
            if w.get("resolution_compliance") is not None
        ]
        if rate is None or len(earlier) < 2:
            return None
        average = sum(earlier) / len(earlier)
        gap = round(rate - average, 1)
        values = {
            "rate": _number(rate, 1),
            "points": _number(abs(gap), 1),
            "average": _number(average, 1),
            "weeks": len(earlier),
        }
        if gap > 0:
            text = _(
                "Resolution SLA met for %(rate)s%% of deadlines, %(points)s points above the "
                "%(weeks)s-week average of %(average)s%%."
            )
        elif gap < 0:
            text = _(
                "Resolution SLA met for %(rate)s%% of deadlines, %(points)s points below the "
                "%(weeks)s-week average of %(average)s%%."
            )
        else:
            text = _(
                "Resolution SLA met for %(rate)s%% of deadlines, the same as the %(weeks)s-week "
                "average."
            )
        return self.sentence(
            "trend_compliance", text % values, self.page_url("trends-title"), leads_to="figures"
        )

    def strategic(self) -> Sentence | None:
        found = self.payload.get("strategic_breaches") or {}
        total, rows = found.get("total") or 0, found.get("rows") or []
        if not total or not rows:
            return None
        worst = rows[0]  # the payload orders them by severity, then by first breach
        values = {
            "count": _number(total),
            "reference": worst["reference"],
            "severity": worst["severity"],
            "customer": worst["customer"],
        }
        text = ngettext(
            "%(count)s case of a strategic customer breached its SLA; the worst: %(reference)s, "
            "%(severity)s for %(customer)s.",
            "%(count)s cases of strategic customers breached their SLA; the worst: "
            "%(reference)s, %(severity)s for %(customer)s.",
            total,
        )
        url = self.links.group_url("breached_cases", "tier", Tier.STRATEGIC.value)
        return self.sentence("strategic", text % values, url)

    def recurring_cause(self) -> Sentence | None:
        """The cause behind most cases among those resolved this week that also came up in
        other recent weeks."""
        candidates = [
            c
            for c in self.facts.get("recurring_causes") or []
            if c["weeks"][-1] and sum(1 for n in c["weeks"] if n) >= RECURRING_MIN_WEEKS
        ]
        if not candidates:
            return None
        cause = max(
            candidates, key=lambda c: (sum(c["weeks"]), c["weeks"][-1], -c["root_cause_id"])
        )
        this_week, weeks = cause["weeks"][-1], cause["weeks"]
        values = {
            "cause": cause["cause"],
            "count": _number(this_week),
            "total": _number(sum(weeks)),
            "seen": sum(1 for n in weeks if n),
            "weeks": len(weeks),
        }
        text = ngettext(
            "Recurring root cause: %(cause)s, behind %(count)s case resolved this week and "
            "%(total)s in %(seen)s of the last %(weeks)s weeks.",
            "Recurring root cause: %(cause)s, behind %(count)s cases resolved this week and "
            "%(total)s in %(seen)s of the last %(weeks)s weeks.",
            this_week,
        )
        url = self.links.url("resolved", root_cause_id=cause["root_cause_id"])
        return self.sentence("recurring_cause", text % values, url)

    def at_risk(self) -> Sentence | None:
        found = self.facts.get("at_risk")
        if not found:
            return None
        count = found["count"]
        names = ", ".join(c["name"] for c in found["customers"])
        text = ngettext(
            "%(count)s customer at risk: %(names)s.",
            "%(count)s customers at risk, first of all %(names)s.",
            count,
        )
        url = reverse("reviews:risk")
        return self.sentence(
            "at_risk", text % {"count": _number(count), "names": names}, url, leads_to="figures"
        )

    def overdue_actions(self) -> Sentence | None:
        found = self.facts.get("overdue_actions")
        if not found:
            return None
        count = found["count"]
        due = formats.date_format(date.fromisoformat(found["oldest_due_on"]), "j M Y")
        text = ngettext(
            "%(count)s corrective action overdue at the end of the week, due on %(due)s (review "
            "of %(reference)s).",
            "%(count)s corrective actions overdue at the end of the week, the oldest due on "
            "%(due)s (review of %(reference)s).",
            count,
        )
        values = {"count": _number(count), "due": due, "reference": found["reference"]}
        url = reverse("reviews:review", kwargs={"reference": found["reference"]})
        return self.sentence("overdue_actions", text % values, url, leads_to="case")

    def fastest_s1(self) -> Sentence | None:
        found = self.facts.get("fastest_s1")
        if not found:
            return None
        values = {
            "reference": found["reference"],
            "customer": found["customer"],
            "duration": format_duration(found["seconds"]),
        }
        text = _(
            "Success story: %(reference)s, an S1 for %(customer)s, resolved in %(duration)s of "
            "business time, the fastest S1 this week."
        )
        url = reverse("cases:detail", kwargs={"reference": found["reference"]})
        return self.sentence("fastest_s1", text % values, url, leads_to="case")

    def best_team(self) -> Sentence | None:
        """The team whose figures improved most since the week before (the sum of its changes,
        in cases), told by its largest improvement."""
        best: tuple[float, dict[str, Any], Measure, float] | None = None
        for row in self.payload["breakdowns"].get("team", []):
            if row["key"] is None:
                continue
            effects = [(change_effect(m, row, row["previous"]), m) for m in HIGHLIGHT_MEASURES]
            total = sum(e for e, _m in effects)
            top_effect, top = max(effects, key=lambda pair: pair[0])
            if total >= MIN_EFFECT and top_effect > 0 and (best is None or total > best[0]):
                best = (total, row, top, top_effect)
        if best is None:
            return None
        _total, row, measure, _effect = best
        values = {
            "team": row["label"],
            "measure": _measure_label(measure),
            "before": _measure_value(measure, row["previous"][measure.key]),
            "after": _measure_value(measure, row[measure.key]),
        }
        text = _("Most improved team: %(team)s, %(measure)s from %(before)s to %(after)s.")
        url = self.links.group_url(COLUMN_METRICS[measure.key], "team", row["key"])
        return self.sentence("best_team", text % values, url)


def narrative_sentences(
    payload: Mapping[str, Any], *, links: FigureLinks, base_url: str = ""
) -> list[Sentence]:
    """The summary of a report ``payload`` whose figures ``links`` point at, in order: what
    changed most, the 12-week trend, strategic customers' breaches, a recurring root cause,
    customers at risk, overdue corrective actions, then the success stories. ``base_url``
    prefixes the links (``SITE_URL`` in the PDF and mail)."""
    writer = _Writer(payload, links, base_url)
    parts = (
        writer.change,
        writer.trend_breaches,
        writer.trend_compliance,
        writer.strategic,
        writer.recurring_cause,
        writer.at_risk,
        writer.overdue_actions,
        writer.fastest_s1,
        writer.best_team,
    )
    return [s for s in (part() for part in parts) if s is not None]


def payload_links(payload: Mapping[str, Any]) -> FigureLinks:
    """The links of a payload's own week and filters (for the PDF, which has no request)."""
    filters = payload.get("filters") or {}
    return FigureLinks(
        week=IsoWeek.parse(payload["week"]),
        filters=ReportFilters(team_id=filters.get("team"), tier=filters.get("tier")),
    )
