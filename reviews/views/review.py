"""The review of a case with its corrective actions; the list of reviews; one's own actions."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from escalation.access import role_required, signed_in
from escalation.errors import DomainError
from escalation.roles import Role, is_manager
from reviews import selectors, services
from reviews.forms import ActionFormSet, People, ReviewForm
from reviews.selectors.review import ReviewPage, ReviewState

STAFF = (Role.OPERATOR, Role.MANAGER, Role.EXECUTIVE)
PAGE_SIZE = 50


@require_GET
@role_required(Role.MANAGER, Role.EXECUTIVE)
def review_list(request: HttpRequest) -> HttpResponse:
    raw = request.GET.get("state", ReviewState.ALL)
    try:
        state = ReviewState(raw)
    except ValueError:
        state = ReviewState.ALL
    page = Paginator(selectors.reviews_list(state=state), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "reviews/list.html",
        {
            "page": page,
            "state": state,
            "states": ReviewState.choices,
            "today": timezone.localdate(),
        },
    )


def _initial(page: ReviewPage) -> tuple[dict[str, object], list[dict[str, object]]]:
    review = page.review
    if review is None:
        return {}, []
    return (
        {
            "meeting_on": review.meeting_on,
            "participants": [p.pk for p in review.participants.all()],
            "summary": review.summary,
            "went_well": review.went_well,
            "went_badly": review.went_badly,
            "lessons": review.lessons,
            "completed": review.completed_at is not None,
        },
        [
            {
                "id": a.pk,
                "description": a.description,
                "owner": a.owner_id,
                "due_on": a.due_on,
                "status": a.status,
            }
            for a in page.actions
        ],
    )


@require_http_methods(["GET", "POST"])
@role_required(*STAFF)
def review_edit(request: HttpRequest, reference: str) -> HttpResponse:
    """Managers create and edit the review; operators (who can see the case) and executives
    read it; a POST from anyone but a manager is refused."""
    page = selectors.review_page(viewer=signed_in(request), reference=reference)
    can_edit = is_manager(signed_in(request))
    if request.method == "POST" and not can_edit:
        raise PermissionDenied(_("Only escalation managers edit reviews."))
    form = formset = None
    if can_edit:
        people = People(case=page.case, kept=[a.owner_id for a in page.actions])
        initial, actions_initial = _initial(page)
        if request.method == "POST":
            form = ReviewForm(request.POST, people=people)
            formset = ActionFormSet(request.POST, prefix="actions", form_kwargs={"people": people})
            if form.is_valid() and formset.is_valid():
                data = form.cleaned_data
                try:
                    services.review_save(
                        case=page.case,
                        by=signed_in(request),
                        meeting_on=data["meeting_on"],
                        participants=data["participants"],
                        summary=data["summary"],
                        went_well=data["went_well"],
                        went_badly=data["went_badly"],
                        lessons=data["lessons"],
                        completed=data["completed"],
                        actions=[f.to_input() for f in formset.forms if f.cleaned_data],
                    )
                except DomainError as exc:
                    form.add_error(exc.field if exc.field in form.fields else None, exc.message)
                else:
                    messages.success(
                        request,
                        _("The review of %(reference)s is saved.")
                        % {"reference": page.case.reference},
                    )
                    return redirect("reviews:review", reference=page.case.reference)
        else:
            form = ReviewForm(initial=initial, people=people)
            formset = ActionFormSet(
                initial=actions_initial, prefix="actions", form_kwargs={"people": people}
            )
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "reviews/review.html",
        {
            "page": page,
            "case": page.case,
            "review": page.review,
            "form": form,
            "formset": formset,
            "can_edit": can_edit,
            "today": timezone.localdate(),
        },
        status=status,
    )


@require_GET
@role_required(*STAFF)
def actions_mine(request: HttpRequest) -> HttpResponse:
    actions = selectors.actions_for_owner(owner=signed_in(request))
    return render(
        request, "reviews/actions_mine.html", {"actions": actions, "today": timezone.localdate()}
    )


@role_required(*STAFF)
@require_POST
def action_done(request: HttpRequest, pk: int) -> HttpResponseBase:
    action = selectors.action_for_update(pk=pk)
    if action is None:
        raise Http404(_("No such corrective action."))
    if not services.can_mark_action_done(signed_in(request), action):
        raise PermissionDenied(_("Only the action's owner or a manager can mark it done."))
    try:
        services.action_mark_done(action=action, by=signed_in(request))
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The corrective action is marked done."))
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = reverse("reviews:actions_mine")
    return redirect(target)
