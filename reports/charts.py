"""The report's charts, described once: Chart.js draws them on the page, and the PDF (WeasyPrint
runs no JavaScript) gets the same charts as static SVG computed here, of the same kind (bars or
lines, stacked or not), series and colours. Each chart carries a sentence saying what it shows,
for readers who cannot see it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from django.utils.translation import gettext as _

from reports.numbers import localized
from reports.presentation import format_duration, hours

# Okabe–Ito colours: distinguishable with the common colour-vision deficiencies.
BLUE, ORANGE, GREEN, VERMILION, PURPLE, GREY = (
    "#0072B2",
    "#E69F00",
    "#009E73",
    "#D55E00",
    "#CC79A7",
    "#6c757d",
)


ChartKind = Literal["bar", "line"]


@dataclass
class Series:
    label: str
    values: list[float | None]
    color: str


@dataclass
class Chart:
    key: str
    title: str
    kind: ChartKind  # Chart.js's chart type; the PDF draws the same
    labels: list[str]
    series: list[Series]
    unit: str = ""  # "", "%", "h"
    stacked: bool = False  # bars (or lines) of one label stack up instead of standing side by side
    summary: str = ""
    table: list[dict[str, Any]] = field(default_factory=list)

    def as_chartjs(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "kind": self.kind,
            "stacked": self.stacked,
            "unit": self.unit,
            "labels": self.labels,
            "series": [{"label": s.label, "data": s.values, "color": s.color} for s in self.series],
        }


def _fmt(value: float | None, unit: str) -> str:
    if value is None:
        return "—"
    if unit == "%":
        return localized(f"{value:.1f}%")
    if unit == "h":
        return format_duration(value * 3600) if value else "0 h"
    return localized(f"{value:,.0f}" if float(value).is_integer() else f"{value:,.1f}")


def _summary(chart: Chart) -> str:
    parts = []
    for s in chart.series:
        now = s.values[-1]
        before = s.values[-2] if len(s.values) > 1 else None
        known = [v for v in s.values if v is not None]
        text = _("%(series)s: %(value)s in %(label)s") % {
            "series": s.label,
            "value": _fmt(now, chart.unit),
            "label": chart.labels[-1],
        }
        if len(chart.labels) > 1:
            text += " " + _("(%(value)s the week before)") % {"value": _fmt(before, chart.unit)}
        if len(known) > 1:
            text += "; " + _("between %(low)s and %(high)s over these %(weeks)s weeks") % {
                "low": _fmt(min(known), chart.unit),
                "high": _fmt(max(known), chart.unit),
                "weeks": len(chart.labels),
            }
        parts.append(text)
    return ". ".join(parts) + "."


def _table(chart: Chart) -> list[dict[str, Any]]:
    return [
        {"label": label, "values": [_fmt(s.values[i], chart.unit) for s in chart.series]}
        for i, label in enumerate(chart.labels)
    ]


def report_charts(payload: dict[str, Any]) -> list[Chart]:
    """The report's charts in page order, each with its sentence and its table of values."""
    charts = [*_trend_charts(payload["trend"]), _backlog_age_chart(payload["backlog_age"])]
    for chart in charts:
        chart.summary = (
            _backlog_age_summary(chart) if chart.key == "backlog_age" else _summary(chart)
        )
        chart.table = _table(chart)
    return charts


def _trend_charts(trend: list[dict[str, Any]]) -> list[Chart]:
    """The charts of the last weeks' figures, one label per week."""
    # A month's or quarter's buckets (reports.periods) carry their own short label.
    weeks = [row.get("label") or "W" + row["week"].split("-W")[1] for row in trend]

    def col(key: str, convert: Any = None) -> list[float | None]:
        return [convert(row.get(key)) if convert else row.get(key) for row in trend]

    return [
        Chart(
            "raised_resolved",
            _("Escalations raised and resolved"),
            "bar",
            weeks,
            [
                Series(_("Raised"), col("raised"), BLUE),
                Series(_("Resolved"), col("resolved"), GREEN),
            ],
        ),
        Chart(
            "backlog",
            _("Open at the end of each week"),
            "line",
            weeks,
            [Series(_("Open"), col("backlog"), ORANGE)],
        ),
        Chart(
            "compliance",
            _("SLA compliance"),
            "line",
            weeks,
            [
                Series(_("First response"), col("response_compliance"), BLUE),
                Series(_("Resolution"), col("resolution_compliance"), VERMILION),
            ],
            unit="%",
        ),
        Chart(
            "resolve_time",
            _("Time to resolve (business hours)"),
            "line",
            weeks,
            [
                Series(_("Median"), col("resolve_p50", hours), GREEN),
                Series(_("90th percentile"), col("resolve_p90", hours), PURPLE),
            ],
            unit="h",
        ),
        Chart(
            "breaches",
            _("SLA breaches and reopened cases"),
            "bar",
            weeks,
            [
                Series(_("Breaches"), col("breaches"), VERMILION),
                Series(_("Reopened"), col("reopened"), GREY),
            ],
        ),
    ]


