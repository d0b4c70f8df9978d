"""Learning from escalations: reviews, corrective actions, satisfaction. (Being built.)"""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser

from cases.models import Case


def review_on_case_resolved(*, case: Case, by: AbstractBaseUser | None) -> None:
    """Contract: ``case_resolve`` calls this inside its transaction once the case is resolved.
    The reviews app schedules the review (due date) and the satisfaction survey email here."""
