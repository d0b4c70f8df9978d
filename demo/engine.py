"""Replaying the SLA engine over a demo case's history, so its escalations, records and clock
flags look as if the engine had been running all along (see sla.escalation for the rules)."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from cases.models import Category, EventKind, Level, Team
from demo.clocks import Pause
from demo.reference import Policy, Reference
from sla.escalation import ESCALATING_CLOCKS
from sla.models import ClockKind
from sla.rules import LEVEL_RANK, TOP_RANK, Rule

# The sweep runs every 30 s: the engine acts a little after a deadline passes.
REACTION = 20


@dataclass
class Holder:
    """Who holds the case, and since when each owner held it."""

    team: Team
    owner: int | None
    level: str
    history: list[tuple[int, int | None]] = field(default_factory=list)

    def owner_at(self, at: int) -> int | None:
        owner = None
        for since, who in self.history:
            if since > at:
                break
            owner = who
        return owner


@dataclass(frozen=True)
class Target:
    rule: Rule
    team: Team
    owner: int | None
    level: str


class Replay:
    def __init__(self, ref: Reference, rng: random.Random) -> None:
        self.ref = ref
        self.rng = rng

    def member(self, team: Team, *, exclude: int | None = None) -> int | None:
        members = [m for m in self.ref.members.get(team.pk, ()) if m != exclude]
        return self.rng.choice(members) if members else None

    def assign(
        self,
        holder: Holder,
        at: int,
        *,
        actor: int | None,
        kind: EventKind,
        team: Team,
        owner: int | None,
        level: str,
        reason: str,
        data: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Move the case as case_assign does; the event it writes."""
        if owner is None and holder.owner is not None:
            keeps = holder.owner in self.ref.managers or holder.owner in self.ref.members.get(
                team.pk, ()
            )
            owner = holder.owner if keeps else None
        event = event_row(
            at,
            actor,
            kind,
            self.ref.label(holder.owner, holder.team, holder.level),
            self.ref.label(owner, team, level),
            reason=reason,
            data={
                "owner": [holder.owner, owner],
                "team": [holder.team.pk, team.pk],
                "level": [holder.level, level],
                **(data or {}),
            },
        )
        holder.team, holder.owner, holder.level = team, owner, level
        holder.history.append((at, owner))
        return event

    def acknowledge(self, holder: Holder, at: int) -> dict[str, Any]:
        """case_acknowledge: the one who acknowledges takes the case if nobody holds it."""
        if holder.owner is None:
            holder.owner = self.member(holder.team) or self.rng.choice(self.ref.managers)
            holder.history.append((at, holder.owner))
        return event_row(
            at,
            holder.owner,
            EventKind.ACKNOWLEDGED,
            "new",
            "acknowledged",
            data={"owner": holder.owner},
        )

    def target(self, holder: Holder, category: Category | None) -> Target | None:
        """Where a breach sends the case (sla.escalation.escalation_target)."""
        rank = LEVEL_RANK.get(Level(holder.level), 1)
        if rank >= TOP_RANK:
            return None
        teams = self.ref.teams
        specialist = teams.get(category.specialist_team_id) if category else None  # type: ignore[arg-type]
        if (
            specialist is not None
            and specialist.pk != holder.team.pk
            and rank <= LEVEL_RANK[Level(specialist.level)] < TOP_RANK
        ):
            owner = self.member(specialist, exclude=holder.owner)
            return Target(Rule.TO_SPECIALIST, specialist, owner, specialist.level)
        upper = self._next_level(holder.team, rank)
        if upper is not None and LEVEL_RANK[Level(upper.level)] < TOP_RANK:
            owner = self.member(upper, exclude=holder.owner)
            return Target(Rule.TO_NEXT_LEVEL, upper, owner, upper.level)
        manager = self.ref.on_duty
        if manager is None:
            if upper is None:
                return None
            owner = self.member(upper, exclude=holder.owner)
            return Target(Rule.TO_NEXT_LEVEL, upper, owner, upper.level)
        management = upper or self.ref.management
        if management is None:
            return None
        return Target(Rule.TO_MANAGER_ON_DUTY, management, manager, Level.MANAGEMENT)

    def _next_level(self, team: Team, rank: int) -> Team | None:
        seen: set[int] = set()
        current: Team | None = team
        while current is not None and current.escalates_to_id and current.pk not in seen:
            seen.add(current.pk)
            current = self.ref.teams.get(current.escalates_to_id)
            if current is not None and LEVEL_RANK[Level(current.level)] > rank:
                return current
        return None

    def run(
        self,
        *,
        holder: Holder,
        clocks: list[dict[str, Any]],
        category: Category | None,
        policy: Policy,
        pause: Pause | None,
        ack: int | None,
        end: int,
        events: list[dict[str, Any]],
        records: list[dict[str, Any]],
        caught_up: bool = True,
    ) -> bool:
        """Replay breaches and re-escalations up to `end`; True if the case was escalated.

        The engine takes a step REACTION seconds after it falls due if the clock runs then: a
        clock waiting on the customer is taken at its resume, a stopped one not at all. It
        has caught up at `end`: a step that fell due just before is taken then.

        1. Take the next step: a clock's breach (unless the engine has not `caught_up`), or
           the pending re-escalation while a handled, breached response/resolution clock
           still runs. The acknowledgement (`ack`) falls in between where it belongs: whoever
           holds the case then takes it, if nobody has.
        2. A breach step marks the clock `breach_handled_at`. A customer-update breach only
           notifies. Any other step sends the case to the escalation target, or notifies at
           the top; it arms the next re-escalation (business time on the policy's calendar,
           shared by the case's clocks) unless the case reached management.
        3. A wait on the customer that began while a re-escalation was pending moves it on by
           the wait's business time at the resume, as `clock_align` does (or holds it while
           the case still waits); and, as the clock sync after each move does, it never falls
           before a deadline still ahead.
        4. Stop at `end` (resolution or now); leave the pending re-escalation on the clocks.
        """
        state = _Run(
            holder=holder,
            clocks=clocks,
            category=category,
            policy=policy,
            pause=pause,
            end=end,
            events=events,
            records=records,
            steps=_breach_steps(clocks, pause, end) if caught_up else [],
            ack=ack,
        )
        while True:
            if state.wait_moves():
                continue
            taken = state.next_step()
            if taken is None:
                break
            act, clock, step = taken
            self._acknowledge_by(state, act)
            self._take(state, act, clock, step)
        self._acknowledge_by(state, None)
        state.pending_leave()
        return state.escalated

    def _acknowledge_by(self, state: _Run, at: int | None) -> None:
        """The acknowledgement, if it is still to come and falls by `at` (None: any time)."""
        if state.ack is not None and (at is None or state.ack <= at):
            state.events.append(self.acknowledge(state.holder, state.ack))
            state.ack = None

    def _take(self, state: _Run, act: int, clock: dict[str, Any], step: str) -> None:
        """Step 2 of `run`: record the step, and escalate the case if the clock escalates."""
        holder, events, records = state.holder, state.events, state.records
        if step == "breach":
            clock["breach_handled_at"] = act
        if clock["kind"] not in ESCALATING_CLOCKS:
            records.append(_record(clock, step, Rule.UPDATE_OVERDUE, act, holder, None))
            events.append(_breach_event(clock, step, Rule.UPDATE_OVERDUE, act, None))
            return
        target = self.target(holder, state.category)
        rule = (
            target.rule
            if target
            else (
                Rule.AT_TOP
                if LEVEL_RANK.get(Level(holder.level), 1) >= TOP_RANK
                else Rule.NO_TARGET
            )
        )
        records.append(_record(clock, step, rule, act, holder, target))
        clock["escalation_count"] += 1
        events.append(_breach_event(clock, step, rule, act, target))
        state.pending = None
        if target is not None:
            events.append(self._escalate(holder, act, clock=clock, step=step, target=target))
            state.escalated = True
            state.arm(act, target=target)

    def _escalate(
        self, holder: Holder, act: int, *, clock: dict[str, Any], step: str, target: Target
    ) -> dict[str, Any]:
        """Send the case to `target` as the engine does; the *escalated* event."""
        label = ClockKind(clock["kind"]).label
        reason = (
            f"{label} target breached"
            if step == "breach"
            else f"Still breached ({label}): escalated again"
        )
        return self.assign(
            holder,
            act,
            actor=None,
            kind=EventKind.ESCALATED,
            team=target.team,
            owner=target.owner,
            level=target.level,
            reason=f"{reason}. Rule: {target.rule.label}.",
            data={"rule": target.rule.value, "clock": clock["kind"], "step": step},
        )


