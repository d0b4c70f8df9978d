"""The customer's satisfaction page, reached from the emailed link without logging in."""

from __future__ import annotations

from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.http import require_http_methods

from escalation.errors import DomainError
from reviews.forms import SatisfactionForm
from reviews.surveys import SurveyLinkError, survey_answer, survey_from_link


def _refused(request: HttpRequest, error: SurveyLinkError) -> HttpResponse:
    return render(
        request, "reviews/satisfaction_refused.html", {"error": error}, status=error.status
    )


@login_not_required
@never_cache
@csrf_protect
@require_http_methods(["GET", "POST"])
def satisfaction(request: HttpRequest, token: str) -> HttpResponse:
    """GET shows the form; POST records the answer once. A forged link is answered 400, an
    expired or already used one 410, each with a page saying why; nothing changes."""
    try:
        survey = survey_from_link(token=token)
    except SurveyLinkError as error:
        return _refused(request, error)
    form = SatisfactionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            survey_answer(
                token=token,
                score=form.cleaned_data["score"],
                comment=form.cleaned_data["comment"],
            )
        except SurveyLinkError as error:
            return _refused(request, error)
        except DomainError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            return render(request, "reviews/satisfaction_thanks.html", {"case": survey.case})
    status = 400 if request.method == "POST" else 200
    return render(
        request, "reviews/satisfaction.html", {"form": form, "case": survey.case}, status=status
    )
