"""Customer satisfaction: the survey emailed after resolution and the answer through its link.

The email goes through the durable outbox (``sla.outbox``), written in the transaction that
resolves the case: a rolled-back resolution sends nothing, and a committed one sends it once
the mail lane can, even after a crash or a broker outage (the outbox's redispatch). So a
survey's ``sent_at`` is the moment its email entered the outbox.

The link carries the survey's random token signed with a timestamp (``django.core.signing``,
own salt): a forged or altered link fails the signature, an old one fails ``max_age``. The row
makes it single-use: the answer claims ``answered_at`` with a conditional UPDATE, so two
submits of the same form record exactly one answer.
"""

from __future__ import annotations

import secrets
from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from cases.models import Case, EventKind
from cases.timeline import event_record
from escalation.errors import DomainError
from escalation.text import text_clean
from reviews.models import SatisfactionSurvey
from sla.outbox import outbox_add

SALT = "reviews.satisfaction"
COMMENT_MAX = 4_000


class SurveyLinkError(Exception):
    """A satisfaction link that cannot be used: the page explains why, with ``status``."""

    def __init__(self, *, status: int, title: str, message: str) -> None:
        super().__init__(message)
        self.status, self.title, self.message = status, title, message


def _link_forged() -> SurveyLinkError:
    return SurveyLinkError(
        status=400,
        title=_("This link is not valid"),
        message=_(
            "The link is incomplete or was altered. Please use the link exactly as it "
            "appears in our email."
        ),
    )


def _link_expired() -> SurveyLinkError:
    return SurveyLinkError(
        status=410,
        title=_("This link has expired"),
        message=_(
            "Satisfaction links work for %(days)s days after we send them. Thank you all the "
            "same: you can always reply to your support contact."
        )
        % {"days": settings.SATISFACTION_LINK_DAYS},
    )


def _link_used() -> SurveyLinkError:
    return SurveyLinkError(
        status=410,
        title=_("Thank you, we already have your answer"),
        message=_("This link has been used. Each survey can be answered once."),
    )


def survey_schedule(*, case: Case) -> SatisfactionSurvey | None:
    """Create the survey of a just-resolved case and put its email in the outbox, both in the
    caller's transaction (the outbox sends it once that commits); the timeline says so.

    Nothing happens when the case has no contact with an email address.
    """
    contact = case.contact
    email = contact.email.strip() if contact is not None else ""
    if not email:
        return None
    now = timezone.now()
    with transaction.atomic():
        survey = SatisfactionSurvey.objects.create(
            case=case,
            contact_email=email,
            token=secrets.token_urlsafe(24),
            created_at=now,
            sent_at=now,
        )
        # In the contact's language (issue 18): the customer reads it.
        with translation.override((contact.language if contact else "") or settings.LANGUAGE_CODE):
            subject, body = survey_email(survey=survey, case=case)
        outbox_add(mails=[(email, subject, body)], now=now)
        event_record(
            case=case,
            actor=None,
            kind=EventKind.SATISFACTION,
            to_value="survey sent",
            body=f"Satisfaction survey emailed to {email}.",
            data={"action": "sent", "survey": survey.pk},
        )
    return survey


def survey_link(*, survey: SatisfactionSurvey) -> str:
    """The absolute, signed link to the survey; its age counts from now."""
    signed = signing.dumps(survey.token, salt=SALT)
    return settings.SITE_URL + reverse("reviews:satisfaction", kwargs={"token": signed})


def survey_email(*, survey: SatisfactionSurvey, case: Case) -> tuple[str, str]:
    """The subject and body of the survey's email, with its link."""
    link = survey_link(survey=survey)
    body = _(
        "Hello,\n\nWe resolved your escalation %(reference)s “%(title)s”.\n"
        "How satisfied are you with the way we handled it? Rate us from 1 to 5 (it takes a few "
        "seconds, no login needed):\n\n%(link)s\n\n"
        "The link works once, for %(days)s days.\n"
    ) % {
        "reference": case.reference,
        "title": case.title,
        "link": link,
        "days": settings.SATISFACTION_LINK_DAYS,
    }
    return _("How did we do on %(reference)s?") % {"reference": case.reference}, body


def survey_from_link(*, token: str) -> SatisfactionSurvey:
    """The unanswered, unexpired survey a link points to, or SurveyLinkError saying why not."""
    max_age = timedelta(days=settings.SATISFACTION_LINK_DAYS)
    try:
        raw = signing.loads(token, salt=SALT, max_age=max_age)
    except signing.SignatureExpired:
        raise _link_expired() from None
    except signing.BadSignature:
        raise _link_forged() from None
    if not isinstance(raw, str):
        raise _link_forged()
    survey = SatisfactionSurvey.objects.select_related("case").filter(token=raw).first()
    if survey is None or survey.sent_at is None:
        raise _link_forged()
    if survey.answered_at is not None:
        raise _link_used()
    if survey.sent_at + max_age < timezone.now():
        raise _link_expired()
    return survey


def survey_answer(*, token: str, score: int, comment: str = "") -> SatisfactionSurvey:
    """Record the customer's rating (1 to 5) and comment, once; it lands on the case timeline."""
    if not isinstance(score, int) or not 1 <= score <= 5:
        raise DomainError(_("Choose a score from 1 to 5."), field="score")
    comment = text_clean(comment, field="comment", label=_("The comment"), max_length=COMMENT_MAX)
    survey = survey_from_link(token=token)
    now = timezone.now()
    with transaction.atomic():
        claimed = SatisfactionSurvey.objects.filter(pk=survey.pk, answered_at__isnull=True).update(
            answered_at=now, score=score, comment=comment
        )
        if not claimed:
            raise _link_used()
        event_record(
            case=survey.case,
            actor=None,
            kind=EventKind.SATISFACTION,
            to_value=f"{score}/5",
            body=comment,
            reason=f"Rated by {survey.contact_email}.",
            data={"action": "answered", "survey": survey.pk, "score": score},
        )
    survey.answered_at, survey.score, survey.comment = now, score, comment
    return survey