@dataclass
class _Run:
    """One replay of `Replay.run` as it goes: its case's clocks and the rows it writes, the
    breach steps still to take (latest first), the acknowledgement not yet made, and the
    pending re-escalation (when it was armed, and whether the wait on the customer has moved
    or holds it)."""

    holder: Holder
    clocks: list[dict[str, Any]]
    category: Category | None
    policy: Policy
    pause: Pause | None
    end: int
    events: list[dict[str, Any]]
    records: list[dict[str, Any]]
    steps: list[tuple[int, int]]
    ack: int | None
    pending: int | None = None
    armed: int = 0
    moved: bool = False
    held: bool = False
    escalated: bool = False

    def wait_moves(self) -> bool:
        """Step 3: True when a wait on the customer begun while the re-escalation was pending
        has just moved it (or holds it, while the case still waits)."""
        pause = self.pause
        if self.pending is None or pause is None or self.moved:
            return False
        waits = pause[0]
        if not (
            self.armed <= waits <= self.pending + REACTION
            and _carriers(self.clocks, waits, pausing=True)
        ):
            return False
        self.moved = True
        if pause[1] is None:
            self.held = True
        else:
            business = self.policy.business
            pending = business.add(self.pending, business.between(waits, pause[1]))
            self.pending = max([pending, *_deadlines_ahead(self.clocks, pause[1], pause)])
        return True

    def next_step(self) -> tuple[int, dict[str, Any], str] | None:
        """Step 1: the next step (when, on which clock, which); None when none is left."""
        chain = None
        if self.pending is not None and not self.held and self.pending <= self.end:
            chain = min(self.pending + REACTION, self.end)
        if self.steps and (chain is None or self.steps[-1][0] <= chain):
            act, index = self.steps.pop()
            return act, self.clocks[index], "breach"
        if chain is None:
            return None
        running = [c for c in _carriers(self.clocks, chain) if not _waiting(c, chain, self.pause)]
        if not running:
            self.pending = None  # the breached clocks have stopped
            return self.next_step()
        clock = running[0]
        return chain, clock, f"reescalation-{clock['escalation_count']}"

    def arm(self, act: int, *, target: Target) -> None:
        """Arm the next re-escalation after an escalation, unless it reached management."""
        reescalate = self.policy.reescalate
        if reescalate and LEVEL_RANK[Level(target.level)] < TOP_RANK:
            pending = self.policy.business.add(act, reescalate)
            self.pending = max([pending, *_deadlines_ahead(self.clocks, act, self.pause)])
            self.armed = act

    def pending_leave(self) -> None:
        """Step 4: the pending re-escalation stays on the clocks that carry it at the end."""
        carriers = (
            {id(c) for c in _carriers(self.clocks, self.end)} if self.pending is not None else set()
        )
        for clock in self.clocks:
            clock["reescalate_at"] = self.pending if id(clock) in carriers else None


