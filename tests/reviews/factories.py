"""Factories for the reviews tests: states to test from (behaviour goes through the services)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import factory
from django.utils import timezone

from cases.models import Case, Severity, Status
from reviews.models import ActionStatus, CorrectiveAction, Review, SatisfactionSurvey
from tests.factories import CaseFactory, RootCauseFactory, UserFactory


def resolved_case(*, severity: Severity = Severity.S1, **kwargs: Any) -> Case:
    """A case resolved an hour ago (or at ``resolved_at``), with a root cause."""
    resolved_at = kwargs.pop("resolved_at", timezone.now() - timedelta(hours=1))
    kwargs.setdefault("raised_at", resolved_at - timedelta(hours=5))
    return CaseFactory(
        severity=severity,
        status=Status.RESOLVED,
        resolved_at=resolved_at,
        resolution_summary="Renewed the certificate.",
        root_cause=kwargs.pop("root_cause", None) or RootCauseFactory(),
        **kwargs,
    )


class ReviewFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Review

    case = factory.LazyFunction(resolved_case)
    required = True
    due_on = factory.LazyFunction(lambda: timezone.localdate() + timedelta(days=5))
    created_at = factory.LazyFunction(timezone.now)
    updated_at = factory.LazyAttribute(lambda r: r.created_at)


class CorrectiveActionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CorrectiveAction

    review = factory.SubFactory(ReviewFactory)
    description = factory.Sequence(lambda n: f"Monitor certificate expiry {n}")
    owner = factory.SubFactory(UserFactory)
    due_on = factory.LazyFunction(lambda: timezone.localdate() + timedelta(days=14))
    status = ActionStatus.OPEN
    created_at = factory.LazyFunction(timezone.now)
    updated_at = factory.LazyAttribute(lambda a: a.created_at)


class SurveyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SatisfactionSurvey

    case = factory.LazyFunction(resolved_case)
    contact_email = "pat@customer.example"
    token = factory.Sequence(lambda n: f"token-{n:06d}-abcdefghijkl")
    created_at = factory.LazyFunction(timezone.now)
    sent_at = factory.LazyAttribute(lambda s: s.created_at)
