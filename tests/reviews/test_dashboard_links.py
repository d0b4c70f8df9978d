"""Each count of the manager's dashboard links to the list of the cases it counts."""

from __future__ import annotations

from datetime import timedelta
from html.parser import HTMLParser

import pytest
from django.urls import reverse
from django.utils import timezone

from cases.models import Status
from sla.models import CaseClock, ClockKind
from tests.conftest import client_for
from tests.factories import CaseFactory, TeamFactory, UserFactory
from tests.reviews.factories import ReviewFactory

pytestmark = pytest.mark.django_db

HOUR = timedelta(hours=1)
DASHBOARD = reverse("reviews:dashboard")


class Links(HTMLParser):
    """(href, text) of the links in the dashboard's summary cards and SLA table."""

    def __init__(self) -> None:
        super().__init__()
        self.links: list[tuple[str, str]] = []
        self._href: str | None = None
        self._text = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            self._href, self._text = dict(attrs).get("href") or "", ""

    def handle_data(self, data: str) -> None:
        if self._href is not None:
            self._text += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "a" and self._href is not None:
            self.links.append((self._href.replace("&amp;", "&"), self._text.strip()))
            self._href = None


def section(page: str, heading_id: str) -> str:
    start = page.index(f'id="{heading_id}"')
    return page[start : page.index("</section>", start)]


def links_in(html: str) -> list[tuple[str, str]]:
    parser = Links()
    parser.feed(html)
    return parser.links


def open_case(team, *, due_in: timedelta | None = None, warn_in: timedelta | None = None, **kw):  # type: ignore[no-untyped-def]
    case = CaseFactory(team=team, status=Status.IN_PROGRESS, **kw)
    if due_in is not None:
        now = timezone.now()
        CaseClock.objects.create(
            case=case,
            kind=ClockKind.RESOLUTION,
            target_seconds=3600,
            started_at=now - 2 * HOUR,
            due_at=now + due_in,
            warn_at=now + (warn_in if warn_in is not None else due_in - HOUR),
        )
    return case


def some_work(team) -> None:  # type: ignore[no-untyped-def]
    open_case(team, due_in=-HOUR)  # breached
    open_case(team, due_in=-HOUR, owner=UserFactory())  # breached, assigned
    open_case(team, due_in=HOUR / 2, warn_in=-HOUR / 4)  # at risk
    open_case(team, due_in=5 * HOUR)  # on track
    open_case(team)  # no clock


def queue_count(client, href: str) -> int:  # type: ignore[no-untyped-def]
    response = client.get(href)
    assert response.status_code == 200, href
    assert not response.context["page"].errors, href
    return len(response.context["page"].rows)


def test_every_sla_count_of_a_one_team_manager_lists_its_cases(bob) -> None:  # type: ignore[no-untyped-def]
    platform = TeamFactory(name="Platform", lead=bob)
    some_work(platform)
    some_work(TeamFactory(name="Elsewhere"))  # not bob's: never in his lists
    client = client_for(bob)
    page = client.get(DASHBOARD).content.decode()
    table = links_in(section(page, "sla-heading"))
    # Five states and the total, for Platform and for the totals row.
    assert len(table) == 12
    for href, text in table:
        assert href.startswith("/cases/?"), href
        assert queue_count(client, href) == int(text), href
    cards = dict((text, href) for href, text in links_in(section(page, "summary-heading")))
    assert queue_count(client, cards["3"]) == 3  # breached or at risk
    assert queue_count(client, cards["4"]) == 4  # unassigned


def test_a_manager_of_every_team_gets_totals_over_the_whole_queue(bob) -> None:  # type: ignore[no-untyped-def]
    some_work(TeamFactory(name="A"))
    some_work(TeamFactory(name="B"))
    open_case(None, due_in=-HOUR)  # no team: counted, but the queue cannot list it alone
    client = client_for(bob)
    page = client.get(DASHBOARD).content.decode()
    table = links_in(section(page, "sla-heading"))
    # A and B: six links each; the "No team" row has none; the totals row six.
    assert len(table) == 18
    for href, text in table:
        assert queue_count(client, href) == int(text), href
    assert ("/cases/?sla=breached", "5") in table


def test_a_manager_of_several_teams_gets_each_teams_counts_linked(bob) -> None:  # type: ignore[no-untyped-def]
    management = TeamFactory(name="Management", lead=bob)
    some_work(TeamFactory(name="Desk", escalates_to=management))
    some_work(management)
    client = client_for(bob)
    table = links_in(section(client.get(DASHBOARD).content.decode(), "sla-heading"))
    # The queue filters one team at a time: the totals over both stay plain figures.
    assert len(table) == 12
    for href, text in table:
        assert "team=" in href and queue_count(client, href) == int(text), href


def test_review_counts_link_to_the_due_and_overdue_reviews(bob) -> None:  # type: ignore[no-untyped-def]
    today = timezone.localdate()
    ReviewFactory(due_on=today - timedelta(days=1))
    ReviewFactory(due_on=today + timedelta(days=2))
    ReviewFactory(due_on=today + timedelta(days=3))
    client = client_for(bob)
    cards = links_in(section(client.get(DASHBOARD).content.decode(), "summary-heading"))
    reviews = {text: href for href, text in cards if href.startswith(reverse("reviews:list"))}
    assert reviews == {"2 due": "/learning/reviews/?state=due", "1 overdue": (
        "/learning/reviews/?state=overdue"
    )}  # fmt: skip
    for text, href in reviews.items():
        listed = client.get(href).context["page"]
        assert len(listed.object_list) == int(text.split()[0])