def _backlog_age_chart(rows: list[dict[str, Any]]) -> Chart:
    return Chart(
        "backlog_age",
        _("Age of the open backlog"),
        "bar",
        [row["bucket"] for row in rows],
        [Series(_("Open cases"), [row["cases"] for row in rows], ORANGE)],
    )


def _backlog_age_summary(chart: Chart) -> str:
    total = sum(v or 0 for v in chart.series[0].values)
    ages = ", ".join(
        _("%(count)s aged %(age)s") % {"count": v, "age": label}
        for label, v in zip(chart.labels, chart.series[0].values, strict=True)
    )
    return _("%(total)s open cases: %(ages)s") % {"total": total, "ages": ages}


# --- Static SVG for the PDF ------------------------------------------------------------------

SVG_WIDTH, SVG_HEIGHT = 520, 190
PLOT_LEFT, PLOT_RIGHT, PLOT_TOP, PLOT_BOTTOM = 44, 8, 10, 36


def _nice_max(value: float, unit: str) -> float:
    if unit == "%":
        return 100.0
    if value <= 0:
        return 1.0
    magnitude = 10 ** (len(str(int(value))) - 1)
    for step in (1, 2, 2.5, 5, 10):
        if step * magnitude >= value:
            return float(step * magnitude)
    return float(10 * magnitude)


def _highest(chart: Chart) -> float:
    if chart.stacked:
        return max(
            (sum(s.values[i] or 0 for s in chart.series) for i in range(len(chart.labels))),
            default=0,
        )
    return max((v for s in chart.series for v in s.values if v is not None), default=0)


def svg_geometry(chart: Chart) -> dict[str, Any]:
    """Axes, labels and marks of ``chart`` in SVG coordinates (templates/reports/_svg_chart.html).

    A bar chart gets ``bars`` (side by side per label, or one column when stacked), a line chart
    ``lines`` through each series' points (gaps spanned, as ``spanGaps`` does on the page), so the
    PDF shows the kind of chart the page shows.
    """
    plot_w = SVG_WIDTH - PLOT_LEFT - PLOT_RIGHT
    plot_h = SVG_HEIGHT - PLOT_TOP - PLOT_BOTTOM
    top = _nice_max(_highest(chart), chart.unit)
    slot = plot_w / max(len(chart.labels), 1)

    def y_of(value: float) -> float:
        return round(PLOT_TOP + plot_h - plot_h * value / top, 1)

    bars, lines = _svg_marks(chart, slot=slot, y_of=y_of)
    return {
        "width": SVG_WIDTH,
        "height": SVG_HEIGHT,
        "left": PLOT_LEFT,
        "right": SVG_WIDTH - PLOT_RIGHT,
        "baseline": PLOT_TOP + plot_h,
        "label_y": PLOT_TOP + plot_h + 14,
        "bars": bars,
        "lines": lines,
        "ticks": [{"y": y_of(top * f), "label": _fmt(top * f, chart.unit)} for f in (0, 0.5, 1)],
        "labels": [
            {"x": round(PLOT_LEFT + gi * slot + slot / 2, 1), "text": label}
            for gi, label in enumerate(chart.labels)
        ],
        "legend_y": SVG_HEIGHT - 12,
        "legend": [
            {
                "label": s.label,
                "color": s.color,
                "x": PLOT_LEFT + i * 120,
                "text_x": PLOT_LEFT + i * 120 + 11,
            }
            for i, s in enumerate(chart.series)
        ],
    }


def _svg_marks(
    chart: Chart, *, slot: float, y_of: Callable[[float], float]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The bars and the lines of ``chart``, ``slot`` wide per label."""
    columns = 1 if chart.stacked else max(len(chart.series), 1)
    bar_w = slot * 0.8 / columns
    bars, lines = [], []
    base = [0.0] * len(chart.labels)  # the top of each label's stack so far
    for si, s in enumerate(chart.series):
        points = []
        for gi, value in enumerate(s.values):
            if value is None:
                continue
            low = base[gi] if chart.stacked else 0.0
            high = low + value
            if chart.stacked:
                base[gi] = high
            title = f"{s.label} {chart.labels[gi]}: {_fmt(value, chart.unit)}"
            if chart.kind == "bar":
                x = PLOT_LEFT + gi * slot + slot * 0.1 + (0 if chart.stacked else si) * bar_w
                bars.append(
                    {
                        "x": round(x, 1),
                        "y": y_of(high),
                        "w": round(bar_w, 1),
                        "h": round(y_of(low) - y_of(high), 1),
                        "color": s.color,
                        "title": title,
                    }
                )
            else:
                x = round(PLOT_LEFT + gi * slot + slot / 2, 1)
                points.append({"x": x, "y": y_of(high), "title": title})
        if chart.kind == "line" and points:
            lines.append(
                {
                    "color": s.color,
                    "points": " ".join(f"{p['x']},{p['y']}" for p in points),
                    "dots": points,
                }
            )
    return bars, lines
