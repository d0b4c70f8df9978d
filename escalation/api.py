"""One error format for the whole API.

Every error answer is ``{"detail": "...", "errors": {"field": ["message", ...]}}``; the
``errors`` object is present for validation failures. Domain errors (``DomainError``) become a
400 with their message, so services can refuse an action without knowing about HTTP.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import exceptions, parsers, serializers, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from escalation.errors import DomainError


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, DomainError):
        errors = {exc.field: [exc.message]} if exc.field else {}
        return Response(
            {"detail": exc.message, "errors": errors}, status=status.HTTP_400_BAD_REQUEST
        )
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(
            exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        )
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        data = response.data
        errors = data if isinstance(data, dict) else {"non_field_errors": data}
        response.data = {"detail": "Invalid input.", "errors": errors}
    elif isinstance(response.data, dict) and "detail" in response.data:
        response.data = {"detail": str(response.data["detail"])}
    return response


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser, answering 400 for a document nested deeper than Python's decoder can
    read (it raises RecursionError, which would otherwise be a 500)."""

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise exceptions.ParseError(
                "JSON parse error - the document is nested too deeply."
            ) from None


_outputs: dict[type[serializers.BaseSerializer], serializers.BaseSerializer] = {}


def represent(serializer_class: type[serializers.BaseSerializer], instance: Any) -> Any:
    """``serializer_class(instance).data``, without building the serializer's fields again.

    A serializer builds its fields (and its nested serializers', reading the models' field
    definitions) on first use, per instance: most of the cost of answering with one object.
    For an output serializer that reads no ``context`` and keeps no per-object state, one
    instance per class and process serves every object the same way."""
    serializer = _outputs.get(serializer_class)
    if serializer is None:
        serializer = _outputs.setdefault(serializer_class, serializer_class())
    return serializer.to_representation(instance)
