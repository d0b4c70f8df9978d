"""The cases API: one small class per operation (validate, call the service, serialize).

Every endpoint that names a case loads it through ``case_get_for_viewer``, so a case the caller
may not see is a 404 whatever the role; the role check for changing it comes after (403).
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import Http404
from django.utils.translation import gettext as _
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.generics import ListAPIView
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import BaseThrottle
from rest_framework.views import APIView

from cases.api import serializers as s
from cases.api.pagination import CaseCursorPagination
from cases.api.permissions import ContributesToCase, RaisesCases, TriagesCase, WorksCase
from cases.filters import CaseFilter
from cases.forms import parse_id
from cases.models import Case, Source
from cases.selectors import (
    case_get_for_viewer,
    case_timeline,
    categories_active,
    customers_for_picker,
    products_active,
    root_causes_active,
    team_members,
    teams_active,
)
from cases.services import (
    case_acknowledge,
    case_add_note,
    case_assign,
    case_change_severity,
    case_close,
    case_link,
    case_merge,
    case_raise,
    case_reopen,
    case_resolve,
    case_set_status,
    case_update_details,
)
from cases.timeline import timeline_for_viewer
from cases.visibility import case_visible_to
from escalation.access import roles_permission, signed_in
from escalation.api import represent
from escalation.parsers import JSONParser
from escalation.roles import Role
from escalation.throttling import ScopedRateThrottle

StaffOnly = roles_permission(Role.OPERATOR, Role.MANAGER, Role.EXECUTIVE)

ERRORS = {
    400: OpenApiResponse(s.ErrorSerializer, description="Invalid input or a refused action."),
    401: OpenApiResponse(s.ErrorSerializer, description="Not authenticated."),
    403: OpenApiResponse(s.ErrorSerializer, description="Your role does not allow this."),
    404: OpenApiResponse(s.ErrorSerializer, description="No such case, or not yours to see."),
    429: OpenApiResponse(s.ErrorSerializer, description="Too many requests."),
}


def errors(*codes: int) -> dict[int, OpenApiResponse]:
    return {code: ERRORS[code] for code in codes}


REFERENCE = OpenApiParameter(
    "reference",
    OpenApiTypes.STR,
    OpenApiParameter.PATH,
    description="The case reference, e.g. ESC-000123.",
)


class CaseCreateThrottle(ScopedRateThrottle):
    """Raising cases is rate-limited harder than reading (settings: ``case_create``); like every
    throttle of the API it fails open while the cache is unreachable."""

    scope_attr = "create_throttle_scope"


# --- The queue and raising ------------------------------------------------------------------


class Api(APIView):
    """Staff roles only; JSON in, JSON out."""

    permission_classes = [StaffOnly]
    parser_classes = [JSONParser]


class CaseListCreateApi(ListAPIView):
    """The queue of cases you may see (GET), filtered by CaseFilter and paged by its keyset
    cursor; raising a case (POST)."""

    permission_classes = [*Api.permission_classes, RaisesCases]
    parser_classes = Api.parser_classes
    serializer_class = s.CaseListSerializer
    filter_backends = [DjangoFilterBackend]
    filterset_class = CaseFilter
    pagination_class = CaseCursorPagination
    create_throttle_scope = "case_create"

    def get_queryset(self) -> QuerySet[Case]:
        return case_visible_to(viewer=self.request.user)

    def get_throttles(self) -> list[BaseThrottle]:
        throttles = super().get_throttles()
        if self.request.method == "POST":
            throttles.append(CaseCreateThrottle())
        return throttles

    @extend_schema(
        operation_id="cases_list",
        description="The cases you may see, filtered like the queue page and paged by cursor: "
        "follow `next`/`previous`. There is no total count, by design.",
        responses={200: s.CaseListSerializer(many=True), **errors(400, 401, 403, 429)},
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)

    @extend_schema(
        operation_id="cases_create",
        description="Raise a case (operators and managers). It starts as new, in the raiser's "
        "level-1 team unless `team` says otherwise.",
        request=s.CaseCreateInput,
        responses={201: s.CaseDetailSerializer, **errors(400, 401, 403, 429)},
    )
    def post(self, request: Request) -> Response:
        data = _validated(s.CaseCreateInput, request)
        # The new case as case_raise returns it: its relations are the instances it was given
        # (and it has no links, watchers or attachments yet), so nothing is read again.
        case = case_raise(raised_by=signed_in(request), source=Source.API, **data)
        return Response(represent(s.CaseDetailSerializer, case), status=status.HTTP_201_CREATED)


def _validated(serializer_class: type[serializers.Serializer], request: Request) -> dict[str, Any]:
    if not isinstance(request.data, dict):
        raise serializers.ValidationError({"non_field_errors": [_("Send a JSON object.")]})
    serializer = serializer_class(data=request.data)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


# --- One case -----------------------------------------------------------------------------


class CaseApi(Api):
    """Base of the one-case endpoints: loads the case for the caller or answers 404, then
    checks the view's object permissions (403)."""

    def case(self, reference: str) -> Case:
        case = case_get_for_viewer(viewer=self.request.user, reference=reference)
        self.check_object_permissions(self.request, case)
        return case

    def answer(self, case: Case, code: int = status.HTTP_200_OK) -> Response:
        try:
            fresh = case_get_for_viewer(viewer=self.request.user, reference=case.reference)
        except Http404:
            # The change took the case out of the caller's sight (an engineer handed it on to
            # another team): she is answered the case as she left it, not a 404 for a change
            # that was made.
            fresh = case
        return Response(represent(s.CaseDetailSerializer, fresh), status=code)


