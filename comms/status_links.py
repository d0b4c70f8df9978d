"""The customer's status-page link: signed, expiring, revocable, one per case.

The link carries ``{"c": case id, "n": nonce}`` signed with a timestamp (``django.core.signing``,
own salt), so the issue time is inside the signature:

1. A forged or altered link (another case's id put in, a character changed) fails the
   signature: refused with 400, nothing looked up.
2. A link older than ``COMMS_STATUS_LINK_DAYS`` fails ``max_age``: refused with 410. Each update
   mail signs a fresh link, so the customer's latest mail always carries a working one.
3. The nonce names the case's ``StatusLink`` row; a manager revoking the link stamps
   ``revoked_at`` on it and issues a new row with a new nonce, so every link signed before dies
   at once (410) while the customer can be sent the new one. A nonce that names no row of that
   case (a link from another database) is refused as forged.

At most one unrevoked row per case (a partial unique constraint), so two mails written at the
same moment share one nonce.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.core import signing
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from cases.models import Case
from comms.models import StatusLink

SALT = "comms.status_page"


class StatusLinkError(Exception):
    """A status link that cannot be used: the page explains why, with ``status``."""

    def __init__(self, *, status: int, title: str, message: str) -> None:
        super().__init__(message)
        self.status, self.title, self.message = status, title, message


def _link_forged() -> StatusLinkError:
    return StatusLinkError(
        status=400,
        title=_("This link is not valid"),
        message=_(
            "The link is incomplete or was altered. Please use the link exactly as it "
            "appears in our latest email about your case."
        ),
    )


def _link_expired() -> StatusLinkError:
    return StatusLinkError(
        status=410,
        title=_("This link has expired"),
        message=_(
            "Status links work for %(days)s days after we send them. Every update we email you "
            "carries a fresh one; you can also reply to our email."
        )
        % {"days": settings.COMMS_STATUS_LINK_DAYS},
    )


def _link_revoked() -> StatusLinkError:
    return StatusLinkError(
        status=410,
        title=_("This link is no longer valid"),
        message=_(
            "We have replaced the status link of this case. Please use the link in our "
            "latest email, or reply to it and we will send you a new one."
        ),
    )


def status_link_current(*, case: Case) -> StatusLink:
    """The case's unrevoked link row, created on first use."""
    link = StatusLink.objects.filter(case=case, revoked_at__isnull=True).first()
    if link is not None:
        return link
    try:
        with transaction.atomic():
            return StatusLink.objects.create(
                case=case, nonce=secrets.token_urlsafe(12), created_at=timezone.now()
            )
    except IntegrityError:
        # Another request created the case's link first: use that one.
        return StatusLink.objects.get(case=case, revoked_at__isnull=True)


def status_token_for(case: Case) -> str:
    """A fresh signed token for the case's current link; its age counts from now."""
    link = status_link_current(case=case)
    return signing.dumps({"c": case.pk, "n": link.nonce}, salt=SALT)


def status_urls_for(cases: Sequence[Case]) -> dict[int, str]:
    """``status_url_for`` of many cases, by case id: their current links read with one query,
    the missing ones created with one insert (a link another request made meanwhile wins)."""
    ids = {case.pk for case in cases}
    nonces = dict(
        StatusLink.objects.filter(case_id__in=ids, revoked_at__isnull=True).values_list(
            "case_id", "nonce"
        )
    )
    if missing := ids - nonces.keys():
        now = timezone.now()
        StatusLink.objects.bulk_create(
            [
                StatusLink(case_id=pk, nonce=secrets.token_urlsafe(12), created_at=now)
                for pk in sorted(missing)
            ],
            ignore_conflicts=True,
        )
        nonces.update(
            StatusLink.objects.filter(case_id__in=missing, revoked_at__isnull=True).values_list(
                "case_id", "nonce"
            )
        )
    return {
        pk: settings.SITE_URL
        + reverse("status:page", kwargs={"token": signing.dumps({"c": pk, "n": nonce}, salt=SALT)})
        for pk, nonce in nonces.items()
    }


def status_url_for(case: Case) -> str:
    """The absolute, signed link to the case's status page (for the customer's mail)."""
    token = status_token_for(case)
    return settings.SITE_URL + reverse("status:page", kwargs={"token": token})


def case_for_status_token(token: str) -> Case:
    """The case a status link points to, or StatusLinkError saying why it cannot be used."""
    max_age = timedelta(days=settings.COMMS_STATUS_LINK_DAYS)
    try:
        raw: Any = signing.loads(token, salt=SALT, max_age=max_age)
    except signing.SignatureExpired:
        raise _link_expired() from None
    except signing.BadSignature:
        raise _link_forged() from None
    if not isinstance(raw, dict):
        raise _link_forged()
    case_id, nonce = raw.get("c"), raw.get("n")
    if not isinstance(case_id, int) or not isinstance(nonce, str):
        raise _link_forged()
    link = (
        StatusLink.objects.select_related("case", "case__contact")
        .filter(case_id=case_id, nonce=nonce)
        .first()
    )
    if link is None:
        raise _link_forged()
    if link.revoked_at is not None:
        raise _link_revoked()
    return link.case


def status_link_revoke(*, case: Case, by: User) -> StatusLink:
    """Revoke every link sent so far for ``case`` and issue its new link row (returned).

    The row is locked so two managers revoking at once revoke once each, never leaving the case
    with two live links or none."""
    now = timezone.now()
    with transaction.atomic():
        Case.objects.select_for_update().only("pk").get(pk=case.pk)
        StatusLink.objects.filter(case=case, revoked_at__isnull=True).update(
            revoked_at=now, revoked_by=by
        )
        return StatusLink.objects.create(case=case, nonce=secrets.token_urlsafe(12), created_at=now)
