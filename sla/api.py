"""Read-only API of the SLA configuration: policies and calendars, for staff roles."""

from __future__ import annotations

from django.db.models import QuerySet
from rest_framework import generics, serializers

from escalation.access import roles_permission
from escalation.roles import Role
from sla.models import BusinessCalendar, Holiday, SlaPolicy, WorkingHours

StaffOnly = roles_permission(Role.OPERATOR, Role.MANAGER, Role.EXECUTIVE)


class WorkingHoursSerializer(serializers.ModelSerializer):
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
