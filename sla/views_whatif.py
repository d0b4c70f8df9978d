"""Draft SLA policies and calendars, and their what-if replays.

Escalation managers make, edit, replay, publish and discard drafts. Executives read the drafts
and their replays (they decide on the policy with the managers) but change nothing. Operators
are refused.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from escalation.access import role_required, signed_in
from escalation.errors import DomainError
from escalation.roles import Role, has_role
from sla import drafts
from sla.forms_drafts import (
    CalendarDraftForm,
    DraftStartForm,
    PolicyDraftForm,
    ReplayForm,
    holidays_text,
    hours_text,
)
from sla.models import BusinessCalendar, DraftKind, DraftState, ReplayState, SlaDraft, WhatIfReplay
from sla.whatif import replay_request

READERS = (Role.MANAGER, Role.EXECUTIVE)
RECENT_REPLAYS = 10


@role_required(*READERS)
@require_http_methods(["GET", "POST"])
def draft_list(request: HttpRequest) -> HttpResponse:
    """The open drafts and the latest decided ones; managers start a draft here (POST)."""
    form = DraftStartForm(request.POST or None)
    if request.method == "POST":
        if not has_role(request.user, Role.MANAGER):
            raise PermissionDenied(_("Only escalation managers change drafts."))
        if form.is_valid():
            policy, calendar = form.source_rows()
            draft = drafts.draft_start(
                by=signed_in(request), now=timezone.now(), policy=policy, calendar=calendar
            )
            return redirect("sla:draft_detail", pk=draft.pk)
    rows = SlaDraft.objects.select_related("policy", "calendar", "created_by", "decided_by")
    return render(
        request,
        "sla/draft_list.html",
        {
            "form": form,
            "open_drafts": rows.filter(state=DraftState.OPEN),
            "decided": rows.exclude(state=DraftState.OPEN)[:20],
            "can_edit": has_role(request.user, Role.MANAGER),
        },
        status=400 if form.is_bound and form.errors else 200,
    )


@role_required(*READERS)
@require_http_methods(["GET", "POST"])
def draft_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A draft next to its live row; managers edit it (POST), replay, publish or discard it."""
    draft = _draft(pk)
    form: Any = _terms_form(draft, data=None)
    if request.method == "POST":
        if not has_role(request.user, Role.MANAGER):
            raise PermissionDenied(_("Only escalation managers change drafts."))
        form = _terms_form(draft, data=request.POST)
        if form.is_valid():
            try:
                _terms_save(draft, form, request)
            except DomainError as error:
                form.add_domain_error(error)
            else:
                messages.success(request, _("Draft saved. Replay it to see what it changes."))
                return redirect("sla:draft_detail", pk=draft.pk)
    return _detail(request, draft, form=form, replay_form=ReplayForm())


@role_required(Role.MANAGER)
@require_POST
def draft_publish(request: HttpRequest, pk: int) -> HttpResponse:
    draft = _draft(pk)
    try:
        drafts.draft_publish(draft_id=draft.pk, by=signed_in(request), now=timezone.now())
    except DomainError as error:
        messages.error(request, error.message)
        return redirect("sla:draft_detail", pk=draft.pk)
    messages.success(
        request,
        _(
            "Published: the %(kind)s %(name)s is now as drafted. Open cases are being "
            "re-aligned in the background."
        )
        % {"kind": draft.get_kind_display(), "name": draft.policy or draft.calendar},
    )
    return redirect("sla:draft_detail", pk=draft.pk)


@role_required(Role.MANAGER)
@require_POST
def draft_discard(request: HttpRequest, pk: int) -> HttpResponse:
    draft = _draft(pk)
    try:
        drafts.draft_discard(draft_id=draft.pk, by=signed_in(request), now=timezone.now())
    except DomainError as error:
        messages.error(request, error.message)
        return redirect("sla:draft_detail", pk=draft.pk)
    messages.success(request, _("Draft discarded; nothing live changed."))
    return redirect("sla:draft_list")


@role_required(Role.MANAGER)
@require_POST
def replay_new(request: HttpRequest, pk: int) -> HttpResponse:
    draft = _draft(pk)
    form = ReplayForm(request.POST)
    if form.is_valid():
        try:
            replay = replay_request(
                draft_id=draft.pk,
                weeks=form.cleaned_data["weeks"],
                by=signed_in(request),
                now=timezone.now(),
            )
        except DomainError as error:
            form.add_domain_error(error)
        else:
            return redirect("sla:replay_detail", pk=replay.pk)
    return _detail(request, draft, form=_terms_form(draft, data=None), replay_form=form, status=400)


@role_required(*READERS)
@require_GET
def replay_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A replay's figures; while it runs, its progress, which polls ``replay_body``."""
    replay = _replay(pk)
    return render(request, "sla/whatif.html", _replay_context(replay))


