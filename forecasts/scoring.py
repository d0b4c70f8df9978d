"""Scoring running clocks with the active model: stored ``ClockRisk`` rows, and one warning per
clock cycle to the case's owner when its risk reaches FORECAST_RISK_PERCENT."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import partial

import numpy as np
from django.conf import settings
from django.core.cache import cache
from django.db import connection, transaction
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from threadpoolctl import ThreadpoolController

from cases.models import Case
from forecasts.features import Frame, running_frame, team_open_loads
from forecasts.models import ClockRisk, RiskWarning
from forecasts.reasons import predict_explained
from forecasts.selectors import risk_threshold
from forecasts.services import forecaster_active
from forecasts.training import Forecaster
from sla.models import ClockKind, NotificationKind
from sla.notifications import Message, notifications_send

logger = logging.getLogger(__name__)

SCORE_CHUNK = 20_000
# Stored in the language the scoring runs in, like the model's reasons (``forecast``).
BREACHED_REASON = gettext_noop("the deadline has already passed")
# The open load of every team, as the last full scoring run counted it (for one case's score).
TEAM_LOADS_CACHE = "forecasts:team-open-loads"
# Found once per process: building a controller scans the loaded libraries (~6 ms a call).
_THREADPOOLS: list[ThreadpoolController] = []


@dataclass(frozen=True)
class ScoreResult:
    scored: int
    warned: int
    removed: int
    version: int | None


def risks_score_all(*, now: datetime, chunk: int = SCORE_CHUNK) -> ScoreResult:
    """Score every running clock of the open cases, ``chunk`` clocks at a time.

    1. Read the active model once; none yet: nothing to do.
    2. Walk the running clocks in id order (keyset), each chunk read, predicted, explained
       and upserted in one transaction, with its warnings.
    3. Remove the risks this run did not rewrite: clocks that stopped, cases that closed.
    """
    active = forecaster_active()
    if active is None:
        return ScoreResult(scored=0, warned=0, removed=0, version=None)
    scored = warned = 0
    last = 0
    loads = team_open_loads()
    cache.set(TEAM_LOADS_CACHE, loads, timeout=2 * settings.FORECAST_SCORE_SECONDS)
    while True:
        frame = running_frame(now=now, after_clock=last, limit=chunk, loads=loads)
        if len(frame) == 0:
            break
        warned += _store(frame, active, now=now)
        scored += len(frame)
        last = int(frame.clock_ids.max())
    removed, _kinds = ClockRisk.objects.filter(scored_at__lt=now).delete()
    return ScoreResult(scored=scored, warned=warned, removed=removed, version=active[0])


def case_risks_score(*, case_id: int, now: datetime) -> ScoreResult:
    """Score one case's running clocks now (and forget the risks of its stopped ones)."""
    active = forecaster_active()
    if active is None:
        return ScoreResult(scored=0, warned=0, removed=0, version=None)
    # The teams' open loads of the last scoring run: counting a team's open cases costs
    # ~180 ms at 1M cases (40,000 open in one team), most of one case's time.
    loads = _cached_loads()
    frame = running_frame(now=now, limit=len(ClockKind.values), case_ids=[case_id], loads=loads)
    with transaction.atomic():  # one commit, not two
        warned = _store(frame, active, now=now) if len(frame) else 0
        removed, _kinds = (
            ClockRisk.objects.filter(case_id=case_id)
            .exclude(clock_id__in=frame.clock_ids.tolist())
            .delete()
        )
    return ScoreResult(scored=len(frame), warned=warned, removed=removed, version=active[0])


def forecast(forecaster: Forecaster, frame: Frame) -> tuple[np.ndarray, list[list[str]]]:
    """Each clock's probability and reasons. A clock that has breached already (on record, or
    past its deadline) is certain: 1.0, and the model is asked about the others only."""
    breached = frame.extra.get("breached", np.zeros(len(frame), dtype=bool))
    probabilities = np.ones(len(frame), dtype=np.float64)
    reasons: list[list[str]] = [[_(BREACHED_REASON)] for _row in range(len(frame))]
    ahead = np.flatnonzero(~breached)
    if len(ahead):
        part = frame.take(ahead)
        # One thread: on a busy machine OpenMP's thread start-up costs more than the work.
        with _threadpools().limit(limits=1):
            predicted, explained = predict_explained(forecaster, part)
        probabilities[ahead] = np.clip(predicted, 0.0, 1.0)
        for i, words in zip(ahead.tolist(), explained, strict=True):
            reasons[i] = words
    return probabilities, reasons


def _cached_loads() -> dict[int, int] | None:
    try:
        loads = cache.get(TEAM_LOADS_CACHE)
    except Exception:  # a cache outage costs the count, not the scoring
        logger.warning("forecasts: team loads cache unavailable; counting", exc_info=True)
        return None
    return loads if isinstance(loads, dict) else None


def _threadpools() -> ThreadpoolController:
    if not _THREADPOOLS:
        _THREADPOOLS.append(ThreadpoolController())
    return _THREADPOOLS[0]


def _store(frame: Frame, active: tuple[int, Forecaster], *, now: datetime) -> int:
    version, forecaster = active
    probabilities, reasons = forecast(forecaster, frame)
    with transaction.atomic():
        _upsert(frame, probabilities, reasons, version=version, now=now)
        return _warn(frame, probabilities, reasons, forecaster=forecaster, now=now)


