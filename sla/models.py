"""SLA configuration (calendars, policies) and the per-case clocks the engine keeps."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from cases.models import Severity, Tier


class BusinessCalendar(models.Model):
    """A time zone, weekly working hours and holidays. A calendar with ``always_open`` is 24x7."""

    name = models.CharField(max_length=100, unique=True)
    time_zone = models.CharField(max_length=64, default="Europe/Amsterdam")
    always_open = models.BooleanField(default=False)
    # A fresh token whenever the hours or holidays change (sla.calendars.calendar_changed), so
    # every process rebuilds its cached copy: the cache key is (id, revision), read with the
    # policy. Random rather than a counter, so a reused id never meets a stale cache entry.
    revision = models.UUIDField(default=uuid.uuid4, editable=False)

    def __str__(self) -> str:
        return self.name


class Weekday(models.IntegerChoices):
    MONDAY = 0, _("Monday")
    TUESDAY = 1, _("Tuesday")
    WEDNESDAY = 2, _("Wednesday")
    THURSDAY = 3, _("Thursday")
    FRIDAY = 4, _("Friday")
    SATURDAY = 5, _("Saturday")
    SUNDAY = 6, _("Sunday")


class WorkingHours(models.Model):
    calendar = models.ForeignKey(BusinessCalendar, on_delete=models.CASCADE, related_name="hours")
    weekday = models.PositiveSmallIntegerField(choices=Weekday.choices)
    start = models.TimeField()
    # None means midnight at the end of the day.
    end = models.TimeField(null=True, blank=True)

    class Meta:
        ordering = ["weekday", "start"]
        verbose_name_plural = "working hours"


class Holiday(models.Model):
    calendar = models.ForeignKey(
        BusinessCalendar, on_delete=models.CASCADE, related_name="holidays"
    )
    date = models.DateField()
    name = models.CharField(max_length=100, blank=True)

    class Meta:
        ordering = ["date"]
        constraints = [
            models.UniqueConstraint(fields=["calendar", "date"], name="holiday_unique_per_day")
        ]


class SlaPolicy(models.Model):
    """Targets for one customer tier and severity, in business minutes on ``calendar``."""

    tier = models.CharField(max_length=10, choices=Tier.choices)
    severity = models.CharField(max_length=2, choices=Severity.choices)
    calendar = models.ForeignKey(BusinessCalendar, on_delete=models.PROTECT, related_name="+")
    response_minutes = models.PositiveIntegerField()
    resolution_minutes = models.PositiveIntegerField()
    update_minutes = models.PositiveIntegerField(
        null=True, blank=True, help_text=_("Longest time without a customer-facing update.")
    )
    warn_percent = models.PositiveSmallIntegerField(default=75)
    reescalate_minutes = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text=_(
            "If still breached this much business time after an escalation, escalate again."
        ),
    )
    acknowledge_minutes = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text=_(
            "After an escalation, business time the new owner has to act on the case "
            "before it climbs (next level, team lead, manager on duty). Empty: no ladder."
        ),
    )

    class Meta:
        verbose_name = "SLA policy"
        verbose_name_plural = "SLA policies"
        ordering = ["tier", "severity"]
        constraints = [
            models.UniqueConstraint(fields=["tier", "severity"], name="slapolicy_unique"),
            models.CheckConstraint(
                condition=Q(warn_percent__gte=1, warn_percent__lte=99),
                name="slapolicy_warn_percent_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_tier_display()} {self.severity}"


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


class NotificationKind(models.TextChoices):
    SLA_WARNING = "sla_warning", _("SLA warning")
    SLA_BREACH = "sla_breach", _("SLA breach")
    ESCALATED = "escalated", _("Escalated to you")
    ASSIGNED = "assigned", _("Assigned to you")
    MENTIONED = "mentioned", _("Mentioned you")
    CUSTOMER_REPLIED = "customer_replied", _("Customer replied")
    REVIEW_DUE = "review_due", _("Review due")
    ACTION_DUE = "action_due", _("Corrective action due")
    REPORT = "report", _("Weekly report")
    OTHER = "other", _("Other")


class Notification(models.Model):
    """An in-app notification; the same message also goes out by email."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    case = models.ForeignKey(
        "cases.Case", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    kind = models.CharField(max_length=20, choices=NotificationKind.choices)
    subject = models.CharField(max_length=200)
    body = models.TextField(blank=True)
    created_at = models.DateTimeField()
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(
                fields=["recipient", "-created_at"],
                name="notification_unread_idx",
                condition=Q(read_at__isnull=True),
            ),
            models.Index(fields=["recipient", "-created_at"], name="notification_recipient_idx"),
        ]


