"""Business calendars as the clock arithmetic needs them, built once per calendar revision.

The database keeps a calendar as rows (time zone, working hours per weekday, holidays); the
pure functions of ``sla.clock`` want a ``clock.Calendar``. Building one costs two queries, so
each process keeps the ones it built, keyed by (id, revision): every change to the hours or the
holidays gives the calendar a new revision (``calendar_changed``), and the next clock that
reads the calendar row with its policy sees the new key and rebuilds it.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections import OrderedDict
from datetime import date

from django.conf import settings
from django.db import transaction

from sla import clock
from sla.models import BusinessCalendar, Holiday, WorkingHours

logger = logging.getLogger(__name__)

_CACHE_SIZE = 128
_cache: OrderedDict[tuple[int, uuid.UUID], clock.Calendar] = OrderedDict()
_lock = threading.Lock()


def calendar_for(calendar: BusinessCalendar) -> clock.Calendar:
    """The ``clock.Calendar`` of a calendar row (cached per id and revision)."""
    key = (calendar.pk, calendar.revision)
    with _lock:
        cached = _cache.get(key)
        if cached is not None:
            _cache.move_to_end(key)
            return cached
    built = calendar_build(calendar)
    with _lock:
        _cache[key] = built
        while len(_cache) > _CACHE_SIZE:
            _cache.popitem(last=False)
    return built


def calendar_default() -> clock.Calendar:
    """24x7 in the site's time zone: for clocks whose policy was deleted."""
    return clock.Calendar.always_open(settings.TIME_ZONE)


def calendar_build(calendar: BusinessCalendar) -> clock.Calendar:
    """Read the hours and holidays of ``calendar`` (two queries) into a ``clock.Calendar``.

    A calendar that is not 24x7 but has no working hours would never reach a deadline; the
    admin refuses to save one, and a row made some other way is treated as 24x7 (with a
    warning in the log) rather than stopping every clock on it.
    """
    if calendar.always_open:
        return clock.Calendar.always_open(calendar.time_zone)
    windows: dict[int, list[clock.Window]] = {}
    for weekday, start, end in WorkingHours.objects.filter(calendar=calendar).values_list(
        "weekday", "start", "end"
    ):
        windows.setdefault(weekday, []).append((start, end))
    holidays: frozenset[date] = frozenset(
        Holiday.objects.filter(calendar=calendar).values_list("date", flat=True)
    )
    if not windows:
        logger.warning("calendar %s has no working hours: counting it as 24x7", calendar.pk)
        return clock.Calendar.always_open(calendar.time_zone)
    return clock.Calendar(
        tz=calendar.time_zone,  # type: ignore[arg-type]
        hours={day: tuple(sorted(ws, key=lambda w: w[0])) for day, ws in windows.items()},
        holidays=holidays,
    )


def calendar_changed(*, calendar: BusinessCalendar) -> None:
    """Give ``calendar`` a new revision after its hours or holidays changed."""
    calendar.revision = uuid.uuid4()
    with transaction.atomic():
        BusinessCalendar.objects.filter(pk=calendar.pk).update(revision=calendar.revision)


def calendar_cache_clear() -> None:
    with _lock:
        _cache.clear()
