"""The admin shows reviews, actions and surveys but changes none of them."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.conftest import client_for
from tests.factories import UserFactory
from tests.reviews.factories import CorrectiveActionFactory, SurveyFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client_user():  # type: ignore[no-untyped-def]
    return UserFactory(username="root", is_staff=True, is_superuser=True)


def test_the_admin_lists_and_shows_but_cannot_change(admin_client_user) -> None:
    action = CorrectiveActionFactory()
    survey = SurveyFactory()
    client = client_for(admin_client_user)
    for url in (
        reverse("admin:reviews_review_changelist"),
        reverse("admin:reviews_review_change", args=[action.review.pk]),
        reverse("admin:reviews_correctiveaction_changelist"),
        reverse("admin:reviews_satisfactionsurvey_change", args=[survey.pk]),
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        assert survey.token not in response.content.decode()
    assert client.get(reverse("admin:reviews_review_add")).status_code == 403
    response = client.post(
        reverse("admin:reviews_review_change", args=[action.review.pk]), {"summary": "x"}
    )
    assert response.status_code == 403
