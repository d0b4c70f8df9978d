"""Reads of cases that span relations: one case with what its pages show, its timeline and
links, related cases and the pickers' reference data. The queue's reads (filters, orders and
keyset pages) are ``cases.selectors_queue``. Each selector owns its select_related and
prefetch_related, so a page or API answer makes the same number of queries for 10 rows as for
100."""

from __future__ import annotations

from datetime import timedelta

from django.contrib.auth.models import User
from django.db.models import (
    Exists,
    F,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
)
from django.db.models.functions import Coalesce
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from cases.models import (
    Attachment,
    Case,
    CaseEvent,
    CaseLink,
    Category,
    Customer,
    Product,
    RootCause,
    Status,
    Team,
)
from cases.selectors_queue import QUEUE_DEFERRED
from cases.visibility import case_visible_to
from escalation.roles import AnyUser, Role

# --- Visibility ---------------------------------------------------------------------------


def case_get_for_viewer(*, viewer: AnyUser, reference: str) -> Case:
    """The case page's case, with what it shows; Http404 when there is no such case or the
    viewer may not see it (the two are indistinguishable on purpose)."""
    pk = Case.pk_from_reference(reference)
    if pk is None:
        raise Http404(_("No such case."))
    visible = case_visible_to(viewer=viewer)
    # A link to a case the viewer may not open is left out: its reference is not hers to see.
    links = (
        CaseLink.objects.select_related("source", "target", "created_by")
        .filter(
            Exists(visible.filter(pk=OuterRef("source_id"))),
            Exists(visible.filter(pk=OuterRef("target_id"))),
        )
        .order_by("id")
    )
    queryset = visible.select_related(
        "customer",
        "customer__account_manager",
        "contact",
        "product",
        "category",
        "owner",
        "team",
        "raised_by",
        "root_cause",
        "root_cause__parent",
    ).prefetch_related(
        "tags",
        "watchers",
        Prefetch("attachments", Attachment.objects.select_related("uploaded_by")),
        Prefetch("links_out", links),
        Prefetch("links_in", links),
    )
    try:
        return queryset.get(pk=pk)
    except Case.DoesNotExist:
        raise Http404(_("No such case.")) from None


def case_page_case(*, viewer: AnyUser, reference: str) -> Case:
    """The case page's case with what the page shows of it, and no more; Http404 as
    ``case_get_for_viewer``.

    The customer, contact, owner, raiser, product and category come in the case's row (a join
    of seven tables); the team and root cause (only a resolved case has one) in a query each:
    PostgreSQL takes longer to plan a join of eight tables or more than these small reads take
    together (at 1M cases: seven tables plan in 0.9 ms and the read takes 0.3 ms more than with
    product and category apart; eight plan in 1.9 ms, 1.5 ms more; bench/RESULTS.md has h4's).
    Watchers, attachments and tags are prefetched; the related cases are a panel of their own
    (``case_related_panel_case``)."""
    pk = Case.pk_from_reference(reference)
    if pk is None:
        raise Http404(_("No such case."))
    queryset = (
        case_visible_to(viewer=viewer)
        .select_related("customer", "contact", "owner", "raised_by", "product", "category")
        .prefetch_related("team", "root_cause__parent", "watchers", "attachments", "tags")
    )
    try:
        return queryset.get(pk=pk)
    except Case.DoesNotExist:
        raise Http404(_("No such case.")) from None


def case_related_panel_case(*, viewer: AnyUser, reference: str) -> Case:
    """The case whose related cases the case page's panel lists, with only what
    ``case_related`` reads of it; Http404 as ``case_get_for_viewer``."""
    pk = Case.pk_from_reference(reference)
    if pk is None:
        raise Http404(_("No such case."))
    columns = ("id", "customer_id", "product_id", "category_id", "raised_at")
    try:
        return case_visible_to(viewer=viewer).only(*columns).get(pk=pk)
    except Case.DoesNotExist:
        raise Http404(_("No such case.")) from None


def case_links(*, case: Case) -> list[CaseLink]:
    """The explicit links from and to ``case``, oldest first (ids and kind only)."""
    return list(
        CaseLink.objects.filter(Q(source=case) | Q(target=case))
        .only("source_id", "target_id", "kind")
        .order_by("id")
    )


def case_timeline(*, case: Case) -> QuerySet[CaseEvent]:
    return CaseEvent.objects.filter(case=case).select_related("actor").order_by("created_at", "id")


