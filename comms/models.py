"""What comms keeps: the further contacts a case's updates go to, each update's deliveries, the
managers' reply templates (and, below, what the other parts of comms add)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from cases.models import Case, CaseEvent, Category, Contact, Product, Severity, Team
from sla.models import OutgoingMail


class CaseCc(models.Model):
    """A further contact of the case's customer who gets a copy of every customer-facing
    update (the case's own ``contact`` gets them anyway)."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="cc_contacts")
    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="cc_cases")
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    added_at = models.DateTimeField()

    class Meta:
        ordering = ["added_at", "id"]
        verbose_name = "CC contact"
        constraints = [
            models.UniqueConstraint(fields=["case", "contact"], name="casecc_case_contact_uniq")
        ]

    def __str__(self) -> str:
        return f"{self.contact} on {self.case.reference}"


class Delivery(models.Model):
    """One recipient of one customer-facing update: the outbox row that carries it (its status
    is the delivery's) and the Message-ID it went out with, which a reply's ``In-Reply-To``
    names."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="deliveries")
    event = models.ForeignKey(CaseEvent, on_delete=models.CASCADE, related_name="deliveries")
    recipient = models.EmailField()
    # A copy to a further contact (CaseCc), not to the case's own contact.
    cc = models.BooleanField(default=False)
    message_id = models.CharField(max_length=255, unique=True)
    mail = models.ForeignKey(OutgoingMail, on_delete=models.PROTECT, related_name="deliveries")
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["event", "cc", "id"]
        verbose_name_plural = "deliveries"
        indexes = [models.Index(fields=["case", "-created_at"], name="delivery_case_idx")]

    def __str__(self) -> str:
        return f"{self.case.reference} update to {self.recipient}"


class ReplyTemplate(models.Model):
    """A manager's canned reply for the update box; ``team`` None: every team's.

    ``body`` holds placeholders from ``comms.macros.PLACEHOLDERS`` in braces, filled in when
    it is chosen; the form refuses any other."""

    name = models.CharField(max_length=100)
    body = models.TextField()
    team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.CASCADE, related_name="reply_templates"
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["team", "name"], name="replytemplate_team_name_uniq"),
            models.UniqueConstraint(
                fields=["name"], condition=Q(team=None), name="replytemplate_global_name_uniq"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class StatusLink(models.Model):
    """The nonce every status-page link of a case is signed with (``comms.status_links``).
    Revoking stamps ``revoked_at`` and a new row takes over: every link signed with the old
    nonce then says it is no longer valid. One unrevoked row per case."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="status_links")
    nonce = models.CharField(max_length=32, unique=True)
    created_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["case"],
                condition=Q(revoked_at__isnull=True),
                name="statuslink_one_live_per_case",
            )
        ]

    def __str__(self) -> str:
        state = "revoked" if self.revoked_at else "live"
        return f"Status link of case {self.case_id} ({state})"


class InboundState(models.TextChoices):
    POSTED = "posted", _("Posted on its case")
    RAISED = "raised", _("Raised a new case")
    AUTO_REPLY = "auto_reply", _("Auto-reply (ignored)")
    BOUNCE = "bounce", _("Bounce (ignored)")
    OWN = "own", _("Our own mail (ignored)")
    QUARANTINED = "quarantined", _("Quarantined")
    RELEASED = "released", _("Attached to a case by a manager")
    DISCARDED = "discarded", _("Discarded by a manager")


class InboundSource(models.TextChoices):
    IMAP = "imap", _("IMAP mailbox")
    WEBHOOK = "webhook", _("Inbound webhook")


