"""Saved views of the triage queue in the API: list, save, delete (escalation managers).

A view's ``query`` is in the terms of ``GET /api/cases/`` (the queue's FilterSet), so
``/api/cases/?<query>`` and the page at ``url`` list the same cases.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from cases.api.serializers import (
    ErrorSerializer,
    PersonSerializer,
    RejectUnknownFieldsMixin,
    TeamSerializer,
)
from cases.forms import parse_id
from cases.models import SavedView
from cases.models.saved_view import NAME_MAX, QUERY_MAX
from cases.selectors_saved_views import saved_view_get_for_viewer, saved_views_for
from cases.services.saved_views import saved_view_delete, saved_view_save
from escalation.access import roles_permission, signed_in
from escalation.api import represent
from escalation.parsers import JSONParser
from escalation.roles import Role

ManagersOnly = roles_permission(Role.MANAGER)

ERRORS = {
    400: OpenApiResponse(ErrorSerializer, description="Invalid input or a refused action."),
    401: OpenApiResponse(ErrorSerializer, description="Not authenticated."),
    403: OpenApiResponse(ErrorSerializer, description="Only escalation managers save views."),
    404: OpenApiResponse(ErrorSerializer, description="No such view, or not yours to see."),
}


class SavedViewSerializer(serializers.ModelSerializer):
    shared = serializers.BooleanField(read_only=True, help_text=gettext_lazy("Shared with `team`."))
    team = TeamSerializer(read_only=True, allow_null=True)
    owner = PersonSerializer(read_only=True)
    url = serializers.CharField(
        source="get_absolute_url",
        read_only=True,
        help_text=gettext_lazy("The triage queue page showing it."),
    )

    class Meta:
        model = SavedView
        fields = ["id", "name", "query", "url", "shared", "team", "owner", "created_at"]


class SavedViewInput(RejectUnknownFieldsMixin, serializers.Serializer):
    name = serializers.CharField(max_length=NAME_MAX)
    query = serializers.CharField(
        max_length=QUERY_MAX,
        allow_blank=True,
        help_text=gettext_lazy(
            "The filters and order, as the query string of `GET /api/cases/`, e.g. "
            "`sla=breached&severity=S1&severity=S2&sort=severity`. No `status`: every status."
        ),
    )
    shared = serializers.BooleanField(
        default=False,
        help_text=gettext_lazy("Share it with your team (the one you lead, if several)."),
    )


class SavedViewListCreateApi(APIView):
    permission_classes = [ManagersOnly]
    parser_classes = [JSONParser]

    @extend_schema(
        operation_id="saved_views_list",
        description="Your saved views of the triage queue and those shared with your teams, "
        "by name.",
        responses={200: SavedViewSerializer(many=True), **{c: ERRORS[c] for c in (401, 403)}},
    )
    def get(self, request: Request) -> Response:
        views = saved_views_for(viewer=signed_in(request))
        return Response([represent(SavedViewSerializer, view) for view in views])

    @extend_schema(
        operation_id="saved_views_create",
        description="Save the queue's filters and order under a name (managers). The query is "
        "checked by the queue's filters and stored in one form; a name you already use is "
        "refused.",
        request=SavedViewInput,
        responses={201: SavedViewSerializer, **{c: ERRORS[c] for c in (400, 401, 403)}},
    )
    def post(self, request: Request) -> Response:
        if not isinstance(request.data, dict):
            raise serializers.ValidationError({"non_field_errors": [_("Send a JSON object.")]})
        serializer = SavedViewInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        data: dict[str, Any] = dict(serializer.validated_data)
        view = saved_view_save(owner=signed_in(request), **data)
        return Response(represent(SavedViewSerializer, view), status=status.HTTP_201_CREATED)


class SavedViewDetailApi(APIView):
    permission_classes = [ManagersOnly]

    @extend_schema(
        operation_id="saved_views_delete",
        description="Delete one of your saved views. A view a team-mate shared is theirs: 403.",
        parameters=[OpenApiParameter("view_id", OpenApiTypes.INT, OpenApiParameter.PATH)],
        responses={204: None, **{c: ERRORS[c] for c in (401, 403, 404)}},
    )
    def delete(self, request: Request, view_id: str) -> Response:
        viewer = signed_in(request)
        pk = parse_id(view_id)
        view = saved_view_get_for_viewer(viewer=viewer, view_id=pk) if pk else None
        if view is None:
            raise NotFound(_("No such saved view."))
        saved_view_delete(view=view, by=viewer)
        return Response(status=status.HTTP_204_NO_CONTENT)
