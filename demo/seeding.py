"""`seed_cases`: make sure a number of realistic demo cases exist."""

from __future__ import annotations

import random
import time as clock
from collections.abc import Callable
from datetime import datetime
from typing import Protocol
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from cases.models import Case, CaseEvent, Customer, Status, Tier
from demo.clocks import case_marks
from demo.reference import Reference
from demo.story import Draft, Generator
from demo.times import raised_times
from demo.writers import BulkWriter, CopyWriter, can_copy
from escalation.db import is_postgresql
from sla.models import CaseClock, EscalationRecord, SlaBreach

BATCH = 10_000
TROUBLE = (
    # tier, severity, category, status, business minutes since raised (on the policy's
    # calendar), business minutes the response took
    (Tier.STRATEGIC, "S1", "Outage", Status.NEW, 25, None),
    (Tier.PREMIUM, "S2", "Performance", Status.ACKNOWLEDGED, 950, 40),
    (Tier.STRATEGIC, "S2", "Integration", Status.IN_PROGRESS, 485, 20),
    (Tier.STANDARD, "S1", "Connectivity", Status.NEW, 50, None),
)


class Writable(Protocol):
    """Where progress goes: a file, sys.stdout or a management command's OutputWrapper."""

    def write(self, msg: str, /) -> object: ...


def seed_cases(
    *,
    total: int,
    stdout: Writable,
    span_days: int = 730,
    open_share: float = 0.1,
    seed: int = 7,
    now: datetime | None = None,
) -> int:
    """Make sure at least `total` cases exist; create the missing ones. Returns how many.

    1. Count the cases; stop if there are enough.
    2. Spread the missing ones over the last `span_days` days (oldest first, so references
       follow time); about `open_share` of them stay open, nearly all among the newest.
    3. The newest few are in trouble on purpose: deadlines just passed or about to (in
       business time), including a strategic customer's S1, which the SLA engine picks up at
       its first sweep; nothing else is due.
    4. Build and write them in batches, one transaction each, so an interrupted run resumes.
    """
    if total < 0 or span_days < 1 or not 0 <= open_share <= 1:
        raise ValueError("total >= 0, span_days >= 1 and 0 <= open_share <= 1 are required")
    existing = Case.objects.count()
    missing = total - existing
    if missing <= 0:
        return 0
    moment = int((now or timezone.now()).timestamp())
    rng = random.Random(f"{seed}:{existing}:{total}")
    ref = Reference()
    generator = Generator(ref, rng, moment)
    writer = CopyWriter() if can_copy() else BulkWriter()
    zone = ZoneInfo(settings.TIME_ZONE)
    open_target = round(missing * open_share)
    trouble_count = min(len(TROUBLE), open_target)
    trouble = _trouble_drafts(generator, ref, trouble_count)
    normal = missing - trouble_count
    is_open = _open_picker(rng, normal, open_target - trouble_count)

    stdout.write(
        f"Generating {missing} demo cases (about {open_target} open) in batches of {BATCH}...\n"
    )
    started = clock.monotonic()
    drafts: list[Draft] = []
    created = 0
    for index, raised in enumerate(
        raised_times(rng, normal, now=moment, span_days=span_days, zone=zone)
    ):
        drafts.append(generator.draft(raised, is_open(index)))
        if len(drafts) >= BATCH:
            created += _flush(writer, drafts)
            drafts = []
            rate = created / max(clock.monotonic() - started, 1e-6)
            stdout.write(f"  {created}/{missing} cases ({rate:,.0f}/s)\n")
    created += _flush(writer, drafts + trouble(moment))
    stdout.write(f"  {created}/{missing} cases in {clock.monotonic() - started:.1f} s\n")
    return created


def _open_picker(rng: random.Random, count: int, open_count: int) -> Callable[[int], bool]:
    """Whether the case at chronological position i stays open: the newest mostly, and a few
    forgotten old ones."""
    if count <= 0 or open_count <= 0:
        return lambda i: False
    window = round(open_count * 0.95 / 0.85)
    if window >= count:
        share = open_count / count
        return lambda i: rng.random() < share
    old_share = open_count * 0.05 / (count - window)
    cutoff = count - window
    return lambda i: rng.random() < (0.85 if i >= cutoff else old_share)


def _trouble_drafts(
    generator: Generator, ref: Reference, count: int
) -> Callable[[int], list[Draft]]:
    """The demo's cases in trouble, raised minutes ago (built at flush time, after the rest)."""
    by_tier: dict[str, list[Customer]] = {}
    for customer in ref.customers:
        by_tier.setdefault(customer.tier, []).append(customer)
    categories = {c.name: c for c in ref.categories}

    def build(now: int) -> list[Draft]:
        drafts = []
        for tier, severity, category, status, minutes, response in TROUBLE[:count]:
            customer = (by_tier.get(tier) or ref.customers)[0]
            business = ref.policies[(customer.tier, severity)].business
            drafts.append(
                generator.draft(
                    business.before(now, minutes * 60),
                    True,
                    customer=customer,
                    severity=severity,
                    category=categories.get(category) or ref.categories[0],
                    status=status,
                    response_after=response * 60 if response else None,
                    engine_caught_up=False,
                )
            )
        return drafts

    return build


def _flush(writer: BulkWriter, drafts: list[Draft]) -> int:
    if not drafts:
        return 0
    with transaction.atomic():
        if is_postgresql(connection):
            with connection.cursor() as cursor:
                # Demo data: losing the last batch in a crash is fine, waiting on fsync is not.
                cursor.execute("SET LOCAL synchronous_commit = off")
        for draft in drafts:
            # What the clock sync would have stored on the case (next_due_at included).
            draft.case.update(case_marks(draft.clocks, severity=draft.case["severity"]))
        ids = writer.cases([d.case for d in drafts])
        events, clocks, records, facts = [], [], [], []
        for pk, draft in zip(ids, drafts, strict=True):
            for rows in (draft.events, draft.clocks, draft.records, draft.facts):
                for row in rows:
                    row["case_id"] = pk
            events += draft.events
            clocks += draft.clocks
            records += draft.records
            facts += draft.facts
        writer.rows(CaseEvent, events)
        writer.rows(CaseClock, clocks)
        writer.rows(EscalationRecord, records)
        writer.rows(SlaBreach, facts)
    return len(drafts)
