"""Raising a case and editing its details."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from functools import cache, partial
from typing import Any

from django.contrib.auth.models import User
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Prefetch, QuerySet, prefetch_related_objects
from django.utils import timezone
from django.utils.text import Truncator, slugify
from django.utils.translation import gettext as _

from cases.events import CaseRaised, announce, announce_many
from cases.models import (
    Attachment,
    Case,
    CaseLink,
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
from cases.models.case import TITLE_MAX
from cases.permissions import can_raise, can_work
from cases.services.attachments import (
    attachment_check,
    attachment_event,
    attachment_store,
    attachments_discard,
)
from cases.services.common import (
    TAGS_MAX,
    case_lock,
    case_touch_and_sync,
    require,
    require_not_closed,
)
from cases.timeline import event_build, event_record, events_save, stored_label
from escalation.errors import DomainError
from escalation.text import TEXT_MAX, text_clean


def tags_resolve(names: Iterable[str]) -> list[Tag]:
    """Tag names -> Tag rows (created on first use). Names are slugified; blanks dropped."""
    slugs: list[str] = []
    for name in names:
        slug = slugify(str(name))[:50]
        if slug and slug not in slugs:
            slugs.append(slug)
    if len(slugs) > TAGS_MAX:
        raise DomainError(
            _("At most %(max)s tags, not %(count)s.") % {"max": TAGS_MAX, "count": len(slugs)},
            field="tags",
        )
    existing = {t.name: t for t in Tag.objects.filter(name__in=slugs)}
    return [existing.get(s) or Tag.objects.get_or_create(name=s)[0] for s in slugs]


def _raise_team(raised_by: User, team: Team | None) -> Team | None:
    if team is not None:
        if not team.is_active:
            raise DomainError(
                _("Team %(team)s is no longer active.") % {"team": team.name}, field="team"
            )
        return team
    mine = Team.objects.filter(members=raised_by, is_active=True, level=Level.L1).first()
    return mine or Team.objects.filter(is_active=True, level=Level.L1).first()


def _check_choice(value: str, choices: Any, *, field: str, label: str) -> str:
    if value not in choices.values:
        raise DomainError(
            _("%(value)s is not a valid %(label)s.") % {"value": repr(value), "label": label},
            field=field,
        )
    return value


@dataclass(frozen=True)
class CaseToRaise:
    """What a case is raised with: ``case_raise``'s arguments but the raiser, tags and
    attachments (one row of ``cases_raise_many``)."""

    customer: Customer
    title: str
    description: str
    severity: str
    impact: str = Impact.SINGLE_USER
    contact: Contact | None = None
    product: Product | None = None
    category: Category | None = None
    tried: str = ""
    source: str = Source.FORM
    team: Team | None = None

    def checked(self) -> CaseToRaise:
        """The row, its texts cleaned, checked (``DomainError`` when refused)."""
        raised = _raised_texts(self)
        _raised_check(raised)
        return raised


def _raised_texts(raised: CaseToRaise) -> CaseToRaise:
    """The free texts cleaned; a missing or oversized title or description is refused."""
    return replace(
        raised,
        title=_title_clean(raised.title),
        description=_description_clean(raised.description),
        tried=text_clean(
            raised.tried,
            field="tried",
            label=_("What was tried"),
            max_length=TEXT_MAX,
            required=False,
        ),
    )


def _title_clean(title: str) -> str:
    return text_clean(
        title, field="title", label=_("Title"), max_length=TITLE_MAX, required=True, multiline=False
    )


def _description_clean(description: str) -> str:
    return text_clean(
        description, field="description", label=_("Description"), max_length=TEXT_MAX, required=True
    )


def _raised_check(raised: CaseToRaise) -> None:
    """Refuse an unknown choice, and a customer, product or category no longer active or a
    contact of another customer."""
    _check_choice(raised.severity, Severity, field="severity", label=_("severity"))
    _check_choice(raised.impact, Impact, field="impact", label=_("impact"))
    _check_choice(raised.source, Source, field="source", label=_("source"))
    customer, contact = raised.customer, raised.contact
    if not customer.is_active:
        raise DomainError(
            _("%(customer)s is no longer an active customer.") % {"customer": customer.name},
            field="customer",
        )
    if contact is not None and contact.customer_id != customer.pk:
        raise DomainError(
            _("%(contact)s is not a contact of %(customer)s.")
            % {"contact": contact.name, "customer": customer.name},
            field="contact",
        )
    _check_active(raised.product, field="product", label=_("product"))
    _check_active(raised.category, field="category", label=_("category"))


def _check_active(row: Product | Category | None, *, field: str, label: str) -> None:
    if row is not None and not row.is_active:
        raise DomainError(
            _("%(row)s is no longer an active %(label)s.") % {"row": row.name, "label": label},
            field=field,
        )


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
    raised = CaseToRaise(
        customer=customer,
        contact=contact,
        product=product,
        category=category,
        title=title,
        description=description,
        tried=tried,
        severity=severity,
        impact=impact,
        source=source,
    ).checked()
    checked = [attachment_check(upload) for upload in attachments]

    stored: list[Attachment] = []
    try:
        with transaction.atomic():
            tag_rows = tags_resolve(tags)
            team = _raise_team(raised_by, team)
            now = timezone.now()
            case = _case_build(raised, by=raised_by, team=team, now=now)
            case.save(force_insert=True)
            if tag_rows:
                case.tags.set(tag_rows)
            event_record(**_raised_event(case, by=raised_by))
            for upload, (name, content_type) in zip(attachments, checked, strict=True):
                attachment = attachment_store(
                    case=case, by=raised_by, upload=upload, name=name, content_type=content_type
                )
                stored.append(attachment)
                attachment_event(case=case, by=raised_by, attachment=attachment)
            announce(CaseRaised(case=case, at=now, by=raised_by))
    except BaseException:
        attachments_discard(stored)
        raise
    _relations_prefetch(case, tags=bool(tag_rows), attachments=bool(stored))
    return case


def cases_raise_many(*, raised_by: User, rows: Sequence[CaseToRaise]) -> list[Case | DomainError]:
    """``case_raise`` for many cases at once (no tags or attachments), for a caller that raises
    in bulk (monitoring's alerts): in the place of each row its new case, or the
    ``DomainError`` that refused it alone. The same checks, rows, timeline events and SLA
    clocks as one ``case_raise`` per row, with a few statements for all of them:

    1. Check each row in memory (``CaseToRaise.checked``, the team as ``case_raise`` picks it,
       the default looked up once); a refused row is left out.
    2. One insert of the cases (their ids, hence references, come back from it), one of their
       *raised* events.
    3. ``CaseRaised`` for the set (``announce_many``): the SLA engine starts their clocks and
       saves their marks set-based, in this transaction.

    Nothing is prefetched for showing the cases (``case_raise`` does, for the API's answer):
    they have no watchers, links, tags or attachments."""
    require(raised_by, can_raise)
    default_team = cache(partial(_raise_team, raised_by, None))
    out: list[Case | DomainError] = []
    with transaction.atomic():
        now = timezone.now()
        for row in rows:
            try:
                raised = row.checked()
                team = _raise_team(raised_by, row.team) if row.team is not None else default_team()
            except DomainError as error:
                out.append(error)
                continue
            out.append(_case_build(raised, by=raised_by, team=team, now=now))
        cases = [case for case in out if isinstance(case, Case)]
        if cases:
            Case.objects.bulk_create(cases)
            events_save(event_build(**_raised_event(case, by=raised_by)) for case in cases)
            announce_many(
                CaseRaised, [CaseRaised(case=case, at=now, by=raised_by) for case in cases]
            )
    return out


def _case_build(raised: CaseToRaise, *, by: User, team: Team | None, now: datetime) -> Case:
    """The new case, not saved yet."""
    return Case(
        title=raised.title,
        description=raised.description,
        tried=raised.tried,
        customer=raised.customer,
        contact=raised.contact,
        product=raised.product,
        category=raised.category,
        severity=raised.severity,
        impact=raised.impact,
        status=Status.NEW,
        team=team,
        level=team.level if team is not None else Level.L1,
        raised_by=by,
        source=raised.source,
        raised_at=now,
        updated_at=now,
    )


def _raised_event(case: Case, *, by: User) -> dict[str, Any]:
    """The *raised* event of a new case (``event_record``'s or ``event_build``'s arguments)."""
    return {
        "case": case,
        "actor": by,
        "kind": EventKind.RAISED,
        "to_value": case.severity,
        "data": {
            "severity": case.severity,
            "impact": case.impact,
            "team": case.team.name if case.team else None,
            "source": case.source,
        },
    }


def _relations_prefetch(case: Case, *, tags: bool, attachments: bool) -> None:
    """Prefetch what showing the new case (the API answers with it) reads: it has no watchers
    or links, and tags and attachments only if it was given some. An empty relation is
    prefetched with an empty queryset, which runs no query; tags and attachments given are
    read back once (one query each, the attachments with their uploader)."""
    reads: dict[str, QuerySet[Any]] = {
        "watchers": User.objects.none(),
        "links_out": CaseLink.objects.none(),
        "links_in": CaseLink.objects.none(),
        "tags": Tag.objects.all() if tags else Tag.objects.none(),
        "attachments": (
            Attachment.objects.select_related("uploaded_by")
            if attachments
            else Attachment.objects.none()
        ),
    }
    prefetch_related_objects(
        [case], *(Prefetch(name, queryset=rows) for name, rows in reads.items())
    )


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
    """Edit title, description, impact, category, product or tags (those who work the case:
    ``can_work``); each changed field gets its own *edited* event, before -> after. ``clear``
    lists the optional relations (``category``, ``product``) to empty. Nothing changed -> no
    event."""
    require(by, lambda u: can_work(u, case))
    for name in clear:
        if name not in ("category", "product"):
            raise DomainError(_("%(name)s cannot be cleared.") % {"name": name}, field=name)
    if title is not None:
        title = _title_clean(title)
    if description is not None:
        description = _description_clean(description)
    if impact is not None:
        _check_choice(impact, Impact, field="impact", label=_("impact"))
    _check_active(category, field="category", label=_("category"))
    _check_active(product, field="product", label=_("product"))

    with transaction.atomic():
        case = case_lock(case)
        require_not_closed(case, _("edited"))
        now = timezone.now()
        edit = _DetailsEdit(case)
        edit.change("title", title)
        edit.change("description", description)
        edit.change("impact", impact)
        for name, value in (("category", category), ("product", product)):
            if value is not None or name in clear:
                edit.change_relation(name, value)
        if tags is not None:
            edit.change_tags(tags)
        if not edit.changes:
            return case
        for name, (old, new) in edit.changes.items():
            event_record(
                case=case,
                actor=by,
                kind=EventKind.EDITED,
                from_value=_detail_shown(name, old),
                to_value=_detail_shown(name, new),
                data={"field": name, "changes": {name: [old, new]}},
            )
        case_touch_and_sync(case, now=now, fields=edit.fields)
    return case


# How much of a long text (a description) an *edited* event shows; its data keeps it whole.
DETAIL_SHOWN_MAX = 120


def _detail_shown(name: str, value: str) -> str:
    """A detail's value as its event shows it: an impact by its label, text on one line."""
    if name == "impact" and value in Impact.values:
        return stored_label(Impact(value))
    return Truncator(" ".join(value.split())).chars(DETAIL_SHOWN_MAX)


class _DetailsEdit:
    """The changes made to a locked case, in the order they were made: ``changes`` maps each
    changed field to its [old, new] as shown in the timeline; ``fields`` the columns to save."""

    def __init__(self, case: Case) -> None:
        self.case = case
        self.changes: dict[str, list[Any]] = {}
        self.fields: list[str] = []

    def change(self, name: str, new: str | None) -> None:
        """A text or choice field; ``None`` leaves it as it is."""
        if new is not None:
            old = getattr(self.case, name)
            self._set(name, old, new, old, new)

    def change_relation(self, name: str, new: Category | Product | None) -> None:
        """An optional relation, shown by name; ``None`` empties it."""
        old = getattr(self.case, name)
        self._set(name, old, new, str(old or ""), str(new or ""))

    def change_tags(self, names: Sequence[str]) -> None:
        old_tags = sorted(self.case.tags.values_list("name", flat=True))
        tag_rows = tags_resolve(names)
        new_tags = sorted(t.name for t in tag_rows)
        if old_tags != new_tags:
            self.case.tags.set(tag_rows)
            self.changes["tags"] = [", ".join(old_tags), ", ".join(new_tags)]

    def _set(self, name: str, old: Any, new: Any, shown_old: str, shown_new: str) -> None:
        if old != new:
            setattr(self.case, name, new)
            self.fields.append(name)
            self.changes[name] = [shown_old, shown_new]
