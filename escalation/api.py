"""One error format for the whole API.

Every error answer is ``{"detail": "...", "errors": {"field": ["message", ...]}}``; the
``errors`` object is present for validation failures, always one flat list of messages per
field: the errors of a list's items or a nested object's fields are named by their path
(``"tags.2"``, ``"actions.0.due_on"``), so the answer matches its published schema. Domain
errors (``DomainError``) become a 400 with their message, so services can refuse an action
without knowing about HTTP.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext as _
from rest_framework import exceptions, serializers, status
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
        response.data = {"detail": _("Invalid input."), "errors": errors_flat(errors)}
    elif isinstance(response.data, dict) and "detail" in response.data:
        response.data = {"detail": str(response.data["detail"])}
    return response


def errors_flat(errors: Any, path: str = "") -> dict[str, list[str]]:
    """DRF's validation errors (nested dicts and lists of messages) as one list of messages
    per field path; the items of a list that had no error (DRF's ``{}``) are left out."""
    if isinstance(errors, dict):
        flat: dict[str, list[str]] = {}
        for key, value in errors.items():
            flat.update(errors_flat(value, f"{path}.{key}" if path else str(key)))
        return flat
    if isinstance(errors, list):
        if all(isinstance(item, str) for item in errors):
            return {path or "non_field_errors": [str(item) for item in errors]}
        flat = {}
        for index, item in enumerate(errors):
            if item:
                flat.update(errors_flat(item, f"{path}.{index}" if path else str(index)))
        return flat
    return {path or "non_field_errors": [str(errors)]}


def represent(serializer_class: type[serializers.BaseSerializer], instance: Any) -> Any:
    """``serializer_class(instance).data``: a serializer per answer, as DRF means it to be used.

    A process-wide shared instance saved about 1 ms of building fields per answer
    (bench/RESULTS.md, session 4: 1.09 against 0.10 ms for a case), invisible to a client and
    not worth a serializer that must never read ``context`` or keep per-object state."""
    return serializer_class(instance).data
