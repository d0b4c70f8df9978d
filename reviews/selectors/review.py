"""Reading reviews and corrective actions for the pages."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser, User
from django.db.models import (
    BooleanField,
    Count,
    Exists,
    ExpressionWrapper,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    TextChoices,
)
from django.utils import timezone

from cases.models import Case
from cases.selectors import case_get_for_viewer
from cases.visibility import case_visible_to
from escalation.roles import Role, users_with_role
from reviews.models import PENDING_ACTION_STATUSES, CorrectiveAction, Review


class ReviewState(TextChoices):
    ALL = "all", "All"
    DUE = "due", "Due"
    OVERDUE = "overdue", "Overdue"
    DONE = "done", "Done"


@dataclass(frozen=True)
class ReviewPage:
    case: Case
    review: Review | None
    actions: list[CorrectiveAction]


def _flag(condition: Q) -> ExpressionWrapper:
    return ExpressionWrapper(condition, output_field=BooleanField())


def staff_users() -> QuerySet[User]:
    """Active users holding a staff role: who can take part in a review or own an action."""
    return users_with_role(*Role)


def review_page(*, viewer: User | AnonymousUser, reference: str) -> ReviewPage:
    """The case (404 when missing or not visible to ``viewer``), its review and actions."""
    case = case_get_for_viewer(viewer=viewer, reference=reference)
    review = (
        Review.objects.filter(case=case)
        .select_related("completed_by")
        .prefetch_related(
            Prefetch("participants", queryset=get_user_model().objects.order_by("first_name")),
            Prefetch(
                "actions",
                queryset=CorrectiveAction.objects.select_related("owner").order_by("due_on", "id"),
            ),
        )
        .first()
    )
    actions = list(review.actions.all()) if review is not None else []
    return ReviewPage(case=case, review=review, actions=actions)


def reviews_list(*, state: ReviewState, today: date | None = None) -> QuerySet[Review]:
    """Reviews in one state, with their case and the count of pending actions.

    Due: not done and due today or later; overdue: not done and due before today; done:
    completed (latest first).
    """
    today = today or timezone.localdate()
    qs = Review.objects.select_related("case__customer", "case__team", "completed_by").annotate(
        pending_actions=Count("actions", filter=Q(actions__status__in=PENDING_ACTION_STATUSES)),
        total_actions=Count("actions"),
    )
    if state == ReviewState.DUE:
        return qs.filter(completed_at__isnull=True, due_on__gte=today).order_by("due_on", "id")
    if state == ReviewState.OVERDUE:
        return qs.filter(completed_at__isnull=True, due_on__lt=today).order_by("due_on", "id")
    if state == ReviewState.DONE:
        return qs.filter(completed_at__isnull=False).order_by("-completed_at", "-id")
    # Pending first (False sorts before True), then by due date.
    return qs.order_by(_flag(Q(completed_at__isnull=False)), "due_on", "id")


def reviews_pending(*, today: date | None = None, limit: int = 10) -> tuple[int, int, list[Review]]:
    """(pending count, overdue count, the first ``limit`` pending reviews by due date)."""
    today = today or timezone.localdate()
    pending = Review.objects.filter(completed_at__isnull=True)
    counts = pending.aggregate(total=Count("id"), overdue=Count("id", filter=Q(due_on__lt=today)))
    rows = list(pending.select_related("case__customer").order_by("due_on", "id")[:limit])
    return counts["total"], counts["overdue"], rows


def actions_due(
    *, today: date | None = None, within_days: int = 7, limit: int = 10
) -> tuple[int, int, list[CorrectiveAction]]:
    """(actions due within ``within_days`` or overdue, of which overdue, the first ``limit``)."""
    today = today or timezone.localdate()
    pending = CorrectiveAction.objects.filter(
        status__in=PENDING_ACTION_STATUSES, due_on__lte=today + timedelta(days=within_days)
    )
    counts = pending.aggregate(total=Count("id"), overdue=Count("id", filter=Q(due_on__lt=today)))
    rows = list(pending.select_related("owner", "review__case").order_by("due_on", "id")[:limit])
    return counts["total"], counts["overdue"], rows


def actions_for_owner(*, owner: User) -> list[CorrectiveAction]:
    """The user's corrective actions: pending ones first by due date, then the latest others.

    Each says whether its owner may open its case (``case_visible``, in the same query): an
    owner always could when given the action, but the case may have moved to a team they are
    not in since. The action is still theirs to do, and their reminders point here, so the list
    keeps it and leaves out the case.
    """
    visible = case_visible_to(viewer=owner).filter(pk=OuterRef("review__case_id"))
    return list(
        CorrectiveAction.objects.filter(owner=owner)
        .select_related("review__case")
        .annotate(case_visible=Exists(visible))
        .order_by(_flag(~Q(status__in=PENDING_ACTION_STATUSES)), "due_on", "id")[:200]
    )


def action_for_update(*, pk: int) -> CorrectiveAction | None:
    return CorrectiveAction.objects.select_related("review__case").filter(pk=pk).first()
