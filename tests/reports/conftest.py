"""A known fortnight of escalations, so every figure of the report can be checked by hand.

The report week is 2026-W10 (Monday 2 to Sunday 8 March 2026, Amsterdam, UTC+1); the week
before is 2026-W09 (23 February to 1 March). Tests run "now" = Monday 9 March 06:00, when W10
has just ended. Cases (team SD = Service desk, FS = Field support):

  c1  SD Acme(strategic) S1  raised W10 Mon 09:00, resolved Tue 10:00, cause Software/Bug;
      response met Mon 09:30; resolution met, 5 h business time.
  c2  SD Beta(premium)   S2  raised W10 Tue 09:00, resolved Thu 12:00, cause Software/Bug;
      response met Tue 09:20; resolution breached Wed 17:00, stopped late, 10 h.
  c3  FS Gamma(standard) S3  raised W10 Wed 10:00, in progress;
      response breached Wed 14:00 (still running); update breached Thu 10:00.
  c4  FS Acme            S2  raised W09 Thu 10:00, resolved W10 Mon 11:00 (across weeks), cause
      Network (top level); response met W09 Thu 10:30; resolution met, 2 h.
  c5  SD Beta            S3  raised W09 Fri 15:00, resolved W10 Wed 12:00; paused (waiting on
      the customer) from W09 Fri 17:00 to W10 Tue 09:00: resolution met, 3 h of business time
      (pause excluded); response met W09 Fri 15:10; update breached W09 Sat 10:00.
  c7  FS Gamma           S4  raised W08 Wed 18 Feb, resolved in W09 then reopened twice in W10
      (resolved_at cleared), in progress.
  c8  SD Gamma           S3  raised 40 days before the end of W10, still new.
  c9  SD Acme            S2  raised W10 Fri 16:00, new; response breached Fri 17:00.
  c10 SD Gamma           S4  raised W10 Sun 23:59, new.
  c6  SD Gamma           S3  raised Mon 9 March 00:30 local (Sunday 23:30 UTC): week W11.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from cases.models import Case, EventKind, Severity, Status, Tier
from reports.weeks import IsoWeek
from tests.factories import (
    CaseFactory,
    CategoryFactory,
    CustomerFactory,
    ProductFactory,
    RootCauseFactory,
)
from tests.reports.factories import (
    CaseEventFactory,
    ClockKind,
    breached_clock,
    met_clock,
    resolved_case,
)

AMS = ZoneInfo("Europe/Amsterdam")
W09, W10, W11 = IsoWeek(2026, 9), IsoWeek(2026, 10), IsoWeek(2026, 11)
HOUR = 3600


def at(month: int, day: int, hour: int = 0, minute: int = 0, year: int = 2026) -> datetime:
    """A moment on the Amsterdam wall clock."""
    return datetime(year, month, day, hour, minute, tzinfo=AMS)


NOW = at(3, 9, 6)


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings) -> None:  # type: ignore[no-untyped-def]
    # The personas get real passwords; a fast hasher keeps these tests about reports.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@dataclass
class Fortnight:
    cases: dict[str, Case]
    teams: dict[str, Any]
    customers: dict[str, Any]


@pytest.fixture
def fortnight(db: None, service_desk, other_team, alice) -> Fortnight:  # type: ignore[no-untyped-def]
    sd, fs = service_desk, other_team
    acme = CustomerFactory(name="Acme", tier=Tier.STRATEGIC)
    beta = CustomerFactory(name="Beta", tier=Tier.PREMIUM)
    gamma = CustomerFactory(name="Gamma", tier=Tier.STANDARD)
    product = ProductFactory(name="Payments")
    category = CategoryFactory(name="Outage")
    software = RootCauseFactory(name="Software")
    bug = RootCauseFactory(name="Bug", parent=software)
    network = RootCauseFactory(name="Network")
    common = {"product": product, "category": category, "raised_by": alice}

    c1 = resolved_case(
        raised_at=at(3, 2, 9), resolved_at=at(3, 3, 10), team=sd, customer=acme,
        severity=Severity.S1, root_cause=bug, **common,
    )  # fmt: skip
    met_clock(c1, ClockKind.RESPONSE, stopped_at=at(3, 2, 9, 30), elapsed=30 * 60)
    met_clock(c1, ClockKind.RESOLUTION, stopped_at=at(3, 3, 10), elapsed=5 * HOUR)

    c2 = resolved_case(
        raised_at=at(3, 3, 9), resolved_at=at(3, 5, 12), team=sd, customer=beta,
        severity=Severity.S2, root_cause=bug, **common,
    )  # fmt: skip
    met_clock(c2, ClockKind.RESPONSE, stopped_at=at(3, 3, 9, 20), elapsed=20 * 60)
    breached_clock(
        c2, ClockKind.RESOLUTION, breached_at=at(3, 4, 17), stopped_at=at(3, 5, 12),
        elapsed=10 * HOUR,
    )  # fmt: skip

    c3 = CaseFactory(
        raised_at=at(3, 4, 10), team=fs, customer=gamma, severity=Severity.S3,
        status=Status.IN_PROGRESS, **common,
    )  # fmt: skip
    breached_clock(c3, ClockKind.RESPONSE, breached_at=at(3, 4, 14))
    breached_clock(c3, ClockKind.UPDATE, breached_at=at(3, 5, 10))

    c4 = resolved_case(
        raised_at=at(2, 26, 10), resolved_at=at(3, 2, 11), team=fs, customer=acme,
        severity=Severity.S2, root_cause=network, **common,
    )  # fmt: skip
    met_clock(c4, ClockKind.RESPONSE, stopped_at=at(2, 26, 10, 30), elapsed=30 * 60)
    met_clock(c4, ClockKind.RESOLUTION, stopped_at=at(3, 2, 11), elapsed=2 * HOUR)

    c5 = resolved_case(
        raised_at=at(2, 27, 15), resolved_at=at(3, 4, 12), team=sd, customer=beta,
        severity=Severity.S3, **common,
    )  # fmt: skip
    met_clock(c5, ClockKind.RESPONSE, stopped_at=at(2, 27, 15, 10), elapsed=10 * 60)
    paused = int((at(3, 3, 9) - at(2, 27, 17)).total_seconds())
    met_clock(
        c5, ClockKind.RESOLUTION, stopped_at=at(3, 4, 12), elapsed=3 * HOUR,
        paused_seconds=paused,
    )  # fmt: skip
    breached_clock(c5, ClockKind.UPDATE, breached_at=at(2, 28, 10), stopped_at=at(3, 3, 9),
                   elapsed=5 * HOUR)  # fmt: skip

    c7 = CaseFactory(
        raised_at=at(2, 18, 10), team=fs, customer=gamma, severity=Severity.S4,
        status=Status.IN_PROGRESS, reopen_count=2, **common,
    )  # fmt: skip
    CaseEventFactory(case=c7, kind=EventKind.RESOLVED, created_at=at(2, 25, 10))
    CaseEventFactory(case=c7, kind=EventKind.REOPENED, created_at=at(3, 5, 9))
    CaseEventFactory(case=c7, kind=EventKind.RESOLVED, created_at=at(3, 5, 15))
    CaseEventFactory(case=c7, kind=EventKind.REOPENED, created_at=at(3, 6, 9))

    c8 = CaseFactory(
        raised_at=at(3, 9) - timedelta(days=40), team=sd, customer=gamma,
        severity=Severity.S3, **common,
    )  # fmt: skip
    c9 = CaseFactory(raised_at=at(3, 6, 16), team=sd, customer=acme, severity=Severity.S2, **common)
    breached_clock(c9, ClockKind.RESPONSE, breached_at=at(3, 6, 17))
    c10 = CaseFactory(
        raised_at=at(3, 8, 23, 59), team=sd, customer=gamma, severity=Severity.S4, **common
    )
    c6 = CaseFactory(
        raised_at=at(3, 9, 0, 30), team=sd, customer=gamma, severity=Severity.S3, **common
    )
    cases = {
        "c1": c1, "c2": c2, "c3": c3, "c4": c4, "c5": c5, "c6": c6, "c7": c7, "c8": c8,
        "c9": c9, "c10": c10,
    }  # fmt: skip
    return Fortnight(
        cases=cases,
        teams={"sd": sd, "fs": fs},
        customers={"acme": acme, "beta": beta, "gamma": gamma},
    )
