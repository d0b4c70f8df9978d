"""``POST /api/events/``: monitoring's events, authenticated by an integration token.

The token authenticates this view and no other: its authentication class is named here only
(the rest of the API knows sessions and ``Token`` keys), so a leaked monitoring token raises
and resolves alerts' cases and reads nothing.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from django.conf import settings
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import exceptions, serializers
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import SimpleRateThrottle
from rest_framework.views import APIView

from cases.api.serializers import ErrorSerializer
from cases.models import Customer, Severity
from cases.permissions import can_raise
from escalation.api import errors_flat
from escalation.parsers import JSONParser
from escalation.ratelimit import client_address
from escalation.throttling import FailOpen

from .models import Action, IntegrationToken
from .services import AlertEvent, Outcome, Result, events_process
from .tokens import integration_for_token

logger = logging.getLogger(__name__)

EVENTS_MAX = 1000
SUMMARY_MAX = 1024
DEDUP_KEY_MAX = 255
# A trigger's details go into the case's description, pretty-printed.
DETAILS_MAX = 10_000
# last_used_at is written at most this often (seconds), not on every request.
LAST_USED_EVERY = 60


class IntegrationTokenAuthentication(BaseAuthentication):
    """``Authorization: Bearer <token>``: the source's account as the user, the source as
    ``request.auth``. Every refusal (no token, an unknown or a revoked one) is a 401, logged
    with the caller's address and never the token."""

    keyword = "Bearer"

    def authenticate(self, request: Request) -> tuple[Any, IntegrationToken]:
        parts = get_authorization_header(request).split()
        if len(parts) != 2 or parts[0].decode(errors="replace").lower() != "bearer":
            self._refuse(request, "no bearer token", "Send the integration token: Bearer <token>.")
        token = parts[1].decode(errors="replace")
        integration = integration_for_token(token)
        if integration is None:
            self._refuse(request, "an unknown token", _("Invalid token."))
        assert integration is not None  # _refuse raised
        if integration.revoked:
            self._refuse(request, f"the revoked token of {integration.source}", _("Invalid token."))
        now = timezone.now()
        if integration.last_used_at is None or (
            (now - integration.last_used_at).total_seconds() >= LAST_USED_EVERY
        ):
            IntegrationToken.objects.filter(pk=integration.pk).update(last_used_at=now)
        return integration.user, integration

    def authenticate_header(self, request: Request) -> str:
        return self.keyword

    @staticmethod
    def _refuse(request: Request, why: str, message: str) -> None:
        logger.warning(
            "POST /api/events/ refused from %s: %s",
            client_address(request),  # type: ignore[arg-type]  # a DRF Request proxies META
            why,
        )
        raise exceptions.AuthenticationFailed(message)


class IntegrationTokenScheme(OpenApiAuthenticationExtension):  # type: ignore[no-untyped-call]
    """The schema's name for the token: HTTP bearer."""

    target_class = IntegrationTokenAuthentication
    name = "integrationToken"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "A monitoring source's integration token (POST /api/events/ only).",
        }


class IsIntegration(BasePermission):
    """Authenticated by an integration token, whose account may still raise cases."""

    message = gettext_lazy(
        "This source's account may no longer raise cases (its operator role is gone)."
    )

    def has_permission(self, request: Request, view: APIView) -> bool:
        if not isinstance(request.auth, IntegrationToken):
            raise exceptions.NotAuthenticated()
        return can_raise(request.user)


class IntegrationThrottle(FailOpen, SimpleRateThrottle):
    """``ALERTS_REQUESTS_PER_MINUTE`` requests per token (read when asked, so a test or a
    restart-free setting change applies); failing open while the cache is unreachable."""

    scope = "alerts_events"

    def get_rate(self) -> str:
        return f"{settings.ALERTS_REQUESTS_PER_MINUTE}/minute"

    def get_cache_key(self, request: Request, view: APIView) -> str | None:
        if not isinstance(request.auth, IntegrationToken):
            return None
        return self.cache_format % {"scope": self.scope, "ident": request.auth.pk}


@extend_schema_field({"oneOf": [{"type": "integer"}, {"type": "string"}]})
class CustomerField(serializers.Field):  # type: ignore[type-arg]
    """A customer's id, or its exact name."""

    default_error_messages = {"invalid": gettext_lazy("Give the customer's id or its exact name.")}

    def to_internal_value(self, data: Any) -> int | str:
        if isinstance(data, bool) or not isinstance(data, int | str):
            self.fail("invalid")
        if isinstance(data, str) and not data.strip():
            self.fail("invalid")
        return data.strip() if isinstance(data, str) else data

    def to_representation(self, value: Any) -> Any:
        return value


class EventInput(serializers.Serializer):  # type: ignore[type-arg]
    """One event. A trigger that raises a case needs a summary, a severity and a customer
    (unless the source has a default customer); the others need only the key."""

    action = serializers.ChoiceField(choices=Action.choices)
    dedup_key = serializers.CharField(max_length=DEDUP_KEY_MAX)
    summary = serializers.CharField(max_length=SUMMARY_MAX, required=False, allow_blank=True)
    severity = serializers.ChoiceField(choices=Severity.choices, required=False)
    customer = CustomerField(required=False)
    details = serializers.DictField(required=False)

    def validate_details(self, value: dict[str, Any]) -> dict[str, Any]:
        if len(json.dumps(value, ensure_ascii=False)) > DETAILS_MAX:
            raise serializers.ValidationError(
                _("At most %(limit)s characters of details (as JSON).") % {"limit": DETAILS_MAX}
            )
        return value


