"""Read-only API of the SLA: the configuration (policies and calendars) and each case's clocks
explained, for staff roles."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import generics, serializers
from rest_framework.request import Request
from rest_framework.response import Response

from cases.api.views import REFERENCE, CaseApi, errors
from cases.extensions import BreachRisk, risk_reads
from escalation.access import roles_permission
from escalation.roles import Role
from sla.clock import ClosedHours
from sla.ledger import case_clock_ledgers
from sla.ledger_types import SegmentKind
from sla.models import BusinessCalendar, ClockKind, Holiday, SlaPolicy, WorkingHours

StaffOnly = roles_permission(Role.OPERATOR, Role.MANAGER, Role.EXECUTIVE)


@extend_schema_field(
    {
        "type": "string",
        "pattern": r"^([01][0-9]|2[0-3]):[0-5][0-9]$",
        "example": "08:30",
        "description": "Wall-clock time in the calendar's time zone (no offset: the zone is "
        "the calendar's own).",
    }
)
class WallTimeField(serializers.TimeField):
    """A time of day as "HH:MM": a calendar's hours are local wall-clock times, so OpenAPI's
    ``format: time`` (an RFC 3339 time with an offset) would describe them wrongly."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("format", "%H:%M")
        super().__init__(**kwargs)


class WorkingHoursSerializer(serializers.ModelSerializer):
    start = WallTimeField()
    end = WallTimeField(allow_null=True, help_text="Null: until midnight.")

    class Meta:
        model = WorkingHours
        fields = ["weekday", "start", "end"]


class HolidaySerializer(serializers.ModelSerializer):
    class Meta:
        model = Holiday
        fields = ["date", "name"]


class CalendarSerializer(serializers.ModelSerializer):
    hours = WorkingHoursSerializer(many=True, read_only=True)
    holidays = HolidaySerializer(many=True, read_only=True)

    class Meta:
        model = BusinessCalendar
        fields = ["id", "name", "time_zone", "always_open", "hours", "holidays"]


class PolicySerializer(serializers.ModelSerializer):
    calendar: serializers.SlugRelatedField = serializers.SlugRelatedField(
        slug_field="name", read_only=True
    )
    calendar_id = serializers.IntegerField(read_only=True)

    class Meta:
        model = SlaPolicy
        fields = [
            "id",
            "tier",
            "severity",
            "calendar_id",
            "calendar",
            "response_minutes",
            "resolution_minutes",
            "update_minutes",
            "warn_percent",
            "reescalate_minutes",
        ]


class PolicyList(generics.ListAPIView):
    """Every SLA policy: targets in business minutes per customer tier and severity."""

    serializer_class = PolicySerializer
    permission_classes = [StaffOnly]
    filter_backends: list = []

    def get_queryset(self) -> QuerySet[SlaPolicy]:
        return SlaPolicy.objects.select_related("calendar").order_by("tier", "severity")


class CalendarList(generics.ListAPIView):
    """Every business calendar with its weekly hours and holidays (24x7 is a calendar too)."""

    serializer_class = CalendarSerializer
    permission_classes = [StaffOnly]
    filter_backends: list = []

    def get_queryset(self) -> QuerySet[BusinessCalendar]:
        return BusinessCalendar.objects.prefetch_related("hours", "holidays").order_by("name")


# --- One case's clocks, explained -----------------------------------------------------------


class LedgerEventSerializer(serializers.Serializer):
    """The timeline event (GET /api/cases/<ref>/timeline/) behind a segment or a breach."""

    id = serializers.IntegerField()
    kind = serializers.CharField()
    created_at = serializers.DateTimeField()
    actor = serializers.CharField(help_text="The person's name, or System.")
    text = serializers.CharField(help_text="The change in words, with its reason.")


@extend_schema_field(OpenApiTypes.INT)
class SecondsField(serializers.Field):
    """A duration as whole seconds."""

    def to_representation(self, value: timedelta) -> int:
        return int(value.total_seconds())


class ClosedHoursSerializer(serializers.Serializer):
    count = serializers.IntegerField(help_text="Closed runs of the calendar in the segment.")
    seconds = SecondsField(source="total")
    kinds = serializers.SerializerMethodField(help_text="How many nights, weekends, ...")

    def get_kinds(self, closed: ClosedHours) -> dict[str, int]:
        return dict(closed.kinds)


class SegmentSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=SegmentKind.choices)
    label = serializers.CharField()  # type: ignore[assignment]
    start = serializers.DateTimeField()
    end = serializers.DateTimeField(allow_null=True, help_text="Null: still going.")
    business_seconds = SecondsField(
        source="business",
        help_text="Business time inside: used while running, added to the deadline while "
        "paused (or stopped, then reopened), none outside business hours.",
    )
    cause = serializers.CharField()
    ledger_kind = serializers.CharField(
        help_text="The ledger entry that opened the segment; empty for the rest of a running "
        "stretch after closed hours."
    )
    recorded = serializers.BooleanField(
        help_text="False when taken from the clock's own fields (a clock older than its ledger)."
    )
    attempt = serializers.IntegerField()
    policy = serializers.CharField(source="policy_name")
    target_seconds = serializers.IntegerField()
    closed_kind = serializers.CharField(help_text="night, weekend, holiday or break")
    closed = ClosedHoursSerializer(
        allow_null=True, help_text="The closed hours of a running segment too long to cut up."
    )
    closed_words = serializers.CharField()
    event = LedgerEventSerializer(allow_null=True)


class BreachSerializer(serializers.Serializer):
    cycle = serializers.IntegerField()
    attempt = serializers.IntegerField()
    breached_at = serializers.DateTimeField()
    policy = serializers.CharField(source="policy_name", help_text="As it was at the breach.")
    calendar = serializers.CharField(source="calendar_name")
    target_seconds = serializers.IntegerField()
    recorded = serializers.BooleanField(
        help_text="False for a deadline passed that the SLA engine has not recorded yet."
    )
    event = LedgerEventSerializer(allow_null=True)


class ClockLedgerSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=ClockKind.choices)
    kind_label = serializers.CharField()
    state = serializers.CharField(source="state.state")
    state_label = serializers.CharField(source="state.label")
    summary = serializers.CharField()
    policy = serializers.CharField(source="policy_name")
    calendar = serializers.CharField(source="calendar_name")
    time_zone = serializers.CharField()
    target_seconds = serializers.IntegerField()
    cycle = serializers.IntegerField()
    attempt = serializers.IntegerField()
    attempt_started_at = serializers.DateTimeField(allow_null=True)
    started_at = serializers.DateTimeField()
    due_at = serializers.DateTimeField()
    paused_at = serializers.DateTimeField(allow_null=True)
    stopped_at = serializers.DateTimeField(allow_null=True)
    met = serializers.BooleanField(allow_null=True)
    used_seconds = SecondsField(source="used", help_text="Business time against the target.")
    paused_seconds = SecondsField(source="paused", help_text="Business time paused, so far.")
    remaining_seconds = SecondsField(source="remaining", help_text="Negative once over.")
    unplaced_paused_seconds = SecondsField(
        source="unplaced_paused",
        help_text="Paused time from before the ledger was kept (no segment shows it).",
    )
    breaches = BreachSerializer(many=True, help_text="Every cycle's breach, oldest first.")
    segments = SegmentSerializer(many=True, help_text="The current cycle, in order.")
    breach_probability = serializers.SerializerMethodField(
        help_text="How likely this running clock is to breach, 0 to 1 (breach forecasts); "
        "null for a stopped clock or one not scored yet."
    )
    reasons = serializers.SerializerMethodField(
        help_text="The forecast's top reasons in words; empty without a forecast."
    )

    def _risk(self, ledger: Any) -> BreachRisk | None:
        if ledger.stopped_at is not None:
            return None
        return self.context.get("risks", {}).get(ledger.kind)

    @extend_schema_field(
        {"type": "number", "format": "double", "minimum": 0, "maximum": 1, "nullable": True}
    )
    def get_breach_probability(self, ledger: Any) -> float | None:
        risk = self._risk(ledger)
        return None if risk is None else risk.probability

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_reasons(self, ledger: Any) -> list[str]:
        risk = self._risk(ledger)
        return [] if risk is None else list(risk.reasons)


class CaseClocks(CaseApi):
    """The case's SLA clocks, each explained: policy, calendar, numbers, breaches and the
    ledger of its segments, with what caused each."""

    @extend_schema(
        operation_id="cases_clocks",
        parameters=[REFERENCE],
        responses={200: ClockLedgerSerializer(many=True), **errors(401, 403, 404)},
    )
    def get(self, request: Request, reference: str) -> Response:
        case = self.case(reference)
        ledgers = case_clock_ledgers(case=case, now=timezone.now())
        reads = risk_reads()
        risks = reads.risks_for([case]).get(case.pk, {}) if reads is not None else {}
        return Response(ClockLedgerSerializer(ledgers, many=True, context={"risks": risks}).data)
