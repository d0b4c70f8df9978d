"""The weekly PDF: where its page breaks fall, and its charts drawn as the page draws them.

Layout is read from WeasyPrint's document API: every heading, table row and chart of the print
document has an id, and each rendered page lists the ids it holds (``Page.anchors``, with their
position on the page).
"""

from __future__ import annotations

import math
import re
from typing import Any
from xml.etree import ElementTree

import pytest
from django.urls import reverse
from weasyprint import HTML

from reports.charts import Chart, Series, svg_geometry
from reports.payload import report_compute
from reports.pdf import report_pdf_html
from reports.selectors import ReportFilters
from tests.conftest import client_for
from tests.reports.conftest import NOW, W10, Fortnight

pytestmark = pytest.mark.django_db

# Fewer rows than this of a table split over pages is an orphan (the CSS keeps three).
MIN_ROWS = 3
SVG = "{http://www.w3.org/2000/svg}"
ROW = re.compile(r"(?P<table>.+)-row-(?P<number>\d+)$")


@pytest.fixture(autouse=True)
def _now(time_machine) -> None:  # type: ignore[no-untyped-def]
    time_machine.move_to(NOW, tick=False)


@pytest.fixture
def payload(fortnight: Fortnight) -> dict[str, Any]:
    return report_compute(week=W10, filters=ReportFilters(), now=NOW)


class Layout:
    """Where each id of the print document fell: page number, top and bottom on the page."""

    def __init__(self, html: str) -> None:
        self.order = re.findall(r'\sid="([^"]+)"', html)
        self.page: dict[str, int] = {}
        self.top: dict[str, float] = {}
        self.bottom: dict[str, float] = {}
        for number, page in enumerate(HTML(string=html).render().pages, start=1):
            for name, (_, top, _, bottom) in page.anchors.items():
                self.page.setdefault(name, number)
                self.top.setdefault(name, top)
                self.bottom.setdefault(name, bottom)
        assert set(self.order) == set(self.page), "every id lands on a page"

    def rows_per_page(self, table: str) -> dict[int, int]:
        counts: dict[int, int] = {}
        for name in self.order:
            match = ROW.match(name)
            if match and match["table"] == table:
                counts[self.page[name]] = counts.get(self.page[name], 0) + 1
        return counts

    def tables(self) -> set[str]:
        return {m["table"] for m in map(ROW.match, self.order) if m}

    def problems(self) -> list[str]:
        """Lone rows of a split table, and headings separated from what follows them."""
        found = []
        for table in self.tables():
            counts = self.rows_per_page(table)
            least = min(MIN_ROWS, sum(counts.values()))
            found += [
                f"{table}: {n} row(s) on page {page}" for page, n in counts.items() if n < least
            ]
        for name, following in zip(self.order, self.order[1:], strict=False):
            if name.startswith(("section-", "table-")) and self.page[name] != self.page[following]:
                found.append(f"{name} on page {self.page[name]}, {following} on the next")
        return found


def longest_open(payload: dict[str, Any], count: int) -> None:
    """``count`` rows of one height in the "Open longest" table."""
    row = payload["longest_open"][0]
    payload["longest_open"] = [{**row, "reference": f"ESC-{9000 + i}"} for i in range(count)]


def improvements(payload: dict[str, Any], count: int) -> None:
    """``count`` rows in "Largest improvements", the first table of the PDF."""
    item = payload["highlights"]["improvements"][0]
    payload["highlights"]["improvements"] = [{**item, "group": f"Group {i}"} for i in range(count)]


def only_highlights(payload: dict[str, Any]) -> None:
    """Empty tables after the highlights and short trends: a document quicker to lay out."""
    payload["breakdowns"] = {key: [] for key in payload["breakdowns"]}
    payload["trend"] = payload["trend"][-2:]
    payload["top_customers"], payload["root_causes"]["rows"] = [], []


def layout_of(payload: dict[str, Any]) -> Layout:
    return Layout(report_pdf_html(payload, filter_text="All teams, all customers"))


def test_the_report_of_the_fortnight_prints_with_no_orphan(payload: dict[str, Any]) -> None:
    layout = layout_of(payload)
    assert layout.problems() == []
    # Headline figures and highlights on the first page.
    assert layout.page["section-highlights"] == layout.page["longest_open-row-5"] == 1


