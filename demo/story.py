"""One demo case's story: who raised it when, how it moved, how its SLA clocks ran.

Times are whole epoch seconds; the writers turn them into timestamps. Targets are business
time on the policy's calendar (`demo.business`): a response due in four business hours,
raised on Friday evening, falls due on Monday morning, exactly where the SLA engine puts it.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

from cases.models import Category, Customer, EventKind, Impact, RootCause, Source, Status, Team
from demo.clocks import Pause, breach_facts, clock_row
from demo.engine import Holder, Replay, event_row
from demo.reference import SEVERITY_WEIGHTS, Policy, Reference, cumulative
from sla.models import ClockKind

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
CUSTOMER_UPDATE = {"S1": 0.9, "S2": 0.9, "S3": 0.4, "S4": 0.4}
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
# (low, high) multiples of a target for a deadline met / missed.
_SPREAD = {True: (0.05, 0.95), False: (1.05, 3.0)}


@dataclass
class Draft:
    """One case being generated: its columns, timeline events, clocks, escalation records and
    breach facts. The case's id is filled into the others when it is known."""

    case: dict[str, Any]
    events: list[dict[str, Any]]
    clocks: list[dict[str, Any]]
    records: list[dict[str, Any]] = field(default_factory=list)
    facts: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class Story:
    """The moments a case moved through."""

    status: str
    ack: int | None = None
    wait_start: int | None = None
    paused: int = 0  # seconds waiting on the customer, finished pauses only
    waiting_now: bool = False
    update_at: int | None = None  # the customer-facing update, if one was sent
    resolved: int | None = None
    closed: int | None = None

    @property
    def pause(self) -> Pause | None:
        """The wait on the customer: (start, end), end None while it lasts."""
        if self.wait_start is None:
            return None
        return self.wait_start, None if self.waiting_now else self.wait_start + self.paused