class EscalationRecord(models.Model):
    """One step the SLA engine took on one clock: its warning, its breach, each re-escalation.

    The unique constraint is what makes each step take effect once, however many workers,
    sweeps or redelivered tasks try it.
    """

    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="+")
    clock_kind = models.CharField(max_length=10, choices=ClockKind.choices)
    cycle = models.PositiveIntegerField(default=1)
    # "warning", "breach", then "reescalation-1", "reescalation-2", ...
    step = models.CharField(max_length=30)
    rule = models.CharField(max_length=40)
    created_at = models.DateTimeField()
    from_team = models.ForeignKey(
        "cases.Team", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    to_team = models.ForeignKey(
        "cases.Team", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    from_owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    to_owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["case", "clock_kind", "cycle", "step"], name="escalationrecord_once"
            )
        ]
        indexes = [models.Index(fields=["created_at"], name="escalationrecord_time_idx")]

    def __str__(self) -> str:
        return f"{self.step} of the {self.clock_kind} clock of case {self.case_id}"


class OnDuty(models.Model):
    """Who is the escalation manager on duty, and when. The latest-starting shift that covers
    an instant wins; with none, the lead of the management team is on duty."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="duty_shifts"
    )
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    note = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-starts_at"]
        verbose_name = "manager on duty"
        verbose_name_plural = "managers on duty"
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=models.F("starts_at")), name="onduty_ends_after_start"
            )
        ]
        indexes = [models.Index(fields=["ends_at", "starts_at"], name="onduty_time_idx")]

    def __str__(self) -> str:
        return f"{self.user} {self.starts_at:%Y-%m-%d %H:%M} - {self.ends_at:%Y-%m-%d %H:%M}"


class MailStatus(models.TextChoices):
    PENDING = "pending", _("Waiting")
    SENDING = "sending", _("Being sent")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")


class OutgoingMail(models.Model):
    """One email in the outbox (``sla.outbox``): written in the transaction of the change it
    tells about, sent after commit by a worker, marked sent once.

    ``next_attempt_at`` is when the message may next be tried: its creation for a new one, the
    end of the back-off after a failed attempt, the end of the claim while a worker sends it.
    """

    to = models.EmailField()
    subject = models.CharField(max_length=255)
    body = models.TextField()
    # An HTML alternative of ``body`` (none when blank), and further headers (Reply-To,
    # Message-ID, Cc shown to the reader, ...): the envelope goes to ``to`` alone.
    html = models.TextField(blank=True)
    headers = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField()
    status = models.CharField(max_length=10, choices=MailStatus.choices, default=MailStatus.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    # Not to be sent before this: the recipient's working hours (sla.quiet_hours), or the end
    # of their digest window (sla.notifications).
    not_before = models.DateTimeField(null=True, blank=True)
    # A notification's mail, which may be folded into a digest with others to the same reader.
    fold = models.BooleanField(default=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "outgoing mail"
        verbose_name_plural = "outgoing mail"
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                name="outgoingmail_unsent_idx",
                condition=Q(status__in=[MailStatus.PENDING, MailStatus.SENDING]),
            ),
            models.Index(fields=["status", "-created_at"], name="outgoingmail_status_idx"),
            # Notification mail to a reader: the digest window (sla.notifications) and the
            # fold (sla.outbox).
            models.Index(
                fields=["to", "created_at"], name="outgoingmail_fold_idx", condition=Q(fold=True)
            ),
        ]

    def __str__(self) -> str:
        return f"{self.subject} to {self.to}"


class DraftKind(models.TextChoices):
    POLICY = "policy", _("SLA policy")
    CALENDAR = "calendar", _("business calendar")


class DraftState(models.TextChoices):
    OPEN = "open", _("Draft")
    PUBLISHED = "published", _("Published")
    DISCARDED = "discarded", _("Discarded")


class SlaDraft(models.Model):
    """An edited copy of one SLA policy or one business calendar (``sla.drafts``), replayed over
    past weeks (``sla.whatif``) before it is published to the live row or discarded.

    A policy draft keeps targets, warn % and calendar; a calendar draft keeps time zone, 24x7,
    hours (``[[weekday, "HH:MM", "HH:MM" or null], ...]``) and holidays (``[["YYYY-MM-DD",
    name], ...]``). ``base`` is the live row as it was when the draft was made: publishing
    refuses a draft whose live row has changed since. ``changes`` is the audit of a publication
    (each field before and after)."""

    kind = models.CharField(max_length=10, choices=DraftKind.choices)
    policy = models.ForeignKey(
        SlaPolicy, null=True, blank=True, on_delete=models.CASCADE, related_name="drafts"
    )
    calendar = models.ForeignKey(
        BusinessCalendar, null=True, blank=True, on_delete=models.CASCADE, related_name="drafts"
    )
    # A policy draft's terms.
    policy_calendar = models.ForeignKey(
        BusinessCalendar, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    response_minutes = models.PositiveIntegerField(null=True, blank=True)
    resolution_minutes = models.PositiveIntegerField(null=True, blank=True)
    update_minutes = models.PositiveIntegerField(null=True, blank=True)
    warn_percent = models.PositiveSmallIntegerField(null=True, blank=True)
    # A calendar draft's terms.
    time_zone = models.CharField(max_length=64, blank=True)
    always_open = models.BooleanField(default=False)
    hours = models.JSONField(default=list, blank=True)
    holidays = models.JSONField(default=list, blank=True)

    base = models.JSONField(default=dict)
    state = models.CharField(max_length=10, choices=DraftState.choices, default=DraftState.OPEN)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    changes = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(kind="policy", policy__isnull=False, calendar__isnull=True)
                    | Q(kind="calendar", calendar__isnull=False, policy__isnull=True)
                ),
                name="sladraft_one_source",
            )
        ]
        indexes = [models.Index(fields=["state", "-created_at"], name="sladraft_state_idx")]

    def __str__(self) -> str:
        source = self.policy if self.kind == DraftKind.POLICY else self.calendar
        return f"Draft of {source}"


class ReplayState(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


class WhatIfReplay(models.Model):
    """One replay of a draft over the last ``weeks`` weeks (``sla.whatif``): its progress while
    it runs, its figures (``result``) when done. Live data is only read."""

    draft = models.ForeignKey(SlaDraft, on_delete=models.CASCADE, related_name="replays")
    weeks = models.PositiveSmallIntegerField()
    state = models.CharField(max_length=10, choices=ReplayState.choices, default=ReplayState.QUEUED)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    requested_at = models.DateTimeField()
    # The moment the replay looks back from (its "now").
    as_of = models.DateTimeField()
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    clocks_total = models.PositiveIntegerField(default=0)
    clocks_done = models.PositiveIntegerField(default=0)
    result = models.JSONField(default=dict, blank=True)
    error = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["-requested_at", "-id"]

    def __str__(self) -> str:
        return f"Replay of draft {self.draft_id} over {self.weeks} weeks"


class NotifyHours(models.Model):
    """When a person may be mailed news that is not urgent: their own calendar (a row for
    the user), else the calendar of a team they are in (a row for the team), else any time.
    Urgent news (an S1 case, a case under a 24x7 policy) goes at once (sla.quiet_hours)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="notify_hours",
    )
    team = models.OneToOneField(
        "cases.Team", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    calendar = models.ForeignKey(BusinessCalendar, on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = "notification hours"
        verbose_name_plural = "notification hours"
        constraints = [
            models.CheckConstraint(
                condition=Q(user__isnull=False, team__isnull=True)
                | Q(user__isnull=True, team__isnull=False),
                name="notifyhours_user_or_team",
            )
        ]

    def __str__(self) -> str:
        return f"Notification hours of {self.user or self.team}: {self.calendar}"
