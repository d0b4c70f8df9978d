"""The per-case clocks the engine keeps, their breaches and their ledger."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from sla.models.config import SlaPolicy


class ClockKind(models.TextChoices):
    RESPONSE = "response", _("First response")
    RESOLUTION = "resolution", _("Resolution")
    UPDATE = "update", _("Customer update")


class CaseClock(models.Model):
    """One SLA clock of one case.

    Running: ``stopped_at`` is None. ``due_at``/``warn_at`` already include paused time and
    belong to the current *attempt*: a change of target (severity, tier, policy, calendar) starts
    a new attempt at ``attempt_started_at``, measured from the same start.
    Stopped: ``met`` tells whether it stopped on time and never breached; ``elapsed_seconds`` is
    the business time it ran (pauses excluded) and ``late_seconds`` the business time from its
    first breach to the stop (0 when met).
    ``breached_at`` is a fact: the first deadline of this cycle that passed while the clock ran.
    Once set, nothing but a new cycle of the update clock clears it, and every breach is also
    kept in ``SlaBreach`` for good. ``breach_handled_at`` is the SLA engine's own mark: when it
    took the breach step (escalation, notifications) for this cycle.
    """

    # Indexed by the unique caseclock_one_per_kind (case, kind): no index of its own.
    case = models.ForeignKey(
        "cases.Case", on_delete=models.CASCADE, related_name="clocks", db_index=False
    )
    kind = models.CharField(max_length=10, choices=ClockKind.choices)
    policy = models.ForeignKey(
        SlaPolicy, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    target_seconds = models.PositiveIntegerField()
    started_at = models.DateTimeField()
    due_at = models.DateTimeField()
    warn_at = models.DateTimeField()
    paused_at = models.DateTimeField(null=True, blank=True)
    paused_seconds = models.PositiveIntegerField(default=0)
    warned_at = models.DateTimeField(null=True, blank=True)
    breached_at = models.DateTimeField(null=True, blank=True)
    breach_handled_at = models.DateTimeField(null=True, blank=True)
    stopped_at = models.DateTimeField(null=True, blank=True)
    met = models.BooleanField(null=True, blank=True)
    elapsed_seconds = models.PositiveIntegerField(null=True, blank=True)
    late_seconds = models.PositiveIntegerField(null=True, blank=True)
    # The update clock restarts at every customer-facing update: each restart is a new cycle.
    # The other clocks stay in cycle 1 (a reopened case resumes its resolution clock).
    cycle = models.PositiveIntegerField(default=1)
    # Each change of target within a cycle starts a new attempt (None: since ``started_at``).
    attempt = models.PositiveIntegerField(default=1)
    attempt_started_at = models.DateTimeField(null=True, blank=True)
    # While paused: the business time that was left when the pause began (negative if late).
    remaining_seconds_at_pause = models.IntegerField(null=True, blank=True)
    # The sweep sets this when it hands the clock to a worker; the worker clears it. A clock
    # handed out long ago and still due is handed out again (see sla.sweep).
    dispatched_at = models.DateTimeField(null=True, blank=True)
    # Breach escalations taken so far (1 = the breach itself, 2.. = re-escalations), and when
    # the next re-escalation falls due while the clock stays breached.
    escalation_count = models.PositiveSmallIntegerField(default=0)
    reescalate_at = models.DateTimeField(null=True, blank=True)
    # Acknowledge or climb: when the escalation's new owner must have acted on the case by
    # (sla.ladder), and the climbs taken since the last escalation.
    climb_at = models.DateTimeField(null=True, blank=True)
    climb_count = models.PositiveSmallIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["case", "kind"], name="caseclock_one_per_kind")
        ]
        indexes = [
            # The sweep: running, unpaused clocks whose warning or deadline has come.
            models.Index(
                fields=["warn_at"],
                name="clock_due_warning_idx",
                condition=Q(
                    stopped_at__isnull=True, paused_at__isnull=True, warned_at__isnull=True
                ),
            ),
            models.Index(
                fields=["due_at"],
                name="clock_due_breach_idx",
                condition=Q(
                    stopped_at__isnull=True,
                    paused_at__isnull=True,
                    breach_handled_at__isnull=True,
                ),
            ),
            # Breaches recorded by a case change before the sweep reached them (the deadline
            # passed, then a new target moved due_at): the engine still owes their step.
            models.Index(
                fields=["breached_at"],
                name="clock_unhandled_breach_idx",
                condition=Q(
                    stopped_at__isnull=True,
                    paused_at__isnull=True,
                    breach_handled_at__isnull=True,
                    breached_at__isnull=False,
                ),
            ),
            models.Index(
                fields=["reescalate_at"],
                name="clock_due_reescalation_idx",
                condition=Q(
                    stopped_at__isnull=True, paused_at__isnull=True, reescalate_at__isnull=False
                ),
            ),
            models.Index(
                fields=["climb_at"],
                name="clock_due_climb_idx",
                condition=Q(
                    stopped_at__isnull=True, paused_at__isnull=True, climb_at__isnull=False
                ),
            ),
            models.Index(fields=["kind", "stopped_at"], name="clock_kind_stopped_idx"),
            models.Index(fields=["kind", "breached_at"], name="clock_kind_breached_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} clock of case {self.case_id}"


class SlaBreach(models.Model):
    """A deadline that passed while its clock ran: a fact nothing removes.

    One per clock cycle (the first deadline it missed), written in the transaction that saw the
    breach: the SLA engine at the deadline, or the case change that came first (a new target,
    a pause, a stop, a new update cycle). The policy, calendar and target are copied as they
    were, so the record still says "breached under Premium S2" after the policy changed. The
    dashboard, the queue, the reports and the API count breaches from these rows.
    """

    # Indexed by the unique slabreach_once_per_cycle (case, clock_kind, cycle).
    case = models.ForeignKey(
        "cases.Case", on_delete=models.CASCADE, related_name="sla_breaches", db_index=False
    )
    clock_kind = models.CharField(max_length=10, choices=ClockKind.choices)
    cycle = models.PositiveIntegerField(default=1)
    attempt = models.PositiveIntegerField(default=1)
    # The deadline that passed: the moment of the breach.
    breached_at = models.DateTimeField()
    recorded_at = models.DateTimeField()
    policy = models.ForeignKey(
        SlaPolicy, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    policy_name = models.CharField(max_length=100, blank=True)
    calendar_name = models.CharField(max_length=100, blank=True)
    target_seconds = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["breached_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["case", "clock_kind", "cycle"], name="slabreach_once_per_cycle"
            )
        ]
        indexes = [
            models.Index(fields=["breached_at"], name="slabreach_time_idx"),
            models.Index(fields=["clock_kind", "breached_at"], name="slabreach_kind_time_idx"),
        ]

    def __str__(self) -> str:
        return (
            f"{self.get_clock_kind_display()} breach of case {self.case_id} at {self.breached_at}"
        )


class LedgerKind(models.TextChoices):
    STARTED = "started", _("Started")
    PAUSED = "paused", _("Paused")
    RESUMED = "resumed", _("Resumed")
    RETARGETED = "retargeted", _("New target")
    STOPPED = "stopped", _("Stopped")
    REOPENED = "reopened", _("Reopened")


class ClockLedgerEntry(models.Model):
    """One change of a clock's course, as the clock sync made it: what the case page's and the
    API's ledger of a clock is built from (with the calendar's closed hours between them).
    ``due_at`` is the deadline the change left the clock with."""

    case = models.ForeignKey(
        "cases.Case", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    clock_kind = models.CharField(max_length=10, choices=ClockKind.choices)
    cycle = models.PositiveIntegerField(default=1)
    attempt = models.PositiveIntegerField(default=1)
    kind = models.CharField(max_length=12, choices=LedgerKind.choices)
    at = models.DateTimeField()
    cause = models.CharField(max_length=200, blank=True)
    policy_name = models.CharField(max_length=100, blank=True)
    target_seconds = models.PositiveIntegerField(default=0)
    due_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["case", "at"], name="clockledger_case_idx")]
