"""A training sample's moment on the policy calendar: the batch placement gives the same
instants as walking the calendar one sample at a time (``sla.clock.add_business_time``)."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, time, timedelta

import numpy as np

from forecasts.features import _business_add
from sla.clock import Calendar, add_business_time

# Office hours in Amsterdam with a lunch break, a holiday and the autumn DST change inside.
OFFICE = Calendar(
    tz="Europe/Amsterdam",
    hours={d: ((time(8), time(12)), (time(13), time(18))) for d in range(5)},
    holidays=frozenset({date(2026, 10, 28), date(2026, 12, 25)}),
)
# Open two hours on Mondays only: sparser than the runs laid out per business hour.
SPARSE = Calendar(tz="UTC", hours={0: ((time(9), time(11)),)})


def _walked(calendar: Calendar, starts: np.ndarray, used: np.ndarray) -> list[int]:
    return [
        int(
            add_business_time(
                calendar, datetime.fromtimestamp(int(s), UTC), timedelta(seconds=int(u))
            ).timestamp()
        )
        for s, u in zip(starts, used, strict=True)
    ]


def _samples(rng: random.Random, n: int, *, longest: int) -> tuple[np.ndarray, np.ndarray]:
    base = int(datetime(2026, 10, 1, tzinfo=UTC).timestamp())
    starts = np.array([base + rng.randrange(0, 90 * 86400) for _ in range(n)], dtype=np.int64)
    used = np.array([rng.randrange(1, longest) for _ in range(n)], dtype=np.int64)
    return starts, used


def test_office_hours_moments_match_the_calendar_walk() -> None:
    starts, used = _samples(random.Random(3), 2000, longest=5 * 86400)
    # Starts on an opening, a closing, inside the lunch break and at night, and an answer
    # exactly on a closing time.
    edge = int(datetime(2026, 10, 26, 7, 0, tzinfo=UTC).timestamp())  # 08:00 local
    starts = np.concatenate([starts, [edge, edge + 4 * 3600, edge + 4 * 3600 + 600, edge - 9000]])
    used = np.concatenate([used, [4 * 3600, 1800, 60, 9 * 3600]])

    assert _business_add(OFFICE, starts, used).tolist() == _walked(OFFICE, starts, used)


def test_a_sparse_calendar_beyond_the_laid_out_runs_is_walked() -> None:
    starts, used = _samples(random.Random(5), 50, longest=30 * 3600)

    assert _business_add(SPARSE, starts, used).tolist() == _walked(SPARSE, starts, used)