class Generator:
    """Builds case drafts; every random choice comes from one seeded `random.Random`."""

    def __init__(self, ref: Reference, rng: random.Random, now: int) -> None:
        self.ref = ref
        self.rng = rng
        self.now = now
        self.replay = Replay(ref, rng)
        self.severities = list(SEVERITY_WEIGHTS)
        self.severity_cum = cumulative(list(SEVERITY_WEIGHTS.values()))

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
        """One case raised at `raised`, open or finished, with its events and clocks.

        1. Pick who and what (customer, severity, product...), then the moments it moved
           through: acknowledged, perhaps waiting on the customer, resolved, closed.
        2. Run its clocks over those moments, in business time on the policy's calendar.
        3. Replay the SLA engine over them (unless `engine_caught_up` is False: then deadlines
           passed just now wait for the engine's next sweep), or let a manager move it.
        4. Keep each breach something saw as a fact (`breach_facts`).
        5. Write the rest of the timeline; finish with a root cause and summary if resolved.
        """
        customer, severity, category = self._pick(customer, severity, category)
        policy = self.ref.policies[(customer.tier, severity)]
        case = self._columns(raised, customer, severity, category)
        story = self._moments(raised, is_open, policy, severity, status, response_after)
        clocks, earlier = self._clocks(raised, story, policy)
        if not engine_caught_up:
            for clock in clocks:
                clock["warned_at"] = None

        team = self.rng.choice(self.ref.first_line)
        holder = Holder(team=team, owner=None, level=team.level)
        events = [_raised_event(raised, case, team=team)]
        end = story.resolved or self.now
        records: list[dict[str, Any]] = []
        escalated = self.replay.run(
            holder=holder,
            clocks=clocks + earlier,
            category=category,
            policy=policy,
            pause=story.pause,
            ack=story.ack,
            end=end,
            events=events,
            records=records,
            caught_up=engine_caught_up,
        )
        facts = breach_facts(clocks + earlier, policy=policy, pause=story.pause)
        if not escalated and story.ack is not None and self.rng.random() < MANUAL_ASSIGN[severity]:
            self._manual_assignment(holder, story.ack, end, category, events)
        cause = self._timeline_rest(case, story, holder, end=end, events=events)
        _case_finish(case, story, holder, events=events, clocks=clocks, cause=cause)
        return Draft(case, events, clocks, records, facts)

    def _pick(
        self, customer: Customer | None, severity: str | None, category: Category | None
    ) -> tuple[Customer, str, Category]:
        """The customer, severity and category given, the others drawn."""
        rng, ref = self.rng, self.ref
        if customer is None:
            customer = rng.choices(ref.customers, cum_weights=ref.customer_cum)[0]
        if severity is None:
            severity = rng.choices(self.severities, cum_weights=self.severity_cum)[0]
        if category is None:
            category = rng.choice(ref.categories)
        return customer, severity, category

    def _timeline_rest(
        self,
        case: dict[str, Any],
        story: Story,
        holder: Holder,
        *,
        end: int,
        events: list[dict[str, Any]],
    ) -> RootCause | None:
        """Step 5: append the status changes, the customer update and, if the case was
        resolved, its resolution (the summary goes into `case`) and closing. The root cause of
        a resolved case."""
        last_status = self._status_events(story, holder, end, events)
        if story.update_at is not None:
            body = "We have found the cause and are working on a fix."
            actor = holder.owner_at(story.update_at)
            events.append(event_row(story.update_at, actor, EventKind.UPDATE, body=body))
        if story.resolved is None:
            return None
        rng, ref = self.rng, self.ref
        cause = rng.choice(ref.causes)
        summary = rng.choice(SUMMARIES).format(cause=cause.name.lower())
        case["resolution_summary"] = summary
        actor = holder.owner_at(story.resolved) or rng.choice(ref.managers)
        data = {"root_cause": cause.pk, "root_cause_name": str(cause)}
        events.append(
            event_row(
                story.resolved,
                actor,
                EventKind.RESOLVED,
                last_status,
                Status.RESOLVED.value,
                body=summary,
                data=data,
            )
        )
        if story.closed is not None:
            manager = rng.choice(ref.managers)
            events.append(event_row(story.closed, manager, EventKind.CLOSED, "resolved", "closed"))
        return cause

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
            "impact": rng.choice(IMPACTS[severity]).value,
            "raised_by_id": rng.choice(self.ref.raisers),
            "source": (Source.API if rng.random() < 0.3 else Source.FORM).value,
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
        rng, now, business = self.rng, self.now, policy.business
        age = now - raised
        if status is None and not is_open:
            status = Status.RESOLVED
        elif status is None:
            worked = business.between(raised, now)
            if age < 2 * 86400 and rng.random() < (0.7 if worked < policy.response else 0.15):
                status = Status.NEW
            else:
                # Cases open past their resolution target mostly wait on the customer.
                weights = (2, 5, 2) if worked < policy.resolution else (1, 3, 6)
                status = rng.choices(
                    (Status.ACKNOWLEDGED, Status.IN_PROGRESS, Status.WAITING), weights
                )[0]
        story = Story(status=str(status))
        if status == Status.NEW:
            return story
        if response_after is None:
            met = rng.random() < RESPONSE_MET[severity]
            response_after = int(policy.response * rng.uniform(*_SPREAD[met]))
        ack = business.add(raised, max(60, response_after))
        if status in (Status.RESOLVED, Status.CLOSED):
            self._finish(story, raised, ack, policy, severity)
        else:
            story.ack = ack = min(ack, raised + max(60, age // 2))
            if status == Status.WAITING:
                # Most went to the customer before the deadline, some after it had passed.
                due = business.add(raised, policy.resolution)
                until = min(now, due) if due > ack and rng.random() < 0.7 else now
                story.wait_start = ack + int((until - ack) * rng.uniform(0.3, 0.95))
                story.waiting_now = True
            elif status == Status.IN_PROGRESS and rng.random() < 0.15:
                story.paused = int((now - ack) * rng.uniform(0.05, 0.3))
                story.wait_start = ack + int((now - ack - story.paused) * rng.uniform(0.1, 0.9))
        assert story.ack is not None
        if rng.random() < CUSTOMER_UPDATE[severity]:
            end = story.resolved or now
            story.update_at = story.ack + int((end - story.ack) * rng.uniform(0.3, 0.9))
        return story

    def _finish(self, story: Story, raised: int, ack: int, policy: Policy, severity: str) -> None:
        """Resolved after `active` business seconds of work, perhaps with a wait on the
        customer in between (its wall-clock length does not count)."""
        rng, now, business = self.rng, self.now, policy.business
        met = rng.random() < RESOLUTION_MET[severity]
        active = max(
            int(policy.resolution * rng.uniform(*_SPREAD[met])), business.between(raised, ack) + 600
        )
        paused, wait_start = 0, None
        unpaused = resolved = business.add(raised, active)
        if rng.random() < 0.2:
            paused = int(rng.uniform(0.5, 48) * 3600)
            # Sent to the customer during working time, between the response and the fix.
            share = rng.uniform(0.2, 0.7)
            wait_start = business.add(ack, int(business.between(ack, unpaused) * share))
            resolved = business.add(wait_start + paused, business.between(wait_start, unpaused))
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
        story.status = Status.RESOLVED.value
        if resolved < now - 5 * 86400 and rng.random() < 0.97:
            story.closed = min(now - 60, resolved + int(rng.uniform(2, 10) * 86400))
            story.status = Status.CLOSED.value

    def _clocks(
        self, raised: int, story: Story, policy: Policy
    ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        """Response and resolution clocks, and the customer-update clock where the policy
        asks for updates (restarted, as cycle 2, by the customer update if one was sent).
        Also the update clock's first cycle when an update ended it: not a row any more, but
        its breach, if it had one, is a fact and an engine step like any other."""
        now, pause = self.now, story.pause
        clocks = [
            clock_row(ClockKind.RESPONSE, policy, policy.response, raised, now, stop=story.ack),
            clock_row(
                ClockKind.RESOLUTION,
                policy,
                policy.resolution,
                raised,
                now,
                stop=story.resolved,
                pause=pause,
            ),
        ]
        earlier: list[dict[str, Any]] = []
        if policy.update and story.ack is not None:
            anchor = story.ack
            if story.update_at is not None:
                earlier.append(
                    clock_row(
                        ClockKind.UPDATE,
                        policy,
                        policy.update,
                        anchor,
                        now,
                        stop=story.update_at,
                        pause=pause,
                    )
                )
                anchor = story.update_at
            row = clock_row(
                ClockKind.UPDATE,
                policy,
                policy.update,
                anchor,
                now,
                stop=story.resolved,
                pause=pause,
            )
            row["cycle"] = 2 if story.update_at else 1
            clocks.append(row)
        return clocks, earlier

    def _manual_assignment(
        self,
        holder: Holder,
        ack: int,
        end: int,
        category: Category,
        events: list[dict[str, Any]],
    ) -> None:
        ref = self.ref
        specialist = ref.teams.get(category.specialist_team_id or 0)
        target = specialist or ref.teams.get(holder.team.escalates_to_id or 0)
        if target is None or target.pk == holder.team.pk:
            return
        at = ack + int((end - ack) * self.rng.uniform(0.05, 0.3))
        events.append(
            self.replay.assign(
                holder,
                at,
                actor=self.rng.choice(ref.managers),
                kind=EventKind.ASSIGNED,
                team=target,
                owner=self.replay.member(target),
                level=target.level,
                reason="Needs the specialists.",
            )
        )

    def _status_events(
        self, story: Story, holder: Holder, end: int, events: list[dict[str, Any]]
    ) -> str:
        """Append the status changes; return the status the case had before resolving."""
        ack = story.ack
        if ack is None:
            return Status.NEW.value
        status = Status.ACKNOWLEDGED.value
        if story.status == Status.IN_PROGRESS or (
            story.status != Status.ACKNOWLEDGED and self.rng.random() < 0.7
        ):
            at = min(ack + 120, (ack + (story.wait_start or end)) // 2)
            events.append(
                event_row(at, holder.owner_at(at), EventKind.STATUS, status, "in_progress")
            )
            status = Status.IN_PROGRESS.value
        if story.wait_start is not None:
            at = story.wait_start
            events.append(event_row(at, holder.owner_at(at), EventKind.STATUS, status, "waiting"))
            status = Status.WAITING.value
            if not story.waiting_now:
                at = story.wait_start + story.paused
                events.append(
                    event_row(at, holder.owner_at(at), EventKind.STATUS, status, "in_progress")
                )
                status = Status.IN_PROGRESS.value
        return status


def _raised_event(raised: int, case: dict[str, Any], *, team: Team) -> dict[str, Any]:
    """The *raised* event, as case_raise records it."""
    return event_row(
        raised,
        case["raised_by_id"],
        EventKind.RAISED,
        to_value=case["severity"],
        data={
            "severity": case["severity"],
            "impact": case["impact"],
            "team": team.name,
            "source": case["source"],
        },
    )


def _case_finish(
    case: dict[str, Any],
    story: Story,
    holder: Holder,
    *,
    events: list[dict[str, Any]],
    clocks: list[dict[str, Any]],
    cause: RootCause | None,
) -> None:
    """Put the timeline in order and fill in the columns the story and its replay decided."""
    events.sort(key=lambda e: e["created_at"])
    running = [c["due_at"] for c in clocks if c["stopped_at"] is None and c["paused_at"] is None]
    case.update(
        status=story.status,
        owner_id=holder.owner,
        team_id=holder.team.pk,
        level=holder.level,
        first_response_at=story.ack,
        resolved_at=story.resolved,
        closed_at=story.closed,
        last_customer_update_at=story.update_at,
        updated_at=events[-1]["created_at"],
        root_cause_id=cause.pk if cause else None,
        next_due_at=min(running) if running else None,
    )