class CaseTriageApi(CaseApi):
    """Base of the endpoints that change a case: managers only."""

    permission_classes = [*Api.permission_classes, TriagesCase]


class CaseWorkApi(CaseApi):
    """Base of the endpoints that work a case: its owner, its team's operators, managers."""

    permission_classes = [*Api.permission_classes, WorksCase]


class CaseDetailApi(CaseWorkApi):
    """The case: read it (everyone who may see it); edit its details (those who work it)."""

    @extend_schema(
        operation_id="cases_retrieve",
        parameters=[REFERENCE],
        responses={200: s.CaseDetailSerializer, **errors(401, 403, 404)},
    )
    def get(self, request: Request, reference: str) -> Response:
        return Response(represent(s.CaseDetailSerializer, self.case(reference)))

    @extend_schema(
        operation_id="cases_update",
        parameters=[REFERENCE],
        request=s.CaseUpdateInput,
        responses={200: s.CaseDetailSerializer, **errors(400, 401, 403, 404)},
        description="Its owner, its team's operators and managers edit title, description, "
        "impact, category, product and tags; each changed field is an `edited` event. "
        "Severity, status and assignment have their own actions (with a reason).",
    )
    def patch(self, request: Request, reference: str) -> Response:
        case = self.case(reference)
        data = _validated(s.CaseUpdateInput, request)
        clear = [name for name in ("category", "product") if name in data and data[name] is None]
        case = case_update_details(
            case=case,
            by=signed_in(request),
            title=data.get("title"),
            description=data.get("description"),
            impact=data.get("impact"),
            category=data.get("category"),
            product=data.get("product"),
            tags=data.get("tags"),
            clear=clear,
        )
        return self.answer(case)


class CaseTimelineApi(CaseApi):
    """Everything that happened to the case, oldest first. Events are never edited."""

    @extend_schema(
        operation_id="cases_timeline",
        parameters=[REFERENCE],
        responses={200: s.EventSerializer(many=True), **errors(401, 403, 404)},
    )
    def get(self, request: Request, reference: str) -> Response:
        events = timeline_for_viewer(
            events=case_timeline(case=self.case(reference)), viewer=request.user
        )
        return Response(s.EventSerializer(events, many=True).data)


def _action_schema(operation: str, request: Any, code: int = 200, response: Any = None) -> Any:
    return extend_schema(
        operation_id=f"cases_{operation}",
        parameters=[REFERENCE],
        request=request,
        responses={code: response or s.CaseDetailSerializer, **errors(400, 401, 403, 404)},
    )


class CaseAcknowledgeApi(CaseWorkApi):
    """Acknowledge a new case: the first response; takes ownership if unassigned."""

    @_action_schema("acknowledge", None)
    def post(self, request: Request, reference: str) -> Response:
        case = self.case(reference)
        return self.answer(case_acknowledge(case=case, by=signed_in(request)))


class CaseAssignApi(CaseWorkApi):
    """Assign or reassign to an owner and/or team, with a reason. Managers assign freely; an
    engineer hands on to a team-mate or to another team's queue."""

    @_action_schema("assign", s.AssignInput)
    def post(self, request: Request, reference: str) -> Response:
        case = self.case(reference)
        data = _validated(s.AssignInput, request)
        case = case_assign(
            case=case,
            by=signed_in(request),
            owner=data.get("owner"),
            team=data.get("team"),
            level=data.get("level"),
            unassign=data["unassign"],
            reason=data["reason"],
        )
        return self.answer(case)


class CaseStatusApi(CaseWorkApi):
    """Move between acknowledged, in progress and waiting on customer."""

    @_action_schema("set_status", s.StatusInput)
    def post(self, request: Request, reference: str) -> Response:
        case = self.case(reference)
        data = _validated(s.StatusInput, request)
        case = case_set_status(
            case=case, by=signed_in(request), status=data["status"], reason=data.get("reason", "")
        )
        return self.answer(case)


class CaseSeverityApi(CaseTriageApi):
    """Change the severity, with a reason (managers)."""

    @_action_schema("change_severity", s.SeverityInput)
    def post(self, request: Request, reference: str) -> Response:
        case = self.case(reference)
        data = _validated(s.SeverityInput, request)
        case = case_change_severity(
            case=case, by=signed_in(request), severity=data["severity"], reason=data["reason"]
        )
        return self.answer(case)