def _breach_steps(
    clocks: list[dict[str, Any]], pause: Pause | None, end: int
) -> list[tuple[int, int]]:
    """When the engine takes each clock's breach, and the clock's index: latest first."""
    steps: list[tuple[int, int]] = []
    for index, clock in enumerate(clocks):
        if clock["breached_at"] is not None:
            act = _engine_time(clock, clock["breached_at"], pause, end)
            if act is not None:
                steps.append((act, index))
    steps.sort(reverse=True)
    return steps


# The clocks that stand still while the case waits on the customer (ClockPlan.paused).
PAUSING = frozenset({ClockKind.RESOLUTION, ClockKind.UPDATE})


def _waiting(clock: dict[str, Any], at: int, pause: Pause | None) -> bool:
    if pause is None or clock["kind"] not in PAUSING:
        return False
    return pause[0] <= at and (pause[1] is None or at < pause[1])


def _engine_time(clock: dict[str, Any], due: int, pause: Pause | None, end: int) -> int | None:
    """When the engine takes the step that fell due at `due` (by `end` at the latest); None if
    the clock stopped (or still waits on the customer) first."""
    act = min(due + REACTION, end)
    if _waiting(clock, act, pause):
        assert pause is not None
        if pause[1] is None:
            return None
        act = min(pause[1] + REACTION, end)
    stop = clock["stopped_at"]
    return None if stop is not None and stop <= act else act


