"""People's figures over a period, for managers: the known fortnight with owners given to some
cases (alice: c1, c2, c7; charlie: c3, c4), computed by hand for week 10 (2-8 March 2026)."""

from __future__ import annotations

import csv
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cases.models import Case
from reports.people import people_figures
from reports.periods import ReportPeriod, period_span
from reports.selectors import ReportFilters
from tests.conftest import client_for
from tests.factories import UserFactory
from tests.reports.conftest import NOW, Fortnight

pytestmark = pytest.mark.django_db
WEEK_10 = "2026-03-02..2026-03-08"


@pytest.fixture(autouse=True)
def _now(time_machine) -> None:  # type: ignore[no-untyped-def]
    time_machine.move_to(NOW, tick=False)


@pytest.fixture
def owned(fortnight: Fortnight, alice, charlie) -> Fortnight:  # type: ignore[no-untyped-def]
    cases = fortnight.cases
    Case.objects.filter(pk__in=[cases[k].pk for k in ("c1", "c2", "c7")]).update(owner=alice)
    Case.objects.filter(pk__in=[cases[k].pk for k in ("c3", "c4")]).update(owner=charlie)
    return fortnight


def figures(period: str = WEEK_10, filters: ReportFilters | None = None) -> dict[str, object]:
    span = period_span(ReportPeriod.parse(period), now=NOW)
    return {p.name: p for p in people_figures(span=span, filters=filters or ReportFilters())}


def test_each_persons_figures_over_week_10_are_those_counted_by_hand(owned: Fortnight) -> None:
    people = figures()
    alice, charlie = people["Alice"], people["Charlie"]
    # alice: c1 and c2 resolved; c7 reopened (twice: one case); first responses of c1 (30
    # min) and c2 (20 min): median 25 min; c2's resolution breached.
    assert (alice.handled, alice.reopened, alice.touched) == (2, 1, 3)  # type: ignore[attr-defined]
    assert alice.reopen_rate == 33.3  # type: ignore[attr-defined]
    assert alice.response_p50 == 25 * 60  # type: ignore[attr-defined]
    assert alice.breaches == 1  # type: ignore[attr-defined]
    # charlie: c4 resolved; no first response in the week (c3's still runs, breached; c4's
    # was in W09); c3's response and update breached.
    assert (charlie.handled, charlie.reopened, charlie.reopen_rate) == (1, 0, 0.0)  # type: ignore[attr-defined]
    assert charlie.response_p50 is None  # type: ignore[attr-defined]
    assert charlie.breaches == 2  # type: ignore[attr-defined]
    # Cases nobody owns (c5, c8, c9 ...) count for nobody.
    assert set(people) == {"Alice", "Charlie"}


def test_a_team_filter_keeps_only_that_teams_cases(owned: Fortnight) -> None:
    people = figures(filters=ReportFilters(team_id=owned.teams["fs"].pk))
    # Field support: c3, c4 (charlie) and c7 (alice).
    assert people["Alice"].handled == 0  # type: ignore[attr-defined]
    assert people["Alice"].reopened == 1  # type: ignore[attr-defined]
    assert people["Charlie"].breaches == 2  # type: ignore[attr-defined]


def test_the_figures_take_the_same_queries_for_two_people_as_for_twenty(owned: Fortnight) -> None:
    span = period_span(ReportPeriod.parse(WEEK_10), now=NOW)
    with CaptureQueriesContext(connection) as few:
        people_figures(span=span, filters=ReportFilters())
    others = [UserFactory(username=f"person{n}") for n in range(18)]
    for case, person in zip(Case.objects.order_by("pk"), others, strict=False):
        Case.objects.filter(pk=case.pk).update(owner=person)
    with CaptureQueriesContext(connection) as many:
        found = people_figures(span=span, filters=ReportFilters())
    assert len(found) > 2
    assert len(many) == len(few)


def test_a_manager_reads_the_people_page_and_every_figure_links_to_its_cases(
    owned: Fortnight, bob
) -> None:  # type: ignore[no-untyped-def]
    client = client_for(bob)
    response = client.get(reverse("reports:people"), {"period": WEEK_10})
    assert response.status_code == 200
    rows = {row["name"]: row for row in response.context["table"].rows}
    alice = rows["Alice"]
    for column, expected in (("handled", 2), ("breaches", 1), ("reopened", 1)):
        listing = client.get(alice["links"][column])
        assert listing.status_code == 200, column
        assert listing.context["listing"].count == expected, column
    # The median is of two first responses: its list has them.
    listing = client.get(alice["links"]["response_p50_h"])
    assert listing.context["listing"].count == 2
    assert "Owner: Alice" in listing.content.decode()


def test_the_people_page_defaults_to_this_month_and_moves_by_month(owned: Fortnight, bob) -> None:  # type: ignore[no-untyped-def]
    response = client_for(bob).get(reverse("reports:people"))
    assert response.status_code == 200
    assert str(response.context["period"]) == "2026-03"
    page = response.content.decode()
    assert "People, March 2026" in page
    assert "period=2026-02" in page


def test_the_people_figures_download_as_csv(owned: Fortnight, bob) -> None:  # type: ignore[no-untyped-def]
    response = client_for(bob).get(reverse("reports:people"), {"period": WEEK_10, "format": "csv"})
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0][:3] == ["Person", "Cases handled", "Median time to first response"]
    assert [r[0] for r in rows[1:]] == ["Alice", "Charlie"]


def test_a_bad_period_on_the_people_page_is_a_form_error(bob) -> None:  # type: ignore[no-untyped-def]
    response = client_for(bob).get(reverse("reports:people"), {"period": "2026-13"})
    assert response.status_code == 400
    assert "is not a period" in response.content.decode()


def test_an_executive_reads_reports_but_is_refused_peoples_figures(
    owned: Fortnight, erin, alice
) -> None:  # type: ignore[no-untyped-def]
    client = client_for(erin)
    assert client.get(reverse("reports:people")).status_code == 403
    # Nor may the lists behind them be opened by naming an owner.
    cases = reverse("reports:period_cases", kwargs={"period": WEEK_10})
    assert client.get(cases, {"metric": "resolved", "owner": alice.pk}).status_code == 403
    assert client.get(cases, {"metric": "resolved"}).status_code == 200


def test_operators_are_refused_the_people_page(alice, charlie) -> None:  # type: ignore[no-untyped-def]
    for person in (alice, charlie):
        assert client_for(person).get(reverse("reports:people")).status_code == 403