class EventsInput(serializers.Serializer):  # type: ignore[type-arg]
    """The envelope; each event is checked on its own (a bad one refuses only itself)."""

    events = serializers.ListField(
        child=serializers.JSONField(), min_length=1, max_length=EVENTS_MAX
    )


class EventsRequest(serializers.Serializer):  # type: ignore[type-arg]
    """Up to 1,000 events, each answered on its own."""

    events = EventInput(many=True)


class ResultOutput(serializers.Serializer):  # type: ignore[type-arg]
    dedup_key = serializers.CharField(allow_blank=True)
    case = serializers.CharField(allow_null=True, help_text="The case's reference, ESC-000123.")
    outcome = serializers.ChoiceField(choices=Outcome.choices)
    errors = serializers.DictField(  # type: ignore[assignment]
        child=serializers.ListField(child=serializers.CharField())
    )


class EventsOutput(serializers.Serializer):  # type: ignore[type-arg]
    results = ResultOutput(many=True)


class EventsApi(APIView):
    """Events from monitoring (the shape of PagerDuty's events API)."""

    authentication_classes = [IntegrationTokenAuthentication]
    permission_classes = [IsIntegration]
    throttle_classes = [IntegrationThrottle]
    parser_classes = [JSONParser]

    @extend_schema(
        operation_id="events_post",
        description=(
            "Post up to 1,000 events from a monitoring source, with its integration token "
            "(`Authorization: Bearer <token>`). Each event is answered on its own, in order: "
            "a trigger raises a case for its `dedup_key` (`raised`), adds to the key's open "
            "case (`appended`) or reopens it if it was resolved within the reopen window "
            "(`reopened`); `acknowledge` and `resolve` act on the key's case. A bad event is "
            "`refused` with its `errors` and refuses nothing else."
        ),
        request=EventsRequest,
        responses={
            200: EventsOutput,
            400: OpenApiResponse(ErrorSerializer, description="A bad envelope."),
            401: OpenApiResponse(ErrorSerializer, description="No token, or a bad or revoked one."),
            403: OpenApiResponse(ErrorSerializer, description="The source may not raise cases."),
            429: OpenApiResponse(ErrorSerializer, description="Too many requests for the token."),
        },
    )
    def post(self, request: Request) -> Response:
        if not isinstance(request.data, dict):
            raise serializers.ValidationError({"non_field_errors": [_("Send a JSON object.")]})
        envelope = EventsInput(data=request.data)
        envelope.is_valid(raise_exception=True)
        integration = request.auth
        assert isinstance(integration, IntegrationToken)  # IsIntegration checked it
        valid, refused = _events_read(envelope.validated_data["events"])
        results = events_process(integration=integration, events=valid)
        results.update(refused)
        return Response({"results": [_shown(results[i]) for i in range(len(results))]})


def _events_read(items: list[Any]) -> tuple[dict[int, AlertEvent], dict[int, Result]]:
    """The batch's events checked one by one, their customers looked up with one query."""
    checked: dict[int, dict[str, Any]] = {}
    refused: dict[int, Result] = {}
    # One serializer checks them all, as a ``many=True`` one's child does: a serializer per
    # event built (deep-copied) its fields 500 times a batch, a third of the request's time.
    checker = EventInput()
    for index, item in enumerate(items):
        try:
            checked[index] = dict(checker.run_validation(item))
        except serializers.ValidationError as error:
            refused[index] = _refusal(item, errors_flat(error.detail))
    by_id, by_name = _customers(
        [data["customer"] for data in checked.values() if "customer" in data]
    )
    valid: dict[int, AlertEvent] = {}
    for index, data in checked.items():
        wanted = data.pop("customer", None)
        customer = by_id.get(wanted) if isinstance(wanted, int) else by_name.get(wanted or "")
        if wanted is not None and customer is None:
            message = _("No customer has the id or the exact name %(wanted)r.") % {"wanted": wanted}
            refused[index] = _refusal(data, {"customer": [message]})
            continue
        valid[index] = AlertEvent(customer=customer, **data)
    return valid, refused


def _customers(wanted: list[int | str]) -> tuple[dict[int, Customer], dict[str, Customer]]:
    ids = {w for w in wanted if isinstance(w, int)}
    names = {w for w in wanted if isinstance(w, str)}
    if not ids and not names:
        return {}, {}
    rows = list(Customer.objects.filter(Q(pk__in=ids) | Q(name__in=names)))
    return {c.pk: c for c in rows}, {c.name: c for c in rows}


def _refusal(item: Any, errors: dict[str, list[str]]) -> Result:
    key = item.get("dedup_key") if isinstance(item, dict) else None
    return Result(
        dedup_key=key if isinstance(key, str) else "",
        outcome=Outcome.REFUSED,
        errors=errors,
    )


def _shown(result: Result) -> dict[str, Any]:
    return {
        "dedup_key": result.dedup_key,
        "case": result.case,
        "outcome": str(result.outcome),
        "errors": result.errors,
    }
