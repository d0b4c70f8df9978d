"""One demo case's story: who raised it when, how it moved, how its SLA clocks ran.

Times are whole epoch seconds; the writers turn them into timestamps.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from cases.demo.reference import SEVERITY_WEIGHTS, Policy, Reference, cumulative
from cases.models import Category, Customer, EventKind, Impact, Source, Status, Team
from sla.models import ClockKind

# Local hour of day -> relative share of cases raised in it.
HOUR_WEIGHTS = (1, 1, 1, 1, 1, 1, 2, 5, 12, 14, 14, 13, 10, 12, 13, 12, 11, 8, 5, 3, 2, 2, 1, 1)
WEEKDAY_WEIGHTS = (1.0, 1.0, 0.95, 0.95, 0.85, 0.25, 0.2)
IMPACTS = {
    "S1": (Impact.BUSINESS, Impact.SITE),
    "S2": (Impact.SITE, Impact.SEVERAL_USERS),
    "S3": (Impact.SEVERAL_USERS, Impact.SINGLE_USER),
    "S4": (Impact.SINGLE_USER,),
}
# Probability that the response / resolution deadline was met, per severity.
RESPONSE_MET = {"S1": 0.92, "S2": 0.9, "S3": 0.86, "S4": 0.88}
RESOLUTION_MET = {"S1": 0.8, "S2": 0.82, "S3": 0.87, "S4": 0.92}
MANUAL_ASSIGN = {"S1": 0.5, "S2": 0.35, "S3": 0.15, "S4": 0.08}
SYMPTOMS = {
    "Outage": ("unavailable for all users", "down after the maintenance window", "returns 503"),
    "Performance": ("pages take over 30 seconds", "nightly jobs overrun", "latency spikes at peak"),
    "Data integrity": ("duplicate records after import", "totals differ from the ledger"),
    "Security": ("suspicious logins from abroad", "user sees another account's data"),
    "Connectivity": ("VPN tunnel drops every few minutes", "branch office cannot connect"),
    "Integration": ("webhooks fail with 401", "ERP sync stuck since last night"),
    "Billing dispute": ("invoice charged twice", "discount missing on renewal"),
}
TRIED = (
    "Restarted the client and cleared the cache.",
    "Checked the status page; nothing reported.",
    "Reproduced with a second account.",
    "",
)
SUMMARIES = (
    "Identified the {cause} and applied a fix; confirmed with the customer.",
    "Rolled back the change behind the {cause}; service verified by the customer.",
    "Worked around the {cause}; permanent fix tracked as a corrective action.",
)


@dataclass
class Draft:
    """One case being generated: its columns, timeline events and clocks (times in epoch s)."""

    case: dict[str, Any]
    events: list[dict[str, Any]]
    clocks: list[dict[str, Any]]


class Generator:
    """Builds case drafts; every random choice comes from one seeded `random.Random`."""

    def __init__(self, ref: Reference, rng: random.Random, now: int) -> None:
        self.ref = ref
        self.rng = rng
        self.now = now
        self.severities = list(SEVERITY_WEIGHTS)
        self.severity_cum = cumulative(list(SEVERITY_WEIGHTS.values()))

    # -- the parts of a case ---------------------------------------------------------------

    def _owner(self, team: Team) -> int | None:
        owners = self.ref.owners.get(team.pk) or []
        return self.rng.choice(owners) if owners else None

    def _escalation_target(self, team: Team, category: Category | None) -> Team | None:
        target_id = (category.specialist_team_id if category else None) or team.escalates_to_id
        target = self.ref.teams.get(target_id) if target_id else None
        return target if target is not None and target.pk != team.pk else None

    def draft(
        self,
        raised: int,
        is_open: bool,
        *,
        customer: Customer | None = None,
        severity: str | None = None,
        category: Category | None = None,
        status: str | None = None,
        response_after: int | None = None,
        engine_caught_up: bool = True,
    ) -> Draft:
        """One case raised at `raised`: open or finished, with its events and clocks.

        1. Pick who and what (customer, severity, product...), then the moments it moved
           through: acknowledged, perhaps waiting on the customer, resolved, closed.
        2. Run its clocks over those moments as the engine would have.
        3. Tell the timeline: breaches escalate it to the next team, or a manager moves it.
        4. Finish it with a root cause and summary when it is resolved.
        """
        rng, ref = self.rng, self.ref
        if customer is None:
            customer = rng.choices(ref.customers, cum_weights=ref.customer_cum)[0]
        if severity is None:
            severity = rng.choices(self.severities, cum_weights=self.severity_cum)[0]
        if category is None:
            category = rng.choice(ref.categories)
        policy = ref.policies[(customer.tier, severity)]
        case = self._columns(raised, customer, severity, category)
        story = self._moments(raised, is_open, policy, severity, status, response_after)

        response = clock_row(
            ClockKind.RESPONSE, policy, policy.response, raised, self.now, stop=story.ack
        )
        resolution = clock_row(
            ClockKind.RESOLUTION,
            policy,
            policy.resolution,
            raised,
            self.now,
            stop=story.resolved,
            paused_seconds=0 if story.waiting_now else story.paused,
            paused_at=story.wait_start if story.waiting_now else None,
        )
        clocks = [response, resolution]
        if not engine_caught_up:
            for row in clocks:
                row["warned_at"] = row["breached_at"] = None

        events = [event_row(raised, case["raised_by_id"], EventKind.RAISED, to_value=severity)]
        team, owner, last_update = self._handling(story, clocks, category, severity, events)
        cause = None
        if story.resolved is not None:
            cause = rng.choice(ref.causes)
            case["resolution_summary"] = rng.choice(SUMMARIES).format(cause=cause.name.lower())
            events.append(
                event_row(
                    story.resolved,
                    owner,
                    EventKind.RESOLVED,
                    to_value=str(cause),
                    body=case["resolution_summary"],
                    data={"root_cause": cause.pk},
                )
            )
            if story.closed is not None:
                events.append(event_row(story.closed, None, EventKind.CLOSED, "resolved", "closed"))
        events.sort(key=lambda e: e["created_at"])
        running = [
            c["due_at"] for c in clocks if c["stopped_at"] is None and c["paused_at"] is None
        ]
        case.update(
            status=story.status,
            owner_id=owner,
            team_id=team.pk,
            level=team.level,
            first_response_at=story.ack,
            resolved_at=story.resolved,
            closed_at=story.closed,
            last_customer_update_at=last_update,
            updated_at=events[-1]["created_at"],
            root_cause_id=cause.pk if cause else None,
            next_due_at=min(running) if running else None,
        )
        return Draft(case, events, clocks)

    def _columns(
        self, raised: int, customer: Customer, severity: str, category: Category
    ) -> dict[str, Any]:
        rng = self.rng
        product = rng.choice(self.ref.products)
        contacts = self.ref.contacts.get(customer.pk)
        symptom = rng.choice(SYMPTOMS.get(category.name, ("does not work as expected",)))
        return {
            "title": f"{product.name}: {symptom}"[:200],
            "description": (
                f"{customer.name} reports that the {product.name.lower()} {symptom}. "
                f"Category: {category.name.lower()}; first noticed shortly before it was raised."
            ),
            "tried": rng.choice(TRIED),
            "customer_id": customer.pk,
            "contact_id": rng.choice(contacts) if contacts and rng.random() < 0.9 else None,
            "product_id": product.pk,
            "category_id": category.pk,
            "severity": severity,
            "impact": rng.choice(IMPACTS[severity]),
            "raised_by_id": rng.choice(self.ref.raisers),
            "source": Source.API if rng.random() < 0.3 else Source.FORM,
            "raised_at": raised,
            "reopen_count": 0,
            "resolution_summary": "",
        }

    def _moments(
        self,
        raised: int,
        is_open: bool,
        policy: Policy,
        severity: str,
        status: str | None,
        response_after: int | None,
    ) -> Story:
        rng, now = self.rng, self.now
        age = now - raised
        if status is None:
            if not is_open:
                status = Status.RESOLVED
            elif age < 2 * 86400 and rng.random() < (0.7 if age < policy.response else 0.15):
                status = Status.NEW
            else:
                status = rng.choices(
                    (Status.ACKNOWLEDGED, Status.IN_PROGRESS, Status.WAITING), (2, 5, 2)
                )[0]
        story = Story(status=status)
        if status == Status.NEW:
            return story
        if response_after is None:
            met = rng.random() < RESPONSE_MET[severity]
            response_after = int(policy.response * rng.uniform(*_SPREAD[met]))
        ack = raised + max(60, response_after)
        if status not in (Status.RESOLVED, Status.CLOSED):
            story.ack = ack = min(ack, raised + max(60, age // 2))
            if status == Status.WAITING:
                story.wait_start = ack + int((now - ack) * rng.uniform(0.3, 0.95))
                story.waiting_now = True
            elif status == Status.IN_PROGRESS and rng.random() < 0.15:
                story.paused = int((now - ack) * rng.uniform(0.05, 0.3))
                story.wait_start = ack + int((now - ack - story.paused) * rng.uniform(0.1, 0.9))
            return story
        met = rng.random() < RESOLUTION_MET[severity]
        active = max(int(policy.resolution * rng.uniform(*_SPREAD[met])), ack - raised + 600)
        paused, wait_start = 0, None
        if rng.random() < 0.2:
            paused = int(rng.uniform(0.5, 48) * 3600)
            wait_start = ack + int((raised + active - ack) * rng.uniform(0.2, 0.7))
        resolved = raised + active + paused
        if resolved > now - 120:
            # Too recent to have finished as drawn: squeeze the story into the time there was.
            scale = max(0.0, (now - 120 - raised) / (resolved - raised))
            ack = raised + int((ack - raised) * scale)
            paused = int(paused * scale)
            if wait_start is not None:
                wait_start = raised + int((wait_start - raised) * scale)
            resolved = min(now - 60, raised + int((resolved - raised) * scale))
        story.ack, story.paused, story.wait_start, story.resolved = (
            ack,
            paused,
            wait_start,
            resolved,
        )
        if resolved < now - 5 * 86400 and rng.random() < 0.97:
            story.closed = min(now - 60, resolved + int(rng.uniform(2, 10) * 86400))
            story.status = Status.CLOSED
        return story

    def _handling(
        self,
        story: Story,
        clocks: list[dict[str, Any]],
        category: Category,
        severity: str,
        events: list[dict[str, Any]],
    ) -> tuple[Team, int | None, int | None]:
        """Append the handling events; return the final team, owner and last customer update."""
        rng, ack = self.rng, story.ack
        team = rng.choice(self.ref.first_line)
        owner = self._owner(team) if ack is not None else None
        end = story.resolved or self.now
        if ack is not None:
            events.append(
                event_row(ack, owner, EventKind.ACKNOWLEDGED, "new", Status.ACKNOWLEDGED.value)
            )
        breaches = sorted((c["breached_at"], c["kind"]) for c in clocks if c["breached_at"])
        for at, kind in breaches:
            events.append(event_row(at, None, EventKind.SLA_BREACH, data={"clock": kind}))
        target = self._escalation_target(team, category)
        if breaches and target is not None and breaches[0][0] + 60 < end:
            at, kind = breaches[0][0] + 60, breaches[0][1]
            data = {"rule": f"{kind}_breach", "team": target.pk}
            reason = f"The {kind} deadline passed."
            events.append(
                event_row(
                    at, None, EventKind.ESCALATED, team.name, target.name, reason=reason, data=data
                )
            )
            team, owner = target, self._owner(target) or owner
        elif ack is not None and target is not None and rng.random() < MANUAL_ASSIGN[severity]:
            at = ack + int((end - ack) * rng.uniform(0.05, 0.3))
            new_owner = self._owner(target) or owner
            data = {"team": target.pk, "owner": new_owner}
            manager = rng.choice(self.ref.managers)
            reason = "Needs the specialists."
            events.append(
                event_row(
                    at,
                    manager,
                    EventKind.ASSIGNED,
                    team.name,
                    target.name,
                    reason=reason,
                    data=data,
                )
            )
            team, owner = target, new_owner
        if ack is None:
            return team, owner, None

        before_wait = Status.ACKNOWLEDGED.value
        if story.status == Status.IN_PROGRESS or (
            story.status != Status.ACKNOWLEDGED and rng.random() < 0.7
        ):
            at = min(ack + 120, (ack + (story.wait_start or end)) // 2)
            events.append(
                event_row(at, owner, EventKind.STATUS, before_wait, Status.IN_PROGRESS.value)
            )
            before_wait = Status.IN_PROGRESS.value
        if story.wait_start is not None:
            waiting = Status.WAITING.value
            events.append(
                event_row(story.wait_start, owner, EventKind.STATUS, before_wait, waiting)
            )
            if not story.waiting_now:
                at = story.wait_start + story.paused
                events.append(event_row(at, owner, EventKind.STATUS, waiting, "in_progress"))
        if rng.random() < (0.9 if severity in ("S1", "S2") else 0.4):
            at = ack + int((end - ack) * rng.uniform(0.3, 0.9))
            body = "We have found the cause and are working on a fix."
            events.append(event_row(at, owner, EventKind.UPDATE, body=body))
            return team, owner, at
        return team, owner, None


@dataclass
class Story:
    """The moments a case moved through (epoch seconds)."""

    status: str
    ack: int | None = None
    wait_start: int | None = None
    paused: int = 0  # seconds waiting on the customer, finished pauses only
    waiting_now: bool = False
    resolved: int | None = None
    closed: int | None = None


_SPREAD = {True: (0.05, 0.95), False: (1.05, 3.0)}


def event_row(
    at: int,
    actor: int | None,
    kind: EventKind,
    from_value: str = "",
    to_value: str = "",
    *,
    reason: str = "",
    body: str = "",
    data: dict[str, Any] | None = None,
) -> dict[str, Any]:
    return {
        "created_at": at,
        "actor_id": actor,
        "kind": kind.value,
        "from_value": from_value,
        "to_value": to_value,
        "reason": reason,
        "body": body,
        "data": data or {},
    }


def clock_row(
    kind: ClockKind,
    policy: Policy,
    target: int,
    start: int,
    now: int,
    *,
    stop: int | None,
    paused_seconds: int = 0,
    paused_at: int | None = None,
) -> dict[str, Any]:
    """A clock's row, consistent with the CaseClock docstring (calendar time as business time)."""
    due = start + target + paused_seconds
    warn = start + target * policy.warn_percent // 100 + paused_seconds
    ran_until = stop if stop is not None else (paused_at if paused_at is not None else now)
    row: dict[str, Any] = {
        "kind": kind.value,
        "policy_id": policy.id,
        "target_seconds": target,
        "started_at": start,
        "due_at": due,
        "warn_at": warn,
        "paused_at": paused_at,
        "paused_seconds": paused_seconds,
        "warned_at": warn if ran_until > warn else None,
        "breached_at": due if ran_until > due else None,
        "stopped_at": stop,
        "met": None,
        "elapsed_seconds": None,
        "late_seconds": None,
    }
    if stop is not None:
        row.update(
            met=stop <= due,
            elapsed_seconds=max(0, stop - start - paused_seconds),
            late_seconds=max(0, stop - due),
        )
    return row


# -- when the cases were raised ------------------------------------------------------------


def raised_times(
    rng: random.Random, count: int, *, now: int, span_days: int, zone: ZoneInfo
) -> Iterator[int]:
    """`count` moments over the last `span_days` days, oldest first: more on working days and
    hours, and slowly more each month."""
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
            # Today has barely begun: put its share into the last minutes instead of the future.
            start = now - 3600
        picks = []
        for hour in rng.choices(hours, cum_weights=hour_cum, k=n):
            at = start + hour * 3600 + rng.randrange(3600)
            picks.append(at if at <= latest else rng.randint(start, latest))
        picks.sort()
        yield from picks


def local_midnight(day: date, zone: ZoneInfo) -> int:
    return int(datetime.combine(day, time(0), tzinfo=zone).timestamp())


# -- writing ---------------------------------------------------------------------------------
