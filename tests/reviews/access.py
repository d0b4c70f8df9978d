"""Who may open each reviews page (see tests/access.py)."""

from __future__ import annotations

from typing import Any

from django.core import signing

from reviews.surveys import SALT
from tests.access import EXECUTIVE, MANAGER, OPERATOR, PERSONAS, STAFF_ROLES, Rule, World


def _action(world: World) -> dict[str, Any]:
    from tests.reviews.factories import CorrectiveActionFactory, ReviewFactory

    action = CorrectiveActionFactory(review=ReviewFactory(case=world.case), owner=world.operator)
    return {"pk": action.pk}


def _survey_token(world: World) -> dict[str, Any]:
    from tests.reviews.factories import SurveyFactory

    survey = SurveyFactory(case=world.case)
    return {"token": signing.dumps(survey.token, salt=SALT)}


RULES = {
    "reviews:dashboard": Rule(allowed=frozenset({MANAGER})),
    "reviews:dashboard_customers": Rule(allowed=frozenset({MANAGER})),
    "reviews:list": Rule(allowed=frozenset({MANAGER, EXECUTIVE})),
    "reviews:patterns": Rule(allowed=frozenset({MANAGER, EXECUTIVE})),
    "reviews:risk": Rule(allowed=frozenset({MANAGER, EXECUTIVE})),
    # Operators read the review of a case they can see (another team's case: 404, tested apart).
    "reviews:review": Rule(allowed=STAFF_ROLES, kwargs=lambda w: {"reference": w.case.reference}),
    "reviews:actions_mine": Rule(allowed=STAFF_ROLES),
    # POST-only: a GET is answered 405 for staff; no-role users are refused first.
    "reviews:action_done": Rule(allowed=STAFF_ROLES, kwargs=_action, ok_statuses=frozenset({405})),
    "reviews:related": Rule(
        allowed=frozenset({OPERATOR, MANAGER, EXECUTIVE}),
        query="?title=Checkout+fails",
    ),
    # The customer's link needs no login: everyone, anonymous included, sees the form.
    "reviews:satisfaction": Rule(allowed=frozenset(PERSONAS), kwargs=_survey_token),
}
