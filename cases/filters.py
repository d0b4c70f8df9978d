"""The one FilterSet of the case queue, shared by the queue page and the API list."""

from __future__ import annotations

from typing import Any

import django_filters
from django import forms
from django.db import models
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy

from cases.extensions import CLOCK_KINDS, StateChoices, clock_reads
from cases.forms import UserChoiceField, active_staff
from cases.models import (
    Case,
    Category,
    Customer,
    Product,
    Severity,
    Status,
    Tag,
    Team,
    Tier,
)
from cases.models.case import TITLE_MAX, sla_state_condition

OPEN = "open"
NO_TEAM = "none"
STATUS_CHOICES = [(OPEN, gettext_lazy("Open (any open status)")), *Status.choices]


class Sort(models.TextChoices):
    """The queue's orders. Each is a keyset: the cursor holds its key and the id."""

    # The queue page's default (the API's stays ``due``): cases.selectors_queue.URGENCY_SEGMENTS.
    URGENCY = "urgency", gettext_lazy("Most urgent")
    DUE = "due", gettext_lazy("Nearest breach")
    NEWEST = "newest", gettext_lazy("Newest")
    OLDEST = "oldest", gettext_lazy("Oldest")
    SEVERITY = "severity", gettext_lazy("Severity")


class OneOrManySelect(forms.SelectMultiple):
    """A drop-down while at most one choice is made (its empty choice is "any"), a list box
    when the URL made several; either way the query string's values are a list."""

    def get_context(self, name: str, value: Any, attrs: dict[str, Any] | None) -> dict[str, Any]:
        context = super().get_context(name, value, attrs)
        if len([v for v in value or () if v not in ("", None)]) <= 1:
            context["widget"]["attrs"].pop("multiple", None)
        return context

    def value_from_datadict(self, data: Any, files: Any, name: str) -> Any:
        values = super().value_from_datadict(data, files, name)
        return [v for v in values if v != ""] if isinstance(values, list) else values


class OwnerFilter(django_filters.ModelChoiceFilter):
    """People who can hold cases (operators and managers), by name."""

    field_class = UserChoiceField


class CaseFilter(django_filters.FilterSet):
    status = django_filters.MultipleChoiceFilter(
        choices=STATUS_CHOICES, method="filter_status", label=gettext_lazy("Status")
    )
    # distinct=False: a column of the case itself matches each case once, and DISTINCT would
    # keep the planner from reading the first page off an ordered index.
    severity = django_filters.MultipleChoiceFilter(
        choices=Severity.choices, label=gettext_lazy("Severity"), distinct=False
    )
    # Several teams and "none" (``?team=3&team=5``, ``?team=none``): the dashboard links a
    # manager's teams together and its "No team" row.
    team = django_filters.ModelMultipleChoiceFilter(
        queryset=Team.objects.all(),
        label=gettext_lazy("Team"),
        null_label=gettext_lazy("No team"),
        null_value=NO_TEAM,
        widget=OneOrManySelect,
        distinct=False,
    )
    owner = OwnerFilter(queryset=active_staff(), label=gettext_lazy("Owner"))
    unassigned = django_filters.BooleanFilter(
        field_name="owner", lookup_expr="isnull", label=gettext_lazy("Unassigned")
    )
    # Major incidents (the incidents app sets a parent's cadence on declaration): parents only.
    parents_only = django_filters.BooleanFilter(
        method="filter_parents_only", label=gettext_lazy("Major incidents")
    )
    # The dashboard's states, so its counts link to their cases, told from the marks the SLA
    # app stores on the case (cases.models.case.sla_state_condition); the SLA app provides the
    # choices (cases.extensions); this declaration keeps the filter's place on the form and in
    # the API schema.
    sla = django_filters.MultipleChoiceFilter(
        choices=StateChoices(), method="filter_sla", label=gettext_lazy("SLA state")
    )
    # One clock kind's state (``?sla_response=breached``), each clock judged as the case page's
    # badges judge it; the kinds are cases.extensions.CLOCK_KINDS.
    sla_response = django_filters.MultipleChoiceFilter(
        choices=StateChoices("response"),
        method="filter_clock",
        label=gettext_lazy("First response clock"),
    )
    sla_resolution = django_filters.MultipleChoiceFilter(
        choices=StateChoices("resolution"),
        method="filter_clock",
        label=gettext_lazy("Resolution clock"),
    )
    sla_update = django_filters.MultipleChoiceFilter(
        choices=StateChoices("update"),
        method="filter_clock",
        label=gettext_lazy("Customer update clock"),
    )
    customer = django_filters.ModelChoiceFilter(
        queryset=Customer.objects.all(), label=gettext_lazy("Customer")
    )
    tier = django_filters.ChoiceFilter(
        choices=Tier.choices, field_name="customer__tier", label=gettext_lazy("Customer tier")
    )
    category = django_filters.ModelChoiceFilter(
        queryset=Category.objects.all(), label=gettext_lazy("Category")
    )
    product = django_filters.ModelChoiceFilter(
        queryset=Product.objects.all(), label=gettext_lazy("Product")
    )
    # ?tag=vpn&tag=outage: the cases carrying every tag named (each tag narrows the list).
    tag = django_filters.ModelMultipleChoiceFilter(
        queryset=Tag.objects.all(),
        to_field_name="name",
        method="filter_tag",
        label=gettext_lazy("Tags"),
    )
    q = django_filters.CharFilter(
        method="filter_text", max_length=TITLE_MAX, label=gettext_lazy("Search title or reference")
    )
    # Ordering is applied by the keyset paginator (cases.selectors_queue.case_queue); declaring it
    # here validates it and puts it on the form and in the API schema with the filters.
    sort = django_filters.ChoiceFilter(
        choices=Sort.choices, method="filter_sort", label=gettext_lazy("Sort"), empty_label=None
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
            wanted.update(Status.OPEN)
        return queryset.filter(status__in=sorted(wanted))

    def filter_sla(self, queryset: QuerySet[Case], name: str, value: list[str]) -> QuerySet[Case]:
        # The marks the SLA engine stores on the case, compared with now: range conditions
        # on case_open_sla_breach_idx rather than the state computed from each case's clocks.
        if not value or clock_reads() is None:
            return queryset
        now = timezone.now()
        condition = Q()
        for state in sorted(value):
            condition |= sla_state_condition(state, now=now)
        return queryset.filter(condition)

    def filter_clock(self, queryset: QuerySet[Case], name: str, value: list[str]) -> QuerySet[Case]:
        reads = clock_reads()
        kind = name.removeprefix("sla_")
        if not value or reads is None or reads.clock_state_expression is None:
            return queryset
        assert kind in CLOCK_KINDS, name
        alias = f"clock_state_{kind}"
        expression = reads.clock_state_expression(kind, timezone.now())
        return queryset.alias(**{alias: expression}).filter(**{f"{alias}__in": sorted(value)})

    def filter_tag(self, queryset: QuerySet[Case], name: str, value: list[Tag]) -> QuerySet[Case]:
        # One EXISTS per tag rather than a join: no duplicate rows, so no DISTINCT.
        tagged = Case.tags.through.objects.filter(case_id=OuterRef("pk"))
        for tag in value:
            queryset = queryset.filter(Exists(tagged.filter(tag_id=tag.pk)))
        return queryset

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

    def filter_parents_only(
        self, queryset: QuerySet[Case], name: str, value: bool | None
    ) -> QuerySet[Case]:
        return queryset.filter(update_every_minutes__isnull=False) if value else queryset

    def filter_sort(self, queryset: QuerySet[Case], name: str, value: str) -> QuerySet[Case]:
        return queryset
