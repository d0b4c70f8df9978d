"""The one FilterSet of the case queue, shared by the queue page and the API list."""

from __future__ import annotations

import django_filters
from django.db.models import Q, QuerySet
from django.utils import timezone

from cases.forms import UserChoiceField, active_staff
from cases.models import (
    Case,
    Category,
    Customer,
    Product,
    Severity,
    Status,
    Team,
    Tier,
)
from cases.models.case import OPEN_STATUSES
from sla.selectors import CaseSlaState, case_sla_state

OPEN = "open"
STATUS_CHOICES = [(OPEN, "Open (any open status)"), *Status.choices]


class Sort:
    """The queue's orders. Each is a keyset: the cursor holds its key and the id."""

    DUE = "due"
    NEWEST = "newest"
    OLDEST = "oldest"
    SEVERITY = "severity"

    choices = [
        (DUE, "Nearest breach"),
        (NEWEST, "Newest"),
        (OLDEST, "Oldest"),
        (SEVERITY, "Severity"),
    ]
    values = [value for value, _ in choices]


class OwnerFilter(django_filters.ModelChoiceFilter):
    """People who can hold cases (operators and managers), by name."""

    field_class = UserChoiceField


class CaseFilter(django_filters.FilterSet):
    status = django_filters.MultipleChoiceFilter(
        choices=STATUS_CHOICES, method="filter_status", label="Status"
    )
    severity = django_filters.MultipleChoiceFilter(choices=Severity.choices, label="Severity")
    team = django_filters.ModelChoiceFilter(queryset=Team.objects.all(), label="Team")
    owner = OwnerFilter(queryset=active_staff(), label="Owner")
    unassigned = django_filters.BooleanFilter(
        field_name="owner", lookup_expr="isnull", label="Unassigned"
    )
    # The dashboard's states, by the same expression, so its counts link to their cases.
    sla = django_filters.MultipleChoiceFilter(
        choices=CaseSlaState.choices, method="filter_sla", label="SLA state"
    )
    customer = django_filters.ModelChoiceFilter(queryset=Customer.objects.all(), label="Customer")
    tier = django_filters.ChoiceFilter(
        choices=Tier.choices, field_name="customer__tier", label="Customer tier"
    )
    category = django_filters.ModelChoiceFilter(queryset=Category.objects.all(), label="Category")
    product = django_filters.ModelChoiceFilter(queryset=Product.objects.all(), label="Product")
    q = django_filters.CharFilter(
        method="filter_text", max_length=200, label="Search title or reference"
    )
    # Ordering is applied by the keyset paginator (cases.selectors.case_queue); declaring it
    # here validates it and puts it on the form and in the API schema with the filters.
    sort = django_filters.ChoiceFilter(
        choices=Sort.choices, method="filter_sort", label="Sort", empty_label=None
    )

    class Meta:
        model = Case
        fields: list[str] = []

    def filter_status(
        self, queryset: QuerySet[Case], name: str, value: list[str]
    ) -> QuerySet[Case]:
        if not value:
            return queryset
        wanted = set(value)
        if OPEN in wanted:
            wanted.discard(OPEN)
            wanted.update(OPEN_STATUSES)
        return queryset.filter(status__in=sorted(wanted))

    def filter_sla(self, queryset: QuerySet[Case], name: str, value: list[str]) -> QuerySet[Case]:
        if not value:
            return queryset
        return queryset.alias(sla_state=case_sla_state(now=timezone.now())).filter(
            sla_state__in=sorted(value)
        )

    def filter_text(self, queryset: QuerySet[Case], name: str, value: str) -> QuerySet[Case]:
        text = value.strip()
        if not text:
            return queryset
        # On PostgreSQL the icontains below is UPPER(title) LIKE UPPER('%...%'), served by the
        # pg_trgm GIN index on UPPER(title) (migration 0003).
        condition = Q(title__icontains=text)
        pk = Case.pk_from_reference(text)
        if pk is not None:
            condition |= Q(pk=pk)
        return queryset.filter(condition)

    def filter_sort(self, queryset: QuerySet[Case], name: str, value: str) -> QuerySet[Case]:
        return queryset