def test_a_table_pushed_across_a_page_break_leaves_no_lone_row_or_title(
    payload: dict[str, Any],
) -> None:
    """Rows added above "Open longest" push it down over the foot of page 1 in steps of at most
    one of its rows, so it meets the break at every row: its last row alone on page 2 (the
    crawl's orphan), two rows, ... one row under its title on page 1, the title alone."""
    only_highlights(payload)
    longest_open(payload, 40)
    improvements(payload, 2)
    base = layout_of(payload)  # where page 1 ends, and how tall rows and the title are
    step = base.top["improvements-row-2"] - base.top["improvements-row-1"]
    pitch = base.top["longest_open-row-2"] - base.top["longest_open-row-1"]
    assert step < pitch * 1.01, "steps no taller than a row: no way of meeting the break skipped"
    last_fitting = base.bottom[f"longest_open-row-{base.rows_per_page('longest_open')[1]}"]
    foot_low, foot_high = last_fitting, last_fitting + pitch  # page 1 ends in between
    title = base.top["table-longest_open"]
    rows = 2 * MIN_ROWS
    whole = base.bottom[f"longest_open-row-{rows}"] - title
    title_height = base.bottom["table-longest_open"] - title
    first = max(0, math.floor((foot_low - title - whole) / step))
    last = math.ceil((foot_high - title - title_height) / step)

    longest_open(payload, rows)
    split, title_pages = False, set()
    for extra in range(first, last + 1):
        improvements(payload, 2 + extra)
        layout = layout_of(payload)
        assert layout.problems() == [], f"{extra} rows added"
        split |= len(layout.rows_per_page("longest_open")) == 2
        title_pages.add(layout.page["table-longest_open"])
    assert split and title_pages == {1, 2}, "the table crossed the page break"


def svgs(html: str) -> dict[str, ElementTree.Element]:
    charts = [ElementTree.fromstring(s) for s in re.findall(r"<svg\b.*?</svg>", html, re.S)]
    return {svg.get("data-chart", ""): svg for svg in charts}


def test_each_pdf_chart_is_the_kind_the_page_draws(fortnight: Fortnight, erin) -> None:  # type: ignore[no-untyped-def]
    page = client_for(erin).get(reverse("reports:weekly", kwargs={"week": W10}))
    definitions = page.context["charts_data"]  # what Chart.js draws on the page
    pdf = svgs(report_pdf_html(page.context["payload"], filter_text="All teams"))
    assert sorted(pdf) == sorted(d["key"] for d in definitions)
    kinds = {}
    for spec in definitions:
        svg = pdf[spec["key"]]
        assert svg.get("data-kind") == spec["kind"]
        assert (svg.get("data-stacked") == "true") == spec["stacked"]
        drawn = [s["color"] for s in spec["series"] if any(v is not None for v in s["data"])]
        bars = svg.findall(f"{SVG}rect[@class='bar']")
        lines = svg.findall(f"{SVG}polyline[@class='line']")
        if spec["kind"] == "line":
            assert not bars
            assert [line.get("stroke") for line in lines] == drawn
        else:
            assert not lines
            assert sorted({b.get("fill") for b in bars}) == sorted(set(drawn))
        kinds[spec["key"]] = spec["kind"]
    assert kinds == {
        "raised_resolved": "bar",
        "backlog": "line",
        "compliance": "line",
        "resolve_time": "line",
        "breaches": "bar",
        "backlog_age": "bar",
    }


def test_a_line_chart_joins_its_points_over_a_week_without_a_figure() -> None:
    chart = Chart("t", "T", "line", ["W1", "W2", "W3"], [Series("Median", [2.0, None, 4.0], "#0")])
    (line,) = svg_geometry(chart)["lines"]
    assert len(line["points"].split()) == 2 and len(line["dots"]) == 2
    assert svg_geometry(chart)["bars"] == []


def test_a_stacked_bar_chart_stacks_in_the_pdf_as_on_the_page() -> None:
    chart = Chart(
        "t", "T", "bar", ["W1", "W2"],
        [Series("A", [1.0, 2.0], "#a"), Series("B", [3.0, 2.0], "#b")],
        stacked=True,
    )  # fmt: skip
    assert chart.as_chartjs()["stacked"] is True
    bars = svg_geometry(chart)["bars"]
    w1_a, w2_a, w1_b, w2_b = bars
    assert w1_a["x"] == w1_b["x"] and w1_a["w"] == w1_b["w"]  # one column per week
    assert w1_b["y"] + w1_b["h"] == pytest.approx(w1_a["y"], abs=0.2)  # B sits on A
    side_by_side = svg_geometry(Chart("t", "T", "bar", chart.labels, chart.series))["bars"]
    assert side_by_side[0]["x"] != side_by_side[2]["x"]
