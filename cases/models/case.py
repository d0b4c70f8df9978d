"""The escalated case, its links and attachments."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import ClassVar

from django.conf import settings
from django.db import models
from django.db.models import DateTimeField, F, Q, Value
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

from cases.models.directory import Category, Contact, Customer, Level, Product, RootCause, Tag, Team

REFERENCE_PREFIX = "ESC-"
TITLE_MAX = 200


class Severity(models.TextChoices):
    S1 = "S1", _("S1 Critical")
    S2 = "S2", _("S2 High")
    S3 = "S3", _("S3 Medium")
    S4 = "S4", _("S4 Low")


class Status(models.TextChoices):
    NEW = "new", _("New")
    ACKNOWLEDGED = "acknowledged", _("Acknowledged")
    IN_PROGRESS = "in_progress", _("In progress")
    WAITING = "waiting", _("Waiting on customer")
    RESOLVED = "resolved", _("Resolved")
    CLOSED = "closed", _("Closed")

    # The status groups, each filled in from STATUS_MOVES below the class (an enum's body holds
    # only members). Tuples in declaration order, so a query or an index condition built from
    # one reads the same on every run and matches the migrations.
    OPEN: ClassVar[tuple[Status, ...]]
    WORKING: ClassVar[tuple[Status, ...]]
    FINISHED: ClassVar[tuple[Status, ...]]


# The moves case_set_status makes; resolving, closing and reopening have their own services
# because they need more than a reason (a summary and root cause, or nothing at all).
STATUS_MOVES: dict[str, frozenset[str]] = {
    Status.NEW: frozenset({Status.ACKNOWLEDGED}),
    Status.ACKNOWLEDGED: frozenset({Status.IN_PROGRESS, Status.WAITING}),
    Status.IN_PROGRESS: frozenset({Status.WAITING}),
    Status.WAITING: frozenset({Status.IN_PROGRESS}),
    Status.RESOLVED: frozenset(),
    Status.CLOSED: frozenset(),
}
# Open: the case can still move (new, acknowledged, in progress, waiting on customer).
Status.OPEN = tuple(s for s in Status if STATUS_MOVES[s])
# Working: open and acknowledged, the statuses a move leads to (acknowledged, in progress,
# waiting on customer): where a case can be given a status, resolved or worked on.
Status.WORKING = tuple(s for s in Status if any(s in moves for moves in STATUS_MOVES.values()))
# Finished: no move out (resolved, closed); only reopening brings a resolved case back.
Status.FINISHED = tuple(s for s in Status if not STATUS_MOVES[s])

# Cases without a running deadline sort after every real one ("nulls last") through this
# stand-in. The queue orders by due_key() and expression indexes on the same COALESCE serve
# it, so "nearest breach" is one index range scan even with a cursor deep into the queue.
DUE_NEVER = datetime(9000, 1, 1, tzinfo=UTC)


def due_key() -> Coalesce:
    return Coalesce(F("next_due_at"), Value(DUE_NEVER, output_field=DateTimeField()))


class CaseSlaState(models.TextChoices):
    """A case's SLA state, worst first (the order the dashboard's columns read in). The SLA
    app defines each (sla.selectors.case_sla_state) and keeps the case's marks from which
    ``sla_state_condition`` tells them at any moment."""

    BREACHED = "breached", _("Breached")
    AT_RISK = "at_risk", _("At risk")
    ON_TRACK = "on_track", _("On track")
    PAUSED = "paused", _("Paused")
    NONE = "none", _("No SLA clock")


def sla_state_condition(state: str, *, now: datetime) -> Q:
    """The cases in ``state`` at ``now``, by their stored marks (range conditions only)."""
    not_breached = Q(sla_breach_at__isnull=True) | Q(sla_breach_at__gt=now)
    if state == CaseSlaState.BREACHED:
        return Q(sla_breach_at__lte=now)
    if state == CaseSlaState.AT_RISK:
        return Q(sla_breach_at__gt=now, sla_warn_at__lte=now)
    if state == CaseSlaState.ON_TRACK:
        return Q(sla_breach_at__gt=now, sla_warn_at__gt=now)
    if state == CaseSlaState.PAUSED:
        return Q(sla_paused=True) & not_breached
    if state == CaseSlaState.NONE:
        return Q(sla_paused=False, sla_warn_at__isnull=True) & not_breached
    raise ValueError(f"No SLA state {state!r}")


# "Most urgent" weighs severity by treating a less severe case's deadline (or breach) as this
# much later: an S4 due in five hours ranks with an S1 due in one. The SLA engine writes
# ``Case.urgency_at`` with it; the queue says so in one sentence (cases.selectors).
URGENCY_ALLOWANCE: dict[str, timedelta] = {
    Severity.S1: timedelta(0),
    Severity.S2: timedelta(hours=1),
    Severity.S3: timedelta(hours=2),
    Severity.S4: timedelta(hours=4),
}


def urgency_key() -> Coalesce:
    """``urgency_at``, with cases that have neither a deadline nor a breach last."""
    return Coalesce(F("urgency_at"), Value(DUE_NEVER, output_field=DateTimeField()))


class Impact(models.TextChoices):
    SINGLE_USER = "single_user", _("One user")
    SEVERAL_USERS = "several_users", _("Several users")
    SITE = "site", _("A site or department")
    BUSINESS = "business", _("The whole business")


class Source(models.TextChoices):
    FORM = "form", _("Web form")
    API = "api", _("API")
    EMAIL = "email", _("Email")


class LinkKind(models.TextChoices):
    DUPLICATE_OF = "duplicate_of", _("Duplicate of")
    CAUSED_BY = "caused_by", _("Caused by")
    RELATED = "related", _("Related to")


class CaseQuerySet(models.QuerySet["Case"]):
    def open(self) -> CaseQuerySet:
        return self.filter(status__in=Status.OPEN)


# The condition of the partial indexes that serve open cases only.
_OPEN = Q(status__in=Status.OPEN)


class Case(models.Model):
    """An escalated customer problem.

    The human reference (``ESC-000123``) is derived from the primary key, which the database
    never hands out twice, so references are unique and never reused.
    """

    title = models.CharField(max_length=TITLE_MAX)
    description = models.TextField()
    tried = models.TextField("what was tried", blank=True)
    # No single-column index on customer, team, owner, raised_by: the composite indexes below
    # (case_customer_raised_idx, case_team_status_idx, ...) start with each of them.
    customer = models.ForeignKey(
        Customer, on_delete=models.PROTECT, related_name="cases", db_index=False
    )
    contact = models.ForeignKey(
        Contact, null=True, blank=True, on_delete=models.SET_NULL, related_name="cases"
    )
    product = models.ForeignKey(
        Product, null=True, blank=True, on_delete=models.PROTECT, related_name="cases"
    )
    category = models.ForeignKey(
        Category, null=True, blank=True, on_delete=models.PROTECT, related_name="cases"
    )
    severity = models.CharField(max_length=2, choices=Severity.choices)
    impact = models.CharField(max_length=20, choices=Impact.choices, default=Impact.SINGLE_USER)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.NEW)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="owned_cases",
        db_index=False,
    )
    team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.PROTECT, related_name="cases", db_index=False
    )
    level = models.CharField(max_length=4, choices=Level.choices, default=Level.L1)
    raised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="raised_cases",
        db_index=False,
    )
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.FORM)

    raised_at = models.DateTimeField()
    first_response_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    # The latest customer-facing update: the SLA update clock counts from here.
    last_customer_update_at = models.DateTimeField(null=True, blank=True)
    # The latest message from the customer while the case was open: the update clock counts
    # from here when it is later (update time runs from the last contact either way).
    last_customer_contact_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField()

    resolution_summary = models.TextField(blank=True)
    root_cause = models.ForeignKey(
        RootCause, null=True, blank=True, on_delete=models.PROTECT, related_name="cases"
    )
    reopen_count = models.PositiveIntegerField(default=0)

    # Maintained by the SLA engine: the earliest deadline of the case's running clocks, so the
    # queue can sort by time-to-breach through an index instead of joining the clocks.
    next_due_at = models.DateTimeField(null=True, blank=True)
    # Also maintained by the SLA engine, from the same clocks: the instants at which the case's
    # SLA state changes, so the queue filters by state with range conditions (the state at any
    # moment follows from them; see sla.selectors.case_sla_state for the definitions):
    # breached from ``sla_breach_at`` (the earliest breach on record, or running unpaused
    # deadline), at risk from ``sla_warn_at`` (the earliest running unpaused warning point),
    # paused while ``sla_paused`` (clocks run, but every running one is paused).
    sla_breach_at = models.DateTimeField(null=True, blank=True)
    sla_warn_at = models.DateTimeField(null=True, blank=True)
    sla_paused = models.BooleanField(default=False)
    # "Most urgent" order's key: sla_breach_at plus the severity's URGENCY_ALLOWANCE.
    urgency_at = models.DateTimeField(null=True, blank=True)

    # Major incidents (incidents app): the parent case that coordinates this one; a parent has
    # no parent itself (incidents.services checks it). Indexed: a parent's children are listed.
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    # Set on a major incident's parent: the customer-update clock's target in minutes (the
    # incident's cadence) instead of the SLA policy's.
    update_every_minutes = models.PositiveIntegerField(null=True, blank=True)

    tags = models.ManyToManyField(Tag, blank=True, related_name="cases")
    watchers = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="watched_cases"
    )

    objects = CaseQuerySet.as_manager()

    class Meta:
        ordering = ["-id"]
        indexes = [
            # The triage queue: open cases by nearest deadline (keyset on next_due_at, id).
            models.Index(
                fields=["next_due_at", "id"],
                name="case_open_due_idx",
                condition=_OPEN,
            ),
            models.Index(fields=["-id"], name="case_open_recent_idx", condition=_OPEN),
            # The queue's orders and the filters that narrow it most, open cases only.
            models.Index(due_key(), F("id"), name="case_open_duekey_idx", condition=_OPEN),
            models.Index(
                F("team"), due_key(), F("id"), name="case_open_team_due_idx", condition=_OPEN
            ),
            models.Index(
                F("owner"), due_key(), F("id"), name="case_open_owner_due_idx", condition=_OPEN
            ),
            models.Index(
                due_key(),
                F("id"),
                name="case_open_unassigned_due_idx",
                condition=_OPEN & Q(owner__isnull=True),
            ),
            models.Index(fields=["severity", "id"], name="case_open_sev_id_idx", condition=_OPEN),
            # "Most urgent" (its three bands are ranges of this key) and the SLA-state filters:
            # breached and at risk are ranges of sla_breach_at (at risk also of sla_warn_at).
            models.Index(urgency_key(), F("id"), name="case_open_urgency_idx", condition=_OPEN),
            models.Index(
                fields=["sla_breach_at", "sla_warn_at"],
                name="case_open_sla_breach_idx",
                condition=_OPEN,
            ),
            # The API list with no status filter (every status, due order): the same key over
            # the whole table, so its first page is an index range scan at any size.
            models.Index(due_key(), F("id"), name="case_duekey_idx"),
            models.Index(fields=["status", "severity"], name="case_status_severity_idx"),
            models.Index(fields=["team", "status"], name="case_team_status_idx"),
            models.Index(fields=["owner", "status"], name="case_owner_status_idx"),
            models.Index(fields=["raised_by", "status"], name="case_raiser_status_idx"),
            models.Index(fields=["customer", "raised_at"], name="case_customer_raised_idx"),
            models.Index(fields=["raised_at"], name="case_raised_idx"),
            models.Index(fields=["resolved_at"], name="case_resolved_idx"),
            # The live pages' "changed since" mark: the newest change a viewer may see, read
            # backwards off this index (cases.selectors_live).
            models.Index(fields=["updated_at"], name="case_updated_idx"),
            # The major incidents' parents (the queue's "major incidents only"): a handful.
            models.Index(
                fields=["id"],
                name="case_incident_parent_idx",
                condition=Q(update_every_minutes__isnull=False),
            ),
        ]
        constraints = [
            models.CheckConstraint(condition=~Q(parent=F("id")), name="case_parent_not_self"),
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.title}"

    @property
    def reference(self) -> str:
        return f"{REFERENCE_PREFIX}{self.pk:06d}"

    @property
    def is_open(self) -> bool:
        return self.status in Status.OPEN

    @staticmethod
    def pk_from_reference(reference: str) -> int | None:
        """``ESC-000123`` (any case, with or without zeros) -> 123; None when not a reference.

        ASCII digits only: ``isdigit()`` alone also accepts ``²``, ``①`` (which ``int()``
        refuses) and other scripts' digits such as ``١٢٣`` (which ``int()`` reads as 123).
        """
        text = reference.strip().upper()
        if text.startswith(REFERENCE_PREFIX):
            text = text[len(REFERENCE_PREFIX) :]
        ascii_digits = text.isascii() and text.isdigit()
        return int(text) if ascii_digits and 0 < len(text) <= 12 else None


class CaseLink(models.Model):
    source = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="links_out")
    target = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="links_in")
    kind = models.CharField(max_length=20, choices=LinkKind.choices)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["source", "target", "kind"], name="caselink_unique"),
            models.CheckConstraint(
                condition=~Q(source=models.F("target")), name="caselink_not_self"
            ),
        ]


def attachment_path(instance: Attachment, filename: str) -> str:
    # The stored name is ours, never the uploader's: the original name is kept in a column.
    return f"attachments/{instance.case_id}/{instance.token}"


class Attachment(models.Model):
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="attachments")
    token = models.CharField(max_length=32, unique=True)
    file = models.FileField(upload_to=attachment_path, max_length=200)
    original_name = models.CharField(max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField()
    # None: the customer sent it (a reply by email or on the status page).
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField()

    class Meta:
        ordering = ["uploaded_at", "id"]