@role_required(*READERS)
@require_GET
def replay_body(request: HttpRequest, pk: int) -> HttpResponse:
    """The poll of a running replay: its progress, or its figures once done."""
    replay = _replay(pk)
    return render(request, "sla/whatif_body.html", _replay_context(replay))


def _draft(pk: int) -> SlaDraft:
    return get_object_or_404(
        SlaDraft.objects.select_related(
            "policy__calendar", "calendar", "policy_calendar", "created_by", "decided_by"
        ),
        pk=pk,
    )


def _replay(pk: int) -> WhatIfReplay:
    return get_object_or_404(
        WhatIfReplay.objects.select_related("draft__policy", "draft__calendar", "requested_by"),
        pk=pk,
    )


def _replay_context(replay: WhatIfReplay) -> dict[str, Any]:
    running = replay.state in (ReplayState.QUEUED, ReplayState.RUNNING)
    percent = 100 * replay.clocks_done // replay.clocks_total if replay.clocks_total else 0
    return {"replay": replay, "result": replay.result, "running": running, "percent": percent}


def _terms_form(draft: SlaDraft, *, data: Any) -> PolicyDraftForm | CalendarDraftForm:
    if draft.kind == DraftKind.POLICY:
        return PolicyDraftForm(
            data,
            initial={
                "calendar": draft.policy_calendar_id,
                "response_minutes": draft.response_minutes,
                "resolution_minutes": draft.resolution_minutes,
                "update_minutes": draft.update_minutes,
                "warn_percent": draft.warn_percent,
            },
        )
    return CalendarDraftForm(
        data,
        initial={
            "time_zone": draft.time_zone,
            "always_open": draft.always_open,
            "hours": hours_text(draft.hours),
            "holidays": holidays_text(draft.holidays),
        },
    )


def _terms_save(draft: SlaDraft, form: Any, request: HttpRequest) -> None:
    data = form.cleaned_data
    if draft.kind == DraftKind.POLICY:
        drafts.draft_policy_edit(
            draft_id=draft.pk,
            by=signed_in(request),
            now=timezone.now(),
            calendar=data["calendar"],
            response_minutes=data["response_minutes"],
            resolution_minutes=data["resolution_minutes"],
            update_minutes=data["update_minutes"],
            warn_percent=data["warn_percent"],
        )
    else:
        drafts.draft_calendar_edit(
            draft_id=draft.pk,
            by=signed_in(request),
            now=timezone.now(),
            time_zone=data["time_zone"],
            always_open=data["always_open"],
            hours=data["hours"],
            holidays=data["holidays"],
        )


def _detail(
    request: HttpRequest, draft: SlaDraft, *, form: Any, replay_form: ReplayForm, status: int = 0
) -> HttpResponse:
    if draft.kind == DraftKind.POLICY:
        live = drafts.policy_snapshot(draft.policy) if draft.policy else {}
        compare = _policy_rows(draft, live)
    else:
        live = drafts.calendar_snapshot(draft.calendar) if draft.calendar else {}
        compare = _calendar_rows(draft, live)
    bound_errors = (form.is_bound and form.errors) or (replay_form.is_bound and replay_form.errors)
    return render(
        request,
        "sla/draft_detail.html",
        {
            "draft": draft,
            "form": form,
            "replay_form": replay_form,
            "compare": compare,
            "stale": bool(live) and live != draft.base,
            "replays": draft.replays.select_related("requested_by")[:RECENT_REPLAYS],
            "can_edit": has_role(request.user, Role.MANAGER) and draft.state == DraftState.OPEN,
        },
        status=status or (400 if bound_errors else 200),
    )


def _policy_rows(draft: SlaDraft, live: dict[str, Any]) -> list[tuple[str, Any, Any]]:
    names: dict[Any, str] = {
        c.pk: c.name for c in _calendars({live.get("calendar_id"), draft.policy_calendar_id})
    }
    terms = drafts.draft_terms(draft)
    rows: list[tuple[str, Any, Any]] = [
        (_("Calendar"), names.get(live.get("calendar_id"), ""), names.get(terms["calendar_id"]))
    ]
    labels = {
        "response_minutes": _("First response (min)"),
        "resolution_minutes": _("Resolution (min)"),
        "update_minutes": _("Customer update (min)"),
        "warn_percent": _("Warn at (%)"),
    }
    rows += [(label, live.get(name), terms[name]) for name, label in labels.items()]
    return rows


def _calendar_rows(draft: SlaDraft, live: dict[str, Any]) -> list[tuple[str, Any, Any]]:
    return [
        (_("Time zone"), live.get("time_zone"), draft.time_zone),
        (_("Open 24x7"), live.get("always_open"), draft.always_open),
        (_("Working hours"), hours_text(live.get("hours", [])), hours_text(draft.hours)),
        (_("Holidays"), holidays_text(live.get("holidays", [])), holidays_text(draft.holidays)),
    ]


def _calendars(ids: set[Any]) -> list[BusinessCalendar]:
    return list(BusinessCalendar.objects.filter(pk__in=[i for i in ids if i]))
