"""When demo cases were raised: working days and hours, slowly more each month."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from demo.reference import cumulative

# Local hour of day -> relative share of cases raised in it.
HOUR_WEIGHTS = (1, 1, 1, 1, 1, 1, 2, 5, 12, 14, 14, 13, 10, 12, 13, 12, 11, 8, 5, 3, 2, 2, 1, 1)
WEEKDAY_WEIGHTS = (1.0, 1.0, 0.95, 0.95, 0.85, 0.25, 0.2)


def raised_times(
    rng: random.Random, count: int, *, now: int, span_days: int, zone: ZoneInfo
) -> Iterator[int]:
    """`count` moments (epoch seconds) over the last `span_days` days, oldest first.

    Each day gets its share of `count` by weekday and by a trend rising from 0.7 to 1.3 over
    the span (rounded cumulatively, so the shares add up exactly); within a day, the hour by
    HOUR_WEIGHTS in local time, the second uniformly. Nothing lies in the future.
    """
    today = datetime.fromtimestamp(now, zone).date()
    days = [today - timedelta(days=span_days - 1 - d) for d in range(span_days)]
    weights = [
        WEEKDAY_WEIGHTS[day.weekday()] * (0.7 + 0.6 * d / max(1, span_days - 1))
        for d, day in enumerate(days)
    ]
    total = sum(weights)
    hours = list(range(24))
    hour_cum = cumulative(HOUR_WEIGHTS)
    running = 0.0
    given = 0
    for day, weight in zip(days, weights, strict=True):
        running += weight
        upto = round(count * running / total)
        n, given = upto - given, upto
        start = local_midnight(day, zone)
        latest = min(now - 60, local_midnight(day + timedelta(days=1), zone) - 1)
        if latest <= start:
            # Today has barely begun: put its share into the last hour instead of the future.
            start = now - 3600
        picks = []
        for hour in rng.choices(hours, cum_weights=hour_cum, k=n):
            at = start + hour * 3600 + rng.randrange(3600)
            picks.append(at if at <= latest else rng.randint(start, latest))
        picks.sort()
        yield from picks


def local_midnight(day: date, zone: ZoneInfo) -> int:
    return int(datetime.combine(day, time(0), tzinfo=zone).timestamp())
