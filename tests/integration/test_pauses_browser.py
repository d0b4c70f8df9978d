"""A manager opens the pause analytics in a real browser, reads the figures, narrows the range
(and is told when it is wrong), and follows a team's waiting time to its cases."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from cases.models import Case, EventKind, Status, Team
from reports.forms_pauses import default_range
from reports.weeks import report_zone
from tests.factories import TeamFactory
from tests.reports.factories import CaseClockFactory, CaseEventFactory, ReportCaseFactory

pytestmark = [pytest.mark.integration, pytest.mark.browser]

SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"
HOUR = 3600


def paused(team: Team, raised: datetime, pauses: list[tuple[int, int]], **clock: Any) -> Case:
    """A resolved case raised at ``raised`` and paused for each (start hour, hours) after it."""
    case = ReportCaseFactory(team=team, raised_at=raised, status=Status.RESOLVED)
    for start, hours in pauses:
        began = raised + timedelta(hours=start)
        CaseEventFactory(
            case=case, kind=EventKind.STATUS, to_value=Status.WAITING, created_at=began
        )
        CaseEventFactory(
            case=case,
            kind=EventKind.STATUS,
            from_value=Status.WAITING,
            to_value=Status.IN_PROGRESS,
            created_at=began + timedelta(hours=hours),
        )
    if clock:
        CaseClockFactory(case=case, started_at=raised, **clock)
    return case


def month_of_pauses() -> list[Case]:
    """In the default range (the four ISO weeks before this one), on a 24x7 clock of 11 h: one
    case of the service desk paused three times for 6 h in all (the second pause with 1 h of
    11 left: shortly before a breach), stopped right at its deadline: met, and saved by its
    pauses; one case of field support paused once for 5 h."""
    first, _ = default_range(now=timezone.now())
    monday = datetime.combine(first, time(9), tzinfo=report_zone()) + timedelta(days=7)
    desk, field = TeamFactory(name="Service desk"), TeamFactory(name="Field support")
    repeated = paused(
        desk,
        monday,
        [(2, 1), (11, 4), (16, 1)],
        target_seconds=11 * HOUR,
        due_at=monday + timedelta(hours=17),
        warn_at=monday,
        stopped_at=monday + timedelta(hours=17),
        met=True,
        elapsed_seconds=11 * HOUR,
        paused_seconds=6 * HOUR,
        late_seconds=0,
    )
    other = paused(field, monday + timedelta(days=1), [(1, 5)])
    return [repeated, other]


@pytest.mark.django_db(transaction=True)
def test_a_manager_reads_the_pauses_and_follows_a_team_to_its_cases(
    live_server, page: Page, bob, password
) -> None:  # type: ignore[no-untyped-def]
    repeated, other = month_of_pauses()
    page.set_viewport_size({"width": 1400, "height": 900})
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(f"{live_server.url}/accounts/login/?next=/reports/pauses/")
    page.get_by_label("Username").fill("bob")
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Pauses: waiting on the customer")

    # 1 + 4 + 1 h on the desk's case, 5 h on field support's.
    expect(page.locator("#figure-waiting")).to_contain_text("11.0 h")
    expect(page.locator("#figure-waiting")).to_contain_text("on 2 cases (4 pauses)")
    expect(page.locator("#figure-shortly")).to_contain_text("on 1 case · of 4 pauses begun (25.0%)")
    expect(page.locator("#figure-shortly a")).to_have_text("1")
    expect(page.locator("#figure-repeated a")).to_have_text("1")
    expect(page.locator("#figure-saved")).to_contain_text("100.0%")
    expect(page.locator("#by-team")).to_contain_text("Service desk")
    expect(page.locator("#pause-definitions")).to_contain_text("less than 20% of its target left")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / "reports-pauses.png", full_page=True)

    page.get_by_label("To (included)").fill("2020-01-01")
    page.get_by_role("button", name="Apply").click()
    expect(page.locator("#pauses-errors")).to_be_visible()
    expect(page.get_by_text("The range must end on or after its first day.")).to_be_visible()
    page.screenshot(path=SCREENSHOTS / "reports-pauses-error.png", full_page=True)
    page.get_by_role("link", name="Last four weeks").click()

    page.locator("#by-team").get_by_role("link", name="6.0 h").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Waiting on the customer · Service desk"
    )
    expect(page.locator("#pause-cases")).to_contain_text(repeated.reference)
    expect(page.locator("#pause-cases")).not_to_contain_text(other.reference)
    page.screenshot(path=SCREENSHOTS / "reports-pauses-cases.png", full_page=True)
    assert not errors