class InboundMessage(models.Model):
    """One email that reached us (comms.inbound), whatever became of it.

    ``message_id`` is unique: the row is written in the transaction that posts the message,
    so a second fetch of the same mail (a restart, another worker, a webhook retried) finds
    it and posts nothing. ``raw`` is the message as it came, for a manager's review."""

    message_id = models.CharField(max_length=998, unique=True)
    source = models.CharField(max_length=10, choices=InboundSource.choices)
    received_at = models.DateTimeField()
    sender = models.CharField(max_length=254, blank=True)
    subject = models.CharField(max_length=255, blank=True)
    # The customer's new text (quoted history left out) that was or would be posted.
    text = models.TextField(blank=True)
    raw = models.BinaryField()
    state = models.CharField(max_length=12, choices=InboundState.choices)
    # Why it was not posted (quarantine, a recognised auto-reply, ...).
    reason = models.CharField(max_length=300, blank=True)
    case = models.ForeignKey(
        Case, null=True, blank=True, on_delete=models.SET_NULL, related_name="inbound_messages"
    )
    event = models.ForeignKey(
        CaseEvent, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    handled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-received_at", "-id"]
        indexes = [
            models.Index(fields=["state", "-received_at"], name="inbound_state_received_idx")
        ]

    def __str__(self) -> str:
        return f"{self.message_id} ({self.get_state_display()})"


class TeamInbox(models.Model):
    """An address of a team at which mail from a known customer contact that belongs to no
    case raises a new case for the team (``comms.mail_raise``); off until switched on."""

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="inboxes")
    # Stored in lower case (the admin's form and the lookup both fold it).
    address = models.EmailField(unique=True)
    enabled = models.BooleanField(
        default=False, help_text=_("Off by default: mail to a switched-off address is quarantined.")
    )
    raise_as = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_(
            "The operator or manager recorded as raising these cases (a team lead or a "
            "service account)."
        ),
    )
    severity = models.CharField(max_length=2, choices=Severity.choices, default=Severity.S3)
    product = models.ForeignKey(
        Product, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    category = models.ForeignKey(
        Category, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["address"]
        verbose_name = "team inbox"
        verbose_name_plural = "team inboxes"

    def __str__(self) -> str:
        return f"{self.address} ({self.team})"


class Broadcast(models.Model):
    """One update written once and posted on many cases (``comms.broadcast``): a major
    incident's update to each of its children. ``total`` targets, ``done`` of them handled
    (sent or skipped), counted in each target's own transaction; ``finished_at`` stamped by
    the last one."""

    parent = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="broadcasts")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    body = models.TextField()
    # The update as posted on the parent itself.
    parent_event = models.ForeignKey(
        CaseEvent, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField()
    total = models.PositiveIntegerField()
    done = models.PositiveIntegerField(default=0)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["parent", "-created_at"], name="broadcast_parent_idx")]

    def __str__(self) -> str:
        return f"Update of {self.parent.reference}: {self.done} of {self.total}"


class BroadcastState(models.TextChoices):
    PENDING = "pending", _("Pending")
    SENT = "sent", _("Sent")
    # On the case's timeline, but not mailed (``reason`` says why).
    SKIPPED = "skipped", _("Not mailed")
    # An unexpected error even when posted alone (``reason`` has it): not handed out again.
    FAILED = "failed", _("Failed")


class BroadcastTarget(models.Model):
    """One case a broadcast goes to. Claimed from ``pending`` with a conditional UPDATE in the
    transaction that posts the update, so it is posted once however often its task runs."""

    broadcast = models.ForeignKey(Broadcast, on_delete=models.CASCADE, related_name="targets")
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="broadcast_targets")
    state = models.CharField(
        max_length=10, choices=BroadcastState.choices, default=BroadcastState.PENDING
    )
    reason = models.CharField(max_length=300, blank=True)
    # The update (or, when it could not be mailed, the note) on the case's timeline.
    event = models.ForeignKey(
        CaseEvent, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # When it was last handed to a worker: the sweep hands out again what stayed pending.
    dispatched_at = models.DateTimeField()
    done_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["broadcast", "id"]
        constraints = [
            models.UniqueConstraint(fields=["broadcast", "case"], name="broadcasttarget_uniq")
        ]
        indexes = [
            models.Index(
                fields=["dispatched_at"],
                condition=Q(state=BroadcastState.PENDING),
                name="broadcasttarget_pending_idx",
            )
        ]

    def __str__(self) -> str:
        return f"{self.broadcast} to case {self.case_id} ({self.get_state_display()})"
