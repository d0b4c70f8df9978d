"""The PDF of a month, a quarter or a range: the page's figures, charts and tables, printed,
for the known fortnight (tests/reports/conftest.py, "now" = Monday 9 March 2026 06:00)."""

from __future__ import annotations

import re

import pytest
from weasyprint import HTML

from reports.pdf import period_pdf_html
from tests.conftest import client_for
from tests.reports.conftest import NOW, Fortnight

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _now(time_machine) -> None:  # type: ignore[no-untyped-def]
    time_machine.move_to(NOW, tick=False)


def test_an_executive_downloads_februarys_report_as_a_pdf(fortnight: Fortnight, erin) -> None:  # type: ignore[no-untyped-def]
    client = client_for(erin)
    page = client.get("/reports/2026-02/")
    assert 'href="/reports/2026-02/pdf/"' in page.content.decode()
    response = client.get("/reports/2026-02/pdf/")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'inline; filename="escalations-2026-02.pdf"'
    assert response.content.startswith(b"%PDF-")


def test_the_pdf_prints_the_pages_own_figures_charts_and_tables(fortnight: Fortnight, erin) -> None:  # type: ignore[no-untyped-def]
    page = client_for(erin).get("/reports/2026-02/")
    html = period_pdf_html(page.context["payload"], filter_text="All teams")
    assert "Escalations, February 2026" in html
    cards = {c.key: c for c in page.context["cards"]}
    printed = dict(
        re.findall(r'card-label">([^<]+)</div>\s*<div class="card-value">([^<]+)<', html)
    )
    assert printed == {c.label: c.value for c in cards.values()}
    assert cards["raised"].value == "3" and cards["breaches"].value == "1"
    assert "worse: 0 in January 2026" in html
    charts = sorted(re.findall(r'class="chart" id="chart-([^"]+)"', html))
    assert charts == sorted(c["key"] for c in page.context["charts_data"])
    for key in page.context["tables"]:
        if key != "headline":  # the cards print the headline
            assert f'id="table-{key}"' in html, key
    pages = HTML(string=html).render().pages
    anchors = {name for p in pages for name in p.anchors}
    assert {"section-headline", "section-trend", "section-breakdowns"} <= anchors


def test_a_filtered_range_pdf_is_named_after_both(fortnight: Fortnight, bob) -> None:  # type: ignore[no-untyped-def]
    response = client_for(bob).get("/reports/2026-03-02..2026-03-08/pdf/?tier=premium")
    assert response.status_code == 200
    assert (
        'filename="escalations-2026-03-02_2026-03-08-tier-premium.pdf"'
        in response["Content-Disposition"]
    )


def test_a_bad_filter_is_a_400_and_a_future_period_a_404(fortnight: Fortnight, bob) -> None:  # type: ignore[no-untyped-def]
    client = client_for(bob)
    bad = client.get("/reports/2026-02/pdf/?tier=platinum-plus")
    assert bad.status_code == 400
    assert b"tier" in bad.content
    assert client.get("/reports/2026-05/pdf/").status_code == 404
    assert client.get("/reports/2026-13/pdf/").status_code == 404


def test_an_operator_may_not_download_a_periods_pdf(fortnight: Fortnight, alice) -> None:  # type: ignore[no-untyped-def]
    response = client_for(alice).get("/reports/2026-02/pdf/")
    assert response.status_code == 403
    assert not response.content.startswith(b"%PDF-")
