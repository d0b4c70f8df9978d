"""Recurring problems at the moment a case is raised: cases that look like this one.

Two sources: the same customer's recent cases about the same product or category, and cases
whose title reads alike (PostgreSQL: pg_trgm similarity, served by a trigram index on
UPPER(title); any other database, such as the embedded SQLite default: the number of meaningful
words shared, in the same query otherwise).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.contrib.auth.models import AnonymousUser, User
from django.contrib.postgres.search import TrigramDistance
from django.db.models import (
    BooleanField,
    Count,
    Expression,
    Func,
    IntegerField,
    Max,
    Min,
    Q,
    Value,
    When,
)
from django.db.models import Case as CaseWhen
from django.db.models.functions import Upper
from django.http import Http404
from django.utils import timezone

from cases.models import Case
from cases.selectors import STOP_WORDS
from cases.visibility import case_visible_to
from escalation.db import is_postgresql

RECENT_DAYS = 30
TEXT_MIN = 3
WORDS_MAX = 8
DISPLAY_RELATED = ("customer", "product", "category")
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
    # Whether ``similar`` is one customer's cases (False: every customer's).
    similar_one_customer: bool = True

    def __bool__(self) -> bool:
        return bool(self.same_customer or self.similar)


def text_words(text: str) -> list[str]:
    """The distinct meaningful words of ``text``, longest first (at most WORDS_MAX)."""
    words = {w.lower() for w in WORD_RE.findall(text or "")}
    kept = [w for w in words if len(w) >= TEXT_MIN and w not in STOP_WORDS]
    return sorted(kept, key=lambda w: (-len(w), w))[:WORDS_MAX]


def cases_similar(
    *,
    viewer: User | AnonymousUser,
    text: str,
    customer_id: int | None = None,
    exclude_id: int | None = None,
    limit: int = 5,
    days: int = RECENT_DAYS,
) -> list[Case]:
    """Cases raised in the last ``days`` days whose title is most like ``text``, most similar
    first: one case per distinct title (its newest), with ``similar_count`` set on it to the
    number of cases that share that title, so a recurring problem shows once, with its count.

    Only cases ``viewer`` may open (``case_visible_to``); ``customer_id`` keeps one customer's.

    1. Group the window's cases by UPPER(title): the newest id and the count of each title.
    2. Keep the groups whose title is similar (a HAVING clause: similarity is computed once per
       distinct title, not once per case, which matters when titles repeat).
    3. Order by similarity, then recency; read the chosen cases in a second query.
    Similar, on PostgreSQL: pg_trgm similarity of UPPER(title) (above
    pg_trgm.similarity_threshold), which also forgives typos. Elsewhere: the number of
    meaningful words of ``text`` the title contains (at least two when it has three or more).
    """
    text = " ".join((text or "").split())[:200]
    if len(text) < TEXT_MIN or limit <= 0:
        return []
    qs = case_visible_to(viewer=viewer).filter(raised_at__gte=timezone.now() - timedelta(days=days))
    if customer_id is not None:
        qs = qs.filter(customer_id=customer_id)
    if exclude_id is not None:
        qs = qs.exclude(pk=exclude_id)
    titles = qs.values(title_key=Upper("title")).annotate(newest=Max("id"), seen=Count("id"))
    if is_postgresql():
        needle = text.upper()
        titles = (
            titles.annotate(probe=Min(Upper("title")))
            .filter(TrigramMatch("probe", Value(needle)))
            .order_by(TrigramDistance("probe", needle), "-newest")
        )
    else:
        words = text_words(text)
        if not words:
            return []
        titles = (
            titles.annotate(shared=Max(_words_shared(words)))
            .filter(shared__gte=1 if len(words) <= 2 else 2)
            .order_by("-shared", "-newest")
        )
    groups = list(titles.values_list("newest", "seen")[:limit])
    if not groups:
        return []
    found = Case.objects.select_related(*DISPLAY_RELATED).in_bulk([pk for pk, _ in groups])
    result = []
    for pk, seen in groups:
        case = found[pk]
        case.similar_count = seen  # type: ignore[attr-defined]
        result.append(case)
    return result


def _words_shared(words: list[str]) -> Expression:
    """How many of ``words`` a case's title contains (letter case ignored)."""
    return sum(
        (CaseWhen(When(title__icontains=w, then=Value(1)), default=Value(0)) for w in words),
        start=Value(0, output_field=IntegerField()),
    )


def cases_recurring(
    *,
    viewer: User | AnonymousUser,
    customer_id: int,
    product_id: int | None = None,
    category_id: int | None = None,
    exclude_id: int | None = None,
    since: datetime | None = None,
    limit: int = 5,
) -> list[Case]:
    """The customer's cases ``viewer`` may open raised since ``since`` (default: RECENT_DAYS
    days ago) about the same product or the same category, newest first. Without a product and
    a category there is nothing to match."""
    if product_id is None and category_id is None:
        return []
    since = since or timezone.now() - timedelta(days=RECENT_DAYS)
    same = Q()
    if product_id is not None:
        same |= Q(product_id=product_id)
    if category_id is not None:
        same |= Q(category_id=category_id)
    qs = case_visible_to(viewer=viewer).filter(same, customer_id=customer_id, raised_at__gte=since)
    if exclude_id is not None:
        qs = qs.exclude(pk=exclude_id)
    return list(qs.select_related(*DISPLAY_RELATED).order_by("-raised_at", "-id")[:limit])


def related_for_draft(
    *,
    viewer: User | AnonymousUser,
    title: str,
    customer_id: int | None,
    product_id: int | None = None,
    category_id: int | None = None,
    limit: int = 5,
) -> RelatedCases:
    """What the raise form shows while the operator types: the chosen customer's cases of the
    last RECENT_DAYS days about the same product or category, and that customer's cases of the
    same period with a similar title (every customer's until one is chosen). Scoping the title
    search to the customer keeps it to a few thousand rows, so it answers while typing."""
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
        similar_one_customer=customer_id is not None,
        similar=_without(
            cases_similar(
                text=title, customer_id=customer_id, limit=limit + len(recurring), viewer=viewer
            ),
            recurring,
            limit,
        ),
    )


def case_for_related(*, viewer: User | AnonymousUser, reference: str) -> Case:
    """The case a lookup is about; Http404 when there is no such case or the viewer may not
    see it. Lighter than the case page's selector: only the row is needed."""
    pk = Case.pk_from_reference(reference)
    case = case_visible_to(viewer=viewer).filter(pk=pk).first() if pk is not None else None
    if case is None:
        raise Http404("No such case.")
    return case


def related_for_case(*, case: Case, viewer: User | AnonymousUser, limit: int = 5) -> RelatedCases:
    """What a case page shows: the same customer's cases on the same product or category raised
    from RECENT_DAYS days before this one onwards, and the customer's recent cases with a
    similar title."""
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
        text=case.title,
        customer_id=case.customer_id,
        exclude_id=case.pk,
        limit=limit + len(recurring),
        viewer=viewer,
    )
    return RelatedCases(same_customer=recurring, similar=_without(similar, recurring, limit))


def _without(cases: list[Case], seen: list[Case], limit: int) -> list[Case]:
    ids = {c.pk for c in seen}
    return [c for c in cases if c.pk not in ids][:limit]