class CaseNoteApi(CaseApi):
    """Add an internal note or a customer-facing update (managers and the case's operators)."""

    permission_classes = [*Api.permission_classes, ContributesToCase]

    @_action_schema("add_note", s.NoteInput, 201, s.EventSerializer)
    def post(self, request: Request, reference: str) -> Response:
        case = self.case(reference)
        data = _validated(s.NoteInput, request)
        event = case_add_note(
            case=case,
            by=signed_in(request),
            body=data["body"],
            customer_facing=data["customer_facing"],
        )
        return Response(s.EventSerializer(event).data, status=status.HTTP_201_CREATED)


class CaseLinkApi(CaseTriageApi):
    """Link the case to another: duplicate of, caused by, related (managers)."""

    @_action_schema("link", s.LinkInput, 201, s.LinkSerializer)
    def post(self, request: Request, reference: str) -> Response:
        case = self.case(reference)
        data = _validated(s.LinkInput, request)
        try:
            target = case_get_for_viewer(viewer=request.user, reference=data["target"])
        except Http404:
            raise serializers.ValidationError({"target": [_("No such case.")]}) from None
        link = case_link(case=case, by=signed_in(request), target=target, kind=data["kind"])
        return Response(s.LinkSerializer(link).data, status=status.HTTP_201_CREATED)


class CaseMergeApi(CaseTriageApi):
    """Merge this case, a duplicate, into another (managers): it closes with a duplicate-of
    link, its watchers move to the other case; answers with the closed duplicate."""

    @_action_schema("merge", s.MergeInput)
    def post(self, request: Request, reference: str) -> Response:
        case = self.case(reference)
        data = _validated(s.MergeInput, request)
        try:
            into = case_get_for_viewer(viewer=request.user, reference=data["into"])
        except Http404:
            raise serializers.ValidationError({"into": [_("No such case.")]}) from None
        case = case_merge(duplicate=case, into=into, by=signed_in(request), reason=data["reason"])
        return self.answer(case)


class CaseResolveApi(CaseWorkApi):
    """Resolve with a summary and a root cause."""

    @_action_schema("resolve", s.ResolveInput)
    def post(self, request: Request, reference: str) -> Response:
        case = self.case(reference)
        data = _validated(s.ResolveInput, request)
        case = case_resolve(
            case=case, by=signed_in(request), summary=data["summary"], root_cause=data["root_cause"]
        )
        return self.answer(case)


class CaseReopenApi(CaseTriageApi):
    """Reopen a resolved case, with a reason (managers)."""

    @_action_schema("reopen", s.ReopenInput)
    def post(self, request: Request, reference: str) -> Response:
        case = self.case(reference)
        data = _validated(s.ReopenInput, request)
        return self.answer(case_reopen(case=case, by=signed_in(request), reason=data["reason"]))


class CaseCloseApi(CaseTriageApi):
    """Close a resolved case (managers)."""

    @_action_schema("close", None)
    def post(self, request: Request, reference: str) -> Response:
        case = self.case(reference)
        return self.answer(case_close(case=case, by=signed_in(request)))


# --- Reference data for pickers -------------------------------------------------------------


class CustomerListApi(Api):
    """Active customers with their contacts, for the raise form."""

    @extend_schema(
        operation_id="customers_list",
        responses={200: s.CustomerSerializer(many=True), **errors(401, 403)},
    )
    def get(self, request: Request) -> Response:
        return Response(s.CustomerSerializer(customers_for_picker(), many=True).data)


class ProductListApi(Api):
    """Active products."""

    @extend_schema(
        operation_id="products_list",
        responses={200: s.ProductSerializer(many=True), **errors(401, 403)},
    )
    def get(self, request: Request) -> Response:
        return Response(s.ProductSerializer(products_active(), many=True).data)


class CategoryListApi(Api):
    """Active categories."""

    @extend_schema(
        operation_id="categories_list",
        responses={200: s.CategorySerializer(many=True), **errors(401, 403)},
    )
    def get(self, request: Request) -> Response:
        return Response(s.CategorySerializer(categories_active(), many=True).data)


class RootCauseListApi(Api):
    """Active root causes (two levels: group / cause)."""

    @extend_schema(
        operation_id="root_causes_list",
        responses={200: s.RootCauseSerializer(many=True), **errors(401, 403)},
    )
    def get(self, request: Request) -> Response:
        return Response(s.RootCauseSerializer(root_causes_active(), many=True).data)


class TeamListApi(Api):
    """Active teams."""

    @extend_schema(
        operation_id="teams_list",
        responses={200: s.TeamSerializer(many=True), **errors(401, 403)},
    )
    def get(self, request: Request) -> Response:
        return Response(s.TeamSerializer(teams_active(), many=True).data)


class TeamMemberListApi(Api):
    """The people who can hold a case in a team (operators and managers)."""

    @extend_schema(
        operation_id="team_members_list",
        parameters=[OpenApiParameter("team_id", OpenApiTypes.INT, OpenApiParameter.PATH)],
        responses={200: s.PersonSerializer(many=True), **errors(401, 403, 404)},
    )
    def get(self, request: Request, team_id: str) -> Response:
        pk = parse_id(team_id)
        team = teams_active().filter(pk=pk).first() if pk is not None else None
        if team is None:
            raise Http404(_("No such team."))
        return Response(s.PersonSerializer(team_members(team=team), many=True).data)
