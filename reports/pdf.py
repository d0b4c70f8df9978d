"""The whole report as a PDF, rendered by WeasyPrint from a print template.

WeasyPrint runs no JavaScript, so the charts are drawn as static SVG from the chart definitions
the page's Chart.js charts use (reports.charts): the same kind, series and colours.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone

from reports.charts import report_charts, svg_geometry
from reports.narrative import narrative_sentences, payload_links
from reports.periods import ReportPeriod
from reports.presentation import headline_cards, tables_for
from reports.presentation_periods import period_cards, period_charts, period_tables
from reports.weeks import IsoWeek


def report_pdf_html(payload: dict[str, Any], *, filter_text: str) -> str:
    """The print document WeasyPrint lays out: self-contained (styles and SVG inline)."""
    charts = report_charts(payload)
    return render_to_string(
        "reports/weekly_pdf.html",
        {
            "week": IsoWeek.parse(payload["week"]),
            "payload": payload,
            "cards": headline_cards(payload),
            "tables": tables_for(payload),
            "charts": [(chart, svg_geometry(chart)) for chart in charts],
            "filter_text": filter_text,
            "printed_at": timezone.now(),
            # The opening summary, its links absolute (a PDF is read away from the site).
            "sentences": narrative_sentences(
                payload, links=payload_links(payload), base_url=settings.SITE_URL
            ),
        },
    )


def period_pdf_html(payload: dict[str, Any], *, filter_text: str) -> str:
    """A month's, quarter's or range's print document: the page's cards, charts and tables
    (``reports.presentation_periods``) from the page's own payload."""
    period = ReportPeriod.parse(payload["period"])
    charts = period_charts(report_charts(payload), grain=period.grain)
    return render_to_string(
        "reports/period_pdf.html",
        {
            "period": period,
            "payload": payload,
            "cards": period_cards(payload),
            "tables": period_tables(payload),
            "charts": [(chart, svg_geometry(chart)) for chart in charts],
            "filter_text": filter_text,
            "printed_at": timezone.now(),
        },
    )


def report_pdf(payload: dict[str, Any], *, filter_text: str) -> bytes:
    return html_pdf(report_pdf_html(payload, filter_text=filter_text))


def html_pdf(html: str) -> bytes:
    """A self-contained print document (styles and SVG inline) as a PDF; any other app's
    printout (contract statements) goes through here too."""
    # Imported here: WeasyPrint loads its native libraries (Pango) on import, which only the
    # PDF needs.
    from weasyprint import HTML

    # Everything the template needs is inline (styles, SVG): no URL is fetched while rendering.
    return HTML(string=html, url_fetcher=_refuse_fetch).write_pdf()


def _refuse_fetch(url: str, *args: Any, **kwargs: Any) -> dict[str, Any]:
    raise ValueError(f"the report PDF loads no external resources ({url})")
