"""Raising a case and editing its details."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from django.contrib.auth.models import User
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from cases.models import (
    Attachment,
    Case,
    Category,
    Contact,
    Customer,
    EventKind,
    Impact,
    Level,
    Product,
    Severity,
    Source,
    Status,
    Tag,
    Team,
)
from cases.permissions import can_raise, can_triage
from cases.services.attachments import (
    attachment_check,
    attachment_event,
    attachment_store,
    attachments_discard,
)
from cases.services.common import (
    TAGS_MAX,
    TEXT_MAX,
    TITLE_MAX,
    case_lock,
    case_touch_and_sync,
    clean_text,
    require,
    require_not_closed,
)
from cases.timeline import event_record
from escalation.errors import DomainError
from sla.services import Prefetched, case_clocks_sync, clocks_prefetched, policy_for_case


def tags_resolve(names: Iterable[str]) -> list[Tag]:
    """Tag names -> Tag rows (created on first use). Names are slugified; blanks dropped."""
    slugs: list[str] = []
    for name in names:
        slug = slugify(str(name))[:50]
        if slug and slug not in slugs:
            slugs.append(slug)
    if len(slugs) > TAGS_MAX:
        raise DomainError(f"At most {TAGS_MAX} tags, not {len(slugs)}.", field="tags")
    existing = {t.name: t for t in Tag.objects.filter(name__in=slugs)}
    return [existing.get(s) or Tag.objects.get_or_create(name=s)[0] for s in slugs]


def _raise_team(raised_by: User, team: Team | None) -> Team | None:
    if team is not None:
        if not team.is_active:
            raise DomainError(f"Team {team.name} is no longer active.", field="team")
        return team
    mine = Team.objects.filter(members=raised_by, is_active=True, level=Level.L1).first()
    return mine or Team.objects.filter(is_active=True, level=Level.L1).first()


def _check_choice(value: str, choices: Any, *, field: str, label: str) -> str:
    if value not in choices.values:
        raise DomainError(f"{value!r} is not a valid {label}.", field=field)
    return value


def case_raise(
    *,
    raised_by: User,
    customer: Customer,
    title: str,
    description: str,
    severity: str,
    impact: str = Impact.SINGLE_USER,
    contact: Contact | None = None,
    product: Product | None = None,
    category: Category | None = None,
    tried: str = "",
    source: str = Source.FORM,
    team: Team | None = None,
    tags: Sequence[str] = (),
    attachments: Sequence[UploadedFile] = (),
) -> Case:
    """Open a new case in status *new*, at the level of the team that takes it (default: the
    raiser's first level-1 team, else any active level-1 team)."""
    require(raised_by, can_raise)
    title = clean_text(
        title, field="title", label="Title", max_length=TITLE_MAX, required=True, multiline=False
    )
    description = clean_text(
        description, field="description", label="Description", max_length=TEXT_MAX, required=True
    )
    tried = clean_text(
        tried, field="tried", label="What was tried", max_length=TEXT_MAX, required=False
    )
    _check_choice(severity, Severity, field="severity", label="severity")
    _check_choice(impact, Impact, field="impact", label="impact")
    _check_choice(source, Source, field="source", label="source")
    if not customer.is_active:
        raise DomainError(f"{customer.name} is no longer an active customer.", field="customer")
    if contact is not None and contact.customer_id != customer.pk:
        raise DomainError(f"{contact.name} is not a contact of {customer.name}.", field="contact")
    if product is not None and not product.is_active:
        raise DomainError(f"{product.name} is no longer an active product.", field="product")
    if category is not None and not category.is_active:
        raise DomainError(f"{category.name} is no longer an active category.", field="category")
    checked = [attachment_check(upload) for upload in attachments]

    stored: list[Attachment] = []
    try:
        with transaction.atomic():
            tag_rows = tags_resolve(tags)
            team = _raise_team(raised_by, team)
            now = timezone.now()
            case = Case.objects.create(
                title=title,
                description=description,
                tried=tried,
                customer=customer,
                contact=contact,
                product=product,
                category=category,
                severity=severity,
                impact=impact,
                status=Status.NEW,
                team=team,
                level=team.level if team is not None else Level.L1,
                raised_by=raised_by,
                source=source,
                raised_at=now,
                updated_at=now,
            )
            if tag_rows:
                case.tags.set(tag_rows)
            event_record(
                case=case,
                actor=raised_by,
                kind=EventKind.RAISED,
                to_value=severity,
                data={
                    "severity": severity,
                    "impact": impact,
                    "team": team.name if team else None,
                    "source": source,
                },
            )
            for upload, (name, content_type) in zip(attachments, checked, strict=True):
                attachment = attachment_store(
                    case=case, by=raised_by, upload=upload, name=name, content_type=content_type
                )
                stored.append(attachment)
                attachment_event(case=case, by=raised_by, attachment=attachment)
            # A case created in this transaction has no clocks yet: lend the sync that fact and
            # the policy (read with the customer's tier in hand) instead of reading them again.
            policy = policy_for_case(case)
            known = Prefetched(
                policies={(customer.tier, severity): policy} if policy is not None else {},
                tiers={case.pk: customer.tier},
                clocks={case.pk: []},
            )
            with clocks_prefetched(known):
                case_clocks_sync(case=case, now=now)
    except BaseException:
        attachments_discard(stored)
        raise
    _relations_known(
        case,
        tags=sorted(tag_rows, key=lambda tag: tag.name),  # Tag's own ordering
        watchers=[],
        attachments=stored,
        links_out=[],
        links_in=[],
    )
    return case


def _relations_known(case: Case, **rows: Sequence[Any]) -> None:
    """Record what the new case's to-many relations hold, as ``prefetch_related`` would, so that
    showing the case (the API answers with it) reads none of them again. Its to-one relations
    are already the instances the case was created with."""
    cache: dict[str, Any] = {}
    for name, values in rows.items():
        queryset = getattr(case, name).all()
        queryset._result_cache = list(values)
        queryset._prefetch_done = True
        cache[name] = queryset
    case._prefetched_objects_cache = cache  # type: ignore[attr-defined]


# The details a manager may edit after raising (severity has its own service with a reason).
EDITABLE_FIELDS = ("title", "description", "impact", "category", "product", "tags")


def case_update_details(
    *,
    case: Case,
    by: User,
    title: str | None = None,
    description: str | None = None,
    impact: str | None = None,
    category: Category | None = None,
    product: Product | None = None,
    tags: Sequence[str] | None = None,
    clear: Sequence[str] = (),
) -> Case:
    """Edit title, description, impact, category, product or tags; one *edited* event names
    each changed field with its old and new value. ``clear`` lists the optional relations
    (``category``, ``product``) to empty. Nothing changed -> no event."""
    require(by, can_triage)
    for name in clear:
        if name not in ("category", "product"):
            raise DomainError(f"{name} cannot be cleared.", field=name)
    if title is not None:
        title = clean_text(
            title,
            field="title",
            label="Title",
            max_length=TITLE_MAX,
            required=True,
            multiline=False,
        )
    if description is not None:
        description = clean_text(
            description,
            field="description",
            label="Description",
            max_length=TEXT_MAX,
            required=True,
        )
    if impact is not None:
        _check_choice(impact, Impact, field="impact", label="impact")
    if category is not None and not category.is_active:
        raise DomainError(f"{category.name} is no longer an active category.", field="category")
    if product is not None and not product.is_active:
        raise DomainError(f"{product.name} is no longer an active product.", field="product")

    with transaction.atomic():
        case = case_lock(case)
        require_not_closed(case, "edited")
        now = timezone.now()
        changes: dict[str, list[Any]] = {}
        fields: list[str] = []

        def change(name: str, old: Any, new: Any, shown_old: str, shown_new: str) -> None:
            if old != new:
                setattr(case, name, new)
                fields.append(name)
                changes[name] = [shown_old, shown_new]

        if title is not None:
            change("title", case.title, title, case.title, title)
        if description is not None:
            change("description", case.description, description, case.description, description)
        if impact is not None:
            change("impact", case.impact, impact, case.impact, impact)
        for name, value in (("category", category), ("product", product)):
            if value is None and name not in clear:
                continue
            old = getattr(case, name)
            change(name, old, value, str(old or ""), str(value or ""))
        if tags is not None:
            old_tags = sorted(case.tags.values_list("name", flat=True))
            tag_rows = tags_resolve(tags)
            new_tags = sorted(t.name for t in tag_rows)
            if old_tags != new_tags:
                case.tags.set(tag_rows)
                changes["tags"] = [", ".join(old_tags), ", ".join(new_tags)]
        if not changes:
            return case
        event_record(
            case=case,
            actor=by,
            kind=EventKind.EDITED,
            from_value=", ".join(changes),
            data={"changes": changes},
        )
        case_touch_and_sync(case, now=now, fields=fields)
    return case
