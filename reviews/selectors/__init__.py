"""Reads of the reviews app. Other apps import from here (``reviews.selectors.cases_similar``)."""

from reviews.selectors.dashboard import Dashboard, dashboard_for
from reviews.selectors.patterns import (
    CustomerRisk,
    customers_at_risk,
    recurring_root_causes,
    repeat_customers,
    rising,
    root_cause_groups,
)
from reviews.selectors.related import (
    RelatedCases,
    case_for_related,
    cases_recurring,
    cases_similar,
    related_for_case,
    related_for_draft,
)
from reviews.selectors.review import (
    ReviewPage,
    ReviewState,
    action_for_update,
    actions_due,
    actions_for_owner,
    review_page,
    reviews_list,
    reviews_pending,
    staff_users,
)
from reviews.selectors.satisfaction import satisfaction_by_week

__all__ = [
    "CustomerRisk",
    "Dashboard",
    "RelatedCases",
    "ReviewPage",
    "ReviewState",
    "action_for_update",
    "case_for_related",
    "actions_due",
    "actions_for_owner",
    "cases_recurring",
    "cases_similar",
    "customers_at_risk",
    "dashboard_for",
    "recurring_root_causes",
    "related_for_case",
    "related_for_draft",
    "repeat_customers",
    "review_page",
    "reviews_list",
    "reviews_pending",
    "rising",
    "root_cause_groups",
    "satisfaction_by_week",
    "staff_users",
]