# Words that say nothing about the problem; matching them would relate everything. The one list
# for the raise page's possible duplicates and the reviews' related cases.
STOP_WORDS = frozenset(
    "the and for with from that this not are was were has have had but all any can cannot "
    "our your their its into when after before since does doesn don't won't out off too very "
    "issue issues problem problems error errors case please help urgent".split()
)


# --- Related cases --------------------------------------------------------------------------


def case_possible_duplicates(
    *,
    viewer: AnyUser,
    customer_id: int,
    product_id: int | None = None,
    text: str = "",
    limit: int = 5,
) -> list[Case]:
    """Open cases of the same customer (and product), newest first; with ``text``, those whose
    title shares a word of three letters or more (not a stop word) come first."""
    queryset = case_visible_to(viewer=viewer).filter(
        customer_id=customer_id, status__in=Status.OPEN
    )
    if product_id is not None:
        queryset = queryset.filter(product_id=product_id)
    words = [w for w in text[:200].lower().split() if len(w) >= 3 and w not in STOP_WORDS][:8]
    queryset = queryset.select_related("customer", "product", "owner", "team").defer(
        *QUEUE_DEFERRED
    )
    if words:
        matching = Q()
        for word in words:
            matching |= Q(title__icontains=word)
        found = list(queryset.filter(matching).order_by("-id")[:limit])
        if len(found) >= limit:
            return found
        rest = queryset.exclude(pk__in=[c.pk for c in found]).order_by("-id")
        return found + list(rest[: limit - len(found)])
    return list(queryset.order_by("-id")[:limit])


def case_related(
    *, case: Case, viewer: AnyUser, limit: int = 10, links: list[CaseLink] | None = None
) -> list[Case]:
    """Explicitly linked cases first, then cases of the same customer with the same product or
    category raised in the 30 days before this one or since, newest first: only those
    ``viewer`` may open. ``links``: the case's links (``case_links``) when the caller has read
    them already.

    The nearby cases are ordered by when they were raised, not by id (the same order for cases
    raised through the service), so that case_customer_raised_idx serves both the filter and
    the order: a backward range scan of this customer's last 30 days, whatever the table's size
    (ordered by id, PostgreSQL walks the primary key back over every customer's cases)."""
    visible = case_visible_to(viewer=viewer)
    if links is None:
        links = case_links(case=case)
    linked_ids = [pk for link in links for pk in (link.source_id, link.target_id) if pk != case.pk]
    columns = ("customer", "product", "owner", "team")
    linked = list(visible.filter(pk__in=linked_ids).select_related(*columns).defer(*QUEUE_DEFERRED))
    linked.sort(key=lambda c: -c.pk)
    if len(linked) >= limit:
        return linked[:limit]
    similar = Q()
    if case.product_id:
        similar |= Q(product_id=case.product_id)
    if case.category_id:
        similar |= Q(category_id=case.category_id)
    if not similar:
        return linked
    since = (case.raised_at or timezone.now()) - timedelta(days=30)
    nearby = (
        visible.filter(similar, customer_id=case.customer_id, raised_at__gte=since)
        .exclude(pk__in=[case.pk, *linked_ids])
        .select_related(*columns)
        .defer(*QUEUE_DEFERRED)
        .order_by("-raised_at", "-id")[: limit - len(linked)]
    )
    return linked + list(nearby)


# --- Reference data for the pickers --------------------------------------------------------


def customers_for_picker() -> QuerySet[Customer]:
    return (
        Customer.objects.filter(is_active=True)
        .select_related("account_manager")
        .prefetch_related("contacts")
        .order_by("name")
    )


def products_active() -> QuerySet[Product]:
    return Product.objects.filter(is_active=True).order_by("name")


def categories_active() -> QuerySet[Category]:
    return Category.objects.filter(is_active=True).select_related("specialist_team")


def root_causes_active() -> QuerySet[RootCause]:
    """Each group followed by its causes, alphabetically (the same on every database)."""
    return (
        RootCause.objects.filter(is_active=True)
        .select_related("parent")
        .order_by(Coalesce("parent__name", "name"), F("parent").asc(nulls_first=True), "name")
    )


def teams_active() -> QuerySet[Team]:
    return Team.objects.filter(is_active=True).order_by("name")


def team_members(*, team: Team) -> QuerySet[User]:
    """The people who can hold a case in ``team``: its active operator and manager members."""
    groups = [Role.OPERATOR.value, Role.MANAGER.value]
    in_role = User.groups.through.objects.filter(user_id=OuterRef("pk"), group__name__in=groups)
    return (
        User.objects.filter(is_active=True, teams=team)
        .filter(Exists(in_role))
        .order_by("first_name", "username")
    )