def _carriers(
    clocks: list[dict[str, Any]], at: int, *, pausing: bool = False
) -> list[dict[str, Any]]:
    """The clocks a re-escalation chain lives on at `at`: response/resolution clocks whose
    breach the engine has handled, not stopped yet (only those that pause, if `pausing`)."""
    return [
        c
        for c in clocks
        if c["kind"] in ESCALATING_CLOCKS
        and (not pausing or c["kind"] in PAUSING)
        and c["breach_handled_at"] is not None
        and c["breach_handled_at"] <= at
        and (c["stopped_at"] is None or c["stopped_at"] > at)
    ]


def _deadlines_ahead(clocks: list[dict[str, Any]], at: int, pause: Pause | None) -> list[int]:
    """The deadlines after `at` of the chain's clocks: only a wait that has ended can have
    moved a breached clock's deadline past the moment (clock_align, step 6)."""
    if pause is None or pause[1] is None or at < pause[1]:
        return []
    return [c["due_at"] for c in _carriers(clocks, at) if c["due_at"] > at]


def _record(
    clock: dict[str, Any],
    step: str,
    rule: Rule,
    at: int,
    holder: Holder,
    target: Target | None,
) -> dict[str, Any]:
    return {
        "clock_kind": clock["kind"],
        "cycle": clock["cycle"],
        "step": step,
        "rule": rule.value,
        "created_at": at,
        "from_team_id": holder.team.pk,
        "to_team_id": target.team.pk if target else None,
        "from_owner_id": holder.owner,
        "to_owner_id": target.owner if target else None,
    }


def _breach_event(
    clock: dict[str, Any], step: str, rule: Rule, at: int, target: Target | None
) -> dict[str, Any]:
    return event_row(
        at,
        None,
        EventKind.SLA_BREACH,
        to_value=f"{ClockKind(clock['kind']).label} target breached",
        reason=f"Rule: {rule.label}.",
        data={
            "rule": rule.value,
            "clock": clock["kind"],
            "step": step,
            "cycle": clock["cycle"],
            "due_at": datetime.fromtimestamp(clock["breached_at"], UTC).isoformat(),
            "to_team": target.team.pk if target else None,
            "to_owner": target.owner if target else None,
        },
    )


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
    """A timeline event's row, shaped as cases.timeline.event_record writes it."""
    return {
        "created_at": at,
        "actor_id": actor,
        "kind": kind.value,
        "from_value": from_value[:200],
        "to_value": to_value[:200],
        "reason": reason,
        "body": body,
        "data": data or {},
    }