def _upsert(
    frame: Frame,
    probabilities: np.ndarray,
    reasons: list[list[str]],
    *,
    version: int,
    now: datetime,
) -> None:
    """Write a chunk's risks in one INSERT ... ON CONFLICT over unnested arrays: the ORM's
    bulk_create built a model instance per row (1.2 s of 2.0 s CPU for 6,761 clocks)."""
    table = ClockRisk._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            INSERT INTO {table}
                (clock_id, case_id, kind, cycle, probability, reasons, model_version, scored_at)
            SELECT r.clock_id, r.case_id, r.kind, r.cycle, r.probability, r.reasons::jsonb,
                   %(version)s, %(now)s
            FROM unnest(%(clocks)s::bigint[], %(cases)s::bigint[], %(kinds)s::text[],
                        %(cycles)s::int[], %(probabilities)s::float8[], %(reasons)s::text[])
                 AS r(clock_id, case_id, kind, cycle, probability, reasons)
            ON CONFLICT (clock_id) DO UPDATE SET
                case_id = EXCLUDED.case_id, kind = EXCLUDED.kind, cycle = EXCLUDED.cycle,
                probability = EXCLUDED.probability, reasons = EXCLUDED.reasons,
                model_version = EXCLUDED.model_version, scored_at = EXCLUDED.scored_at
            """,
            {
                "version": version,
                "now": now,
                "clocks": frame.clock_ids.tolist(),
                "cases": frame.case_ids.tolist(),
                "kinds": [str(k) for k in frame.columns["kind"]],
                "cycles": frame.extra["cycle"].tolist(),
                "probabilities": np.round(probabilities, 4).tolist(),
                "reasons": [json.dumps(words) for words in reasons],
            },
        )


def _warn(
    frame: Frame,
    probabilities: np.ndarray,
    reasons: list[list[str]],
    *,
    forecaster: Forecaster,
    now: datetime,
) -> int:
    """Warn each owner once per clock cycle whose risk reached the threshold: the unique
    RiskWarning row claims the cycle (INSERT ... ON CONFLICT DO NOTHING RETURNING), so two
    scoring runs never warn twice. The notification uses the SLA warning kind (no new kind:
    the SLA app's migrations are not ours to add). Each owner reads it in their language."""
    risky = np.flatnonzero(probabilities >= risk_threshold())
    if len(risky) == 0:
        return 0
    values = [
        (int(frame.clock_ids[i]), int(frame.extra["cycle"][i]), float(probabilities[i]), now)
        for i in risky
    ]
    with connection.cursor() as cursor:
        placeholders = ", ".join(["(%s, %s, %s, %s)"] * len(values))
        cursor.execute(
            f"INSERT INTO {RiskWarning._meta.db_table} (clock_id, cycle, probability, created_at)"
            f" VALUES {placeholders} ON CONFLICT (clock_id, cycle) DO NOTHING RETURNING clock_id",
            [v for row in values for v in row],
        )
        claimed = {row[0] for row in cursor.fetchall()}
    if not claimed:
        return 0
    index = {int(frame.clock_ids[i]): int(i) for i in risky}
    cases = Case.objects.select_related("owner").in_bulk(
        {int(frame.case_ids[index[c]]) for c in claimed}
    )
    told: list[tuple[int, Case]] = []  # (frame row, case) of each warning with an owner
    for clock_id in sorted(claimed):
        case = cases.get(int(frame.case_ids[index[clock_id]]))
        if case is not None and case.owner is not None:
            told.append((index[clock_id], case))
    reasons_of = _reasons_in_language(
        forecaster, frame, rows=[i for i, _case in told], reasons=reasons
    )
    notifications_send(
        Message(
            recipients=[case.owner],
            kind=NotificationKind.SLA_WARNING,
            subject=partial(
                _warning_subject,
                case,
                kind=ClockKind(str(frame.columns["kind"][i])),
                percent=round(100 * float(probabilities[i])),
            ),
            body=partial(_warning_body, reasons_of, i),
            case=case,
        )
        for i, case in told
    )
    return len(claimed)


def _reasons_in_language(
    forecaster: Forecaster, frame: Frame, *, rows: list[int], reasons: list[list[str]]
) -> Callable[[int], list[str]]:
    """The reasons of ``frame``'s row ``i`` (one of ``rows``) in the active language: in the
    scoring's own language those it found, in another the warned rows explained again, once
    per language (one model call for those rows, not one per warning)."""
    written = {translation.get_language(): {i: reasons[i] for i in rows}}

    def of(i: int) -> list[str]:
        language = translation.get_language()
        if language not in written:
            _probabilities, again = forecast(forecaster, frame.take(np.array(rows, dtype=int)))
            written[language] = dict(zip(rows, again, strict=True))
        return written[language][i]

    return of


# A warning's texts, written in the active language (``notifications_send`` calls them once
# per language of the owners).


def _warning_subject(case: Case, *, kind: ClockKind, percent: int) -> str:
    return f"{case.reference}: " + _("%(kind_label)s: %(percent)s%% likely to breach") % {
        "kind_label": kind.label,
        "percent": percent,
    }


def _warning_body(reasons_of: Callable[[int], list[str]], i: int) -> str:
    return _("Why: %(reasons)s.") % {"reasons": "; ".join(reasons_of(i))}
