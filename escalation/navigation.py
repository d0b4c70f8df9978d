"""What each role sees in the navigation bar, and where each role lands after login.

Items whose URL is not (yet) defined are left out, so the bar only ever links to real pages.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import NoReverseMatch, reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from escalation.roles import AnyUser, Role, user_roles


@dataclass(frozen=True)
class NavItem:
    label: str | Promise  # translated when the bar is drawn
    url_name: str
    roles: frozenset[Role]
    # The bar's menu the item sits in (None: on the bar itself), so a manager's bar fits.
    group: str | Promise | None = None


@dataclass(frozen=True)
class NavEntry:
    """One place on the bar: a link, or a menu of ``children`` links (``url`` None)."""

    label: str | Promise
    url: str | None = None
    children: tuple[tuple[str | Promise, str], ...] = ()


OPERATOR, MANAGER, EXECUTIVE = Role.OPERATOR, Role.MANAGER, Role.EXECUTIVE
REVIEWS, SETTINGS = _("Reviews"), _("Administration")

NAV_ITEMS: tuple[NavItem, ...] = (
    NavItem(_("Dashboard"), "reviews:dashboard", frozenset({MANAGER})),
    NavItem(_("Triage queue"), "cases:queue", frozenset({MANAGER, EXECUTIVE})),
    NavItem(_("My escalations"), "cases:mine", frozenset({OPERATOR})),
    NavItem(_("Raise escalation"), "cases:raise", frozenset({OPERATOR, MANAGER})),
    NavItem(_("Reviews"), "reviews:list", frozenset({MANAGER, EXECUTIVE}), REVIEWS),
    NavItem(_("Patterns"), "reviews:patterns", frozenset({MANAGER, EXECUTIVE}), REVIEWS),
    NavItem(_("At risk"), "reviews:risk", frozenset({MANAGER, EXECUTIVE}), REVIEWS),
    NavItem(_("My actions"), "reviews:actions_mine", frozenset({OPERATOR})),
    NavItem(_("Major incidents"), "incidents:list", frozenset({MANAGER, EXECUTIVE})),
    NavItem(_("Reports"), "reports:index", frozenset({MANAGER, EXECUTIVE})),
    NavItem(_("Contracts"), "contracts:index", frozenset({MANAGER, EXECUTIVE})),
    NavItem(_("SLA drafts"), "sla:draft_list", frozenset({MANAGER, EXECUTIVE}), SETTINGS),
    NavItem(_("Quarantined mail"), "comms:quarantine", frozenset({MANAGER}), SETTINGS),
)

# Where each role starts, first match wins.
HOME_ORDER: tuple[tuple[Role, tuple[str, ...]], ...] = (
    (MANAGER, ("reviews:dashboard", "cases:queue")),
    (EXECUTIVE, ("reports:index", "cases:queue")),
    (OPERATOR, ("cases:mine", "cases:raise")),
)


def _reverse(url_name: str) -> str | None:
    try:
        return reverse(url_name)
    except NoReverseMatch:
        return None


def nav_for(user: AnyUser) -> list[tuple[str | Promise, str]]:
    roles = user_roles(user)
    items = []
    for item in NAV_ITEMS:
        if item.roles & roles and (url := _reverse(item.url_name)):
            items.append((item.label, url))
    return items


def nav_bar_for(user: AnyUser) -> list[NavEntry]:
    """``nav_for`` as the bar draws it: the grouped items in one menu each, where the group's
    first item stands (a group with one item is a plain link)."""
    roles = user_roles(user)
    entries: list[NavEntry] = []
    menus: dict[str, list[tuple[str | Promise, str]]] = {}
    for item in NAV_ITEMS:
        if not (item.roles & roles and (url := _reverse(item.url_name))):
            continue
        if item.group is None:
            entries.append(NavEntry(item.label, url))
            continue
        key = str(item.group)
        if key not in menus:
            menus[key] = []
            entries.append(NavEntry(item.group))
        menus[key].append((item.label, url))
    out = []
    for entry in entries:
        if entry.url is not None:
            out.append(entry)
            continue
        links = menus[str(entry.label)]
        if len(links) == 1:
            out.append(NavEntry(links[0][0], links[0][1]))
        else:
            out.append(NavEntry(entry.label, children=tuple(links)))
    return out


def home_url_for(user: AnyUser) -> str | None:
    roles = user_roles(user)
    for role, names in HOME_ORDER:
        if role in roles:
            for name in names:
                if url := _reverse(name):
                    return url
    # A role whose preferred pages are not installed still starts on a page it may open.
    items = nav_for(user)
    return items[0][1] if items else None
