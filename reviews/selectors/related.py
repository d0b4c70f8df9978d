"""Recurring problems at the moment a case is raised: cases that look like this one.

Two sources: the same customer's recent cases about the same product or category, and cases
whose title reads alike (PostgreSQL: pg_trgm similarity, served by a trigram index on
UPPER(title); SQLite: the number of shared words).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.contrib.postgres.search import TrigramDistance
from django.db import connection
from django.db.models import BooleanField, Func, IntegerField, Q, QuerySet, Value, When
from django.db.models import Case as CaseWhen
from django.db.models.functions import Upper
from django.utils import timezone

from cases.models import Case

RECENT_DAYS = 30
TEXT_MIN = 3
WORDS_MAX = 8
DISPLAY_RELATED = ("customer", "product", "category")
# Words that say nothing about the problem; matching them would relate everything.
STOP_WORDS = frozenset(
    "the and for with from that this not are was were has have had but all any can cannot "
    "our your their its into when after before since does doesn don't won't out off too very "
    "issue issues problem problems error errors case please help urgent".split()
)
WORD_RE = re.compile(r"[^\W_]+(?:['’][^\W_]+)?", re.UNICODE)


class TrigramMatch(Func):
    """``a % b``: pg_trgm says the two texts are similar (above pg_trgm.similarity_threshold).

    An operator, not a function, so a trigram index on ``a`` can answer it.
    """

    arg_joiner = " %% "
    template = "(%(expressions)s)"
    output_field = BooleanField()


@dataclass(frozen=True)
class RelatedCases:
    same_customer: list[Case] = field(default_factory=list)
    similar: list[Case] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.same_customer or self.similar)


def _base(viewer: AbstractBaseUser | AnonymousUser | None) -> QuerySet[Case]:
    if viewer is None:
        return Case.objects.all()
    from cases.selectors import case_visible_to

    return case_visible_to(viewer=viewer)


def text_words(text: str) -> list[str]:
    """The distinct meaningful words of ``text``, longest first (at most WORDS_MAX)."""
    words = {w.lower() for w in WORD_RE.findall(text or "")}
    kept = [w for w in words if len(w) >= TEXT_MIN and w not in STOP_WORDS]
    return sorted(kept, key=lambda w: (-len(w), w))[:WORDS_MAX]


def cases_similar(
    *,
    text: str,
    customer_id: int | None = None,
    exclude_id: int | None = None,
    limit: int = 5,
    viewer: AbstractBaseUser | AnonymousUser | None = None,
) -> list[Case]:
    """Cases whose title is most like ``text``, most similar first.

    ``customer_id`` keeps one customer's cases; ``viewer`` keeps the cases that user may see
    (None: no restriction, for system use). PostgreSQL ranks by trigram distance among the
    titles pg_trgm calls similar; SQLite by the number of shared words (at least two when the
    text has three or more), newest first among equals.
    """
    text = " ".join((text or "").split())[:200]
    if len(text) < TEXT_MIN or limit <= 0:
        return []
    qs = _base(viewer)
    if customer_id is not None:
        qs = qs.filter(customer_id=customer_id)
    if exclude_id is not None:
        qs = qs.exclude(pk=exclude_id)
    qs = qs.select_related(*DISPLAY_RELATED)
    if connection.vendor == "postgresql":
        needle = text.upper()
        return list(
            qs.alias(title_upper=Upper("title"))
            .filter(TrigramMatch("title_upper", Value(needle)))
            .order_by(TrigramDistance("title_upper", needle), "-id")[:limit]
        )
    words = text_words(text)
    if not words:
        return []
    hits = sum(
        (CaseWhen(When(title__icontains=w, then=Value(1)), default=Value(0)) for w in words),
        start=Value(0, output_field=IntegerField()),
    )
    needed = 1 if len(words) <= 2 else 2
    return list(
        qs.alias(hits=hits).filter(hits__gte=needed).order_by("-hits", "-raised_at", "-id")[:limit]
    )


def cases_recurring(
    *,
    customer_id: int,
    product_id: int | None = None,
    category_id: int | None = None,
    exclude_id: int | None = None,
    since: datetime | None = None,
    limit: int = 5,
    viewer: AbstractBaseUser | AnonymousUser | None = None,
) -> list[Case]:
    """The customer's cases raised since ``since`` (default: RECENT_DAYS days ago) about the
    same product or the same category, newest first. Without a product and a category there is
    nothing to match."""
    if product_id is None and category_id is None:
        return []
    since = since or timezone.now() - timedelta(days=RECENT_DAYS)
    same = Q()
    if product_id is not None:
        same |= Q(product_id=product_id)
    if category_id is not None:
        same |= Q(category_id=category_id)
    qs = _base(viewer).filter(same, customer_id=customer_id, raised_at__gte=since)
    if exclude_id is not None:
        qs = qs.exclude(pk=exclude_id)
    return list(qs.select_related(*DISPLAY_RELATED).order_by("-raised_at", "-id")[:limit])


def related_for_draft(
    *,
    viewer: AbstractBaseUser | AnonymousUser,
    title: str,
    customer_id: int | None,
    product_id: int | None = None,
    category_id: int | None = None,
    limit: int = 5,
) -> RelatedCases:
    """What the raise form shows while the operator types."""
    recurring = (
        cases_recurring(
            customer_id=customer_id,
            product_id=product_id,
            category_id=category_id,
            limit=limit,
            viewer=viewer,
        )
        if customer_id is not None
        else []
    )
    return RelatedCases(
        same_customer=recurring,
        similar=_without(
            cases_similar(text=title, limit=limit + len(recurring), viewer=viewer),
            recurring,
            limit,
        ),
    )


def related_for_case(
    *, case: Case, viewer: AbstractBaseUser | AnonymousUser, limit: int = 5
) -> RelatedCases:
    """What a case page shows: the same customer's cases on the same product or category raised
    from RECENT_DAYS days before this one onwards, and cases with similar titles."""
    recurring = cases_recurring(
        customer_id=case.customer_id,
        product_id=case.product_id,
        category_id=case.category_id,
        exclude_id=case.pk,
        since=case.raised_at - timedelta(days=RECENT_DAYS),
        limit=limit,
        viewer=viewer,
    )
    similar = cases_similar(
        text=case.title, exclude_id=case.pk, limit=limit + len(recurring), viewer=viewer
    )
    return RelatedCases(same_customer=recurring, similar=_without(similar, recurring, limit))


def _without(cases: list[Case], seen: list[Case], limit: int) -> list[Case]:
    ids = {c.pk for c in seen}
    return [c for c in cases if c.pk not in ids][:limit]
