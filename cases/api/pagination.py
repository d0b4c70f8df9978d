"""The case list's keyset cursor as a DRF pagination class, so the generic list view pages
with it and drf-spectacular documents its parameters and its page."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from rest_framework import serializers
from rest_framework.pagination import BasePagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from cases.filters import Sort
from cases.models import Case
from cases.selectors_queue import (
    COUNT_BOUND,
    PAGE_SIZE,
    PAGE_SIZE_MAX,
    CursorError,
    KeysetPage,
    case_count_bounded,
    case_keyset_page,
)


class CaseCursorPagination(BasePagination):
    """``?cursor=`` from a page's ``next``/``previous`` link and ``?page_size=`` (1 to 100).
    ``count`` is how many cases match the filters, exact up to COUNT_BOUND (``count_exact``
    false past it: counting every case the caller may see on each page is what the keyset is
    here to avoid). The order is the ``sort`` filter, which the view's CaseFilter has already
    validated."""

    cursor_query_param = "cursor"
    page_size_query_param = "page_size"

    def paginate_queryset(  # type: ignore[override]  # DRF's is generic over any rows
        self, queryset: QuerySet[Case], request: Request, view: APIView | None = None
    ) -> list[Case]:
        params = request.query_params
        self.request = request
        try:
            self.page: KeysetPage = case_keyset_page(
                queryset=queryset,
                sort=params.get("sort") or Sort.DUE,
                cursor=str(params.get(self.cursor_query_param) or ""),
                page_size=self.page_size(params.get(self.page_size_query_param)),
            )
        except CursorError as exc:
            raise serializers.ValidationError({self.cursor_query_param: [str(exc)]}) from None
        self.count, self.count_exact = case_count_bounded(queryset=queryset)
        return self.page.rows

    def page_size(self, raw: str | None) -> int:
        if raw in (None, ""):
            return PAGE_SIZE
        try:
            size = int(raw)
        except ValueError:
            size = 0
        if not 1 <= size <= PAGE_SIZE_MAX:
            raise serializers.ValidationError(
                {
                    self.page_size_query_param: [
                        _("A whole number from 1 to %(max)s.") % {"max": PAGE_SIZE_MAX}
                    ]
                }
            )
        return size

    def link(self, cursor: str | None) -> str | None:
        if cursor is None:
            return None
        params = self.request.query_params.copy()
        params[self.cursor_query_param] = cursor
        return (
            self.request.build_absolute_uri(self.request.path) + "?" + urlencode(params, doseq=True)
        )

    def get_paginated_response(self, data: Any) -> Response:
        return Response(
            {
                "count": self.count,
                "count_exact": self.count_exact,
                "next": self.link(self.page.next_cursor),
                "previous": self.link(self.page.previous_cursor),
                "results": data,
            }
        )

    def get_paginated_response_schema(self, schema: dict[str, Any]) -> dict[str, Any]:
        link = {"type": "string", "format": "uri", "nullable": True}
        return {
            "type": "object",
            "required": ["count", "count_exact", "next", "previous", "results"],
            "properties": {
                "count": {
                    "type": "integer",
                    "minimum": 0,
                    "maximum": COUNT_BOUND,
                    "description": f"Cases matching the filters, counted up to {COUNT_BOUND:,}.",
                },
                "count_exact": {
                    "type": "boolean",
                    "description": f"False when more than {COUNT_BOUND:,} cases match.",
                },
                "next": link,
                "previous": link,
                "results": schema,
            },
        }

    def get_schema_operation_parameters(self, view: APIView) -> list[dict[str, Any]]:
        return [
            {
                "name": self.cursor_query_param,
                "required": False,
                "in": "query",
                "description": "From a page's next or previous link.",
                "schema": {"type": "string"},
            },
            {
                "name": self.page_size_query_param,
                "required": False,
                "in": "query",
                "description": f"Rows per page, 1 to {PAGE_SIZE_MAX} (default {PAGE_SIZE}).",
                "schema": {"type": "integer", "minimum": 1, "maximum": PAGE_SIZE_MAX},
            },
        ]
