"""A major incident's checklist: tasks with an owner and a due time, added by hand or from a
playbook; and the overdue reminder, sent once per task however many workers run it."""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import partial

from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cases.models import Case
from cases.permissions import can_triage, can_view_case
from cases.services.common import require
from escalation.errors import DomainError
from escalation.roles import can_own
from escalation.text import text_clean
from escalation.users import display_name
from incidents.locking import incident_event, incident_lock, require_active
from incidents.models import (
    TASK_TITLE_MAX,
    IncidentState,
    IncidentTask,
    MajorIncident,
    Playbook,
    TaskState,
)
from sla.models import NotificationKind
from sla.notifications import notification_send

# How many overdue tasks one run of the reminder handles (the next run takes the rest).
OVERDUE_BATCH = 500


def can_complete_task(user: User, task: IncidentTask) -> bool:
    """Managers tick off any task; its owner her own (when she may open the parent)."""
    if can_triage(user):
        return True
    return task.owner_id == user.pk and can_view_case(user, task.incident.case)


def _owner_check(owner: User | None) -> User | None:
    if owner is not None and not can_own(owner):
        raise DomainError(
            _("%(person)s cannot own a task: an active operator or manager.")
            % {"person": display_name(owner)},
            field="owner",
        )
    return owner


def task_add(
    *,
    incident: MajorIncident,
    by: User,
    title: str,
    owner: User | None = None,
    due_at: datetime | None = None,
) -> IncidentTask:
    require(by, can_triage)
    title = text_clean(
        title, field="title", label="The task", max_length=TASK_TITLE_MAX, required=True
    )
    _owner_check(owner)
    with transaction.atomic():
        incident, parent = incident_lock(incident)
        require_active(incident)
        task = IncidentTask.objects.create(
            incident=incident, title=title, owner=owner, due_at=due_at, created_at=timezone.now()
        )
        incident_event(
            parent,
            by=by,
            text=f"Task added: {title}"[:200],
            action="task_added",
            task=task.pk,
            owner=owner.pk if owner else None,
        )
    return task


def task_set_state(*, task: IncidentTask, by: User, state: str) -> IncidentTask:
    """Tick a task off (done), cancel it, or reopen it. The owner may tick off her own task;
    cancelling and reopening are the managers'."""
    if state not in TaskState.values:
        raise DomainError(_("%(state)r is not a task state.") % {"state": state}, field="state")
    allowed = can_complete_task if state == TaskState.DONE else (lambda u, _t: can_triage(u))
    if not allowed(by, task):
        raise PermissionDenied(_("Your role does not allow this change to the task."))
    with transaction.atomic():
        incident, parent = incident_lock(task.incident)
        require_active(incident)
        task = IncidentTask.objects.select_for_update().get(pk=task.pk)
        if task.state == state:
            raise DomainError(
                _("The task is %(state)s already.") % {"state": task.get_state_display().lower()}
            )
        if state != TaskState.OPEN and task.state != TaskState.OPEN:
            raise DomainError(_("Reopen the task first."))
        now = timezone.now()
        old = task.state
        task.state = state
        task.done_at = now if state == TaskState.DONE else None
        task.done_by = by if state == TaskState.DONE else None
        if state == TaskState.OPEN:
            # A reopened task that falls due again is reminded of again.
            task.overdue_notified_at = None
        task.save(update_fields=["state", "done_at", "done_by", "overdue_notified_at"])
        verb = {
            TaskState.DONE: "done",
            TaskState.CANCELLED: "cancelled",
            TaskState.OPEN: "reopened",
        }
        incident_event(
            parent,
            by=by,
            text=f"Task {verb}: {task.title}"[:200],
            action="task_state",
            task=task.pk,
            from_state=old,
            to_state=state,
        )
    return task


def playbook_for(case: Case) -> Playbook | None:
    """The active playbook of the case's category, else the active one for every category."""
    playbooks = Playbook.objects.filter(is_active=True).order_by("name")
    if case.category_id is not None:
        own = playbooks.filter(category_id=case.category_id).first()
        if own is not None:
            return own
    return playbooks.filter(category__isnull=True).first()


def playbook_apply_locked(
    *, incident: MajorIncident, playbook: Playbook, by: User | None, now: datetime
) -> list[IncidentTask]:
    """Add the playbook's tasks, due relative to the declaration (the caller holds the lock)."""
    tasks = IncidentTask.objects.bulk_create(
        IncidentTask(
            incident=incident,
            title=template.title,
            due_at=(
                incident.declared_at + timedelta(minutes=template.due_after_minutes)
                if template.due_after_minutes is not None
                else None
            ),
            created_at=now,
        )
        for template in playbook.tasks.all()
    )
    incident_event(
        incident.case,
        by=by,
        text=f"Playbook {playbook.name} applied: {len(tasks)} tasks"[:200],
        action="playbook",
        playbook=playbook.pk,
    )
    return tasks


def playbook_apply(*, incident: MajorIncident, playbook: Playbook, by: User) -> list[IncidentTask]:
    require(by, can_triage)
    if not playbook.is_active:
        raise DomainError(
            _("The playbook %(name)s is not active.") % {"name": playbook.name}, field="playbook"
        )
    with transaction.atomic():
        incident, _parent = incident_lock(incident)
        require_active(incident)
        return playbook_apply_locked(
            incident=incident, playbook=playbook, by=by, now=timezone.now()
        )


def tasks_notify_overdue(*, now: datetime) -> int:
    """Tell the owner and the incident lead of each open task past its due time, once.

    1. Read a batch of open, unreminded tasks due by ``now`` of active incidents.
    2. Claim each with a conditional UPDATE of ``overdue_notified_at``: one worker wins it.
    3. The winner writes the notifications (and their mail) in the same transaction, so a
       claim that rolls back notifies no one and the task is claimed again next time.
    Returns how many tasks this run reminded of.
    """
    due = (
        IncidentTask.objects.filter(
            state=TaskState.OPEN,
            overdue_notified_at__isnull=True,
            due_at__lte=now,
            incident__state=IncidentState.ACTIVE,
        )
        .select_related("owner", "incident__lead", "incident__case")
        .order_by("due_at", "id")[:OVERDUE_BATCH]
    )
    sent = 0
    for task in due:
        with transaction.atomic():
            claimed = IncidentTask.objects.filter(
                pk=task.pk, state=TaskState.OPEN, overdue_notified_at__isnull=True
            ).update(overdue_notified_at=now)
            if not claimed:
                continue
            notification_send(
                recipients=[task.owner, task.incident.lead],
                kind=NotificationKind.OTHER,
                subject=partial(_overdue_subject, task),
                body=partial(_overdue_body, task),
                case=task.incident.case,
            )
            sent += 1
    return sent


# The overdue reminder's texts, in the active language (``notification_send`` writes them once
# per language of the recipients).


def _overdue_subject(task: IncidentTask) -> str:
    return _("Overdue task on major incident %(case)s: %(task)s") % {
        "case": task.incident.case.reference,
        "task": task.title,
    }


def _overdue_body(task: IncidentTask) -> str:
    case = task.incident.case
    return _(
        "The task “%(task)s” of major incident %(case)s (%(title)s) was due at %(due_at)s. "
        "Owner: %(owner)s; incident lead: %(lead)s."
    ) % {
        "task": task.title,
        "case": case.reference,
        "title": case.title,
        "due_at": f"{timezone.localtime(task.due_at):%Y-%m-%d %H:%M}",
        "owner": display_name(task.owner, nobody=_("nobody")),
        "lead": display_name(task.incident.lead, nobody=_("nobody")),
    }
