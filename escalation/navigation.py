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


OPERATOR, MANAGER, EXECUTIVE = Role.OPERATOR, Role.MANAGER, Role.EXECUTIVE

NAV_ITEMS: tuple[NavItem, ...] = (
    NavItem(_("Dashboard"), "reviews:dashboard", frozenset({MANAGER})),
    NavItem(_("Triage queue"), "cases:queue", frozenset({MANAGER, EXECUTIVE})),
    NavItem(_("My escalations"), "cases:mine", frozenset({OPERATOR})),
    NavItem(_("Raise escalation"), "cases:raise", frozenset({OPERATOR, MANAGER})),
    NavItem(_("Reviews"), "reviews:list", frozenset({MANAGER, EXECUTIVE})),
    NavItem(_("Patterns"), "reviews:patterns", frozenset({MANAGER, EXECUTIVE})),
    NavItem(_("At risk"), "reviews:risk", frozenset({MANAGER, EXECUTIVE})),
    NavItem(_("My actions"), "reviews:actions_mine", frozenset({OPERATOR})),
    NavItem(_("Major incidents"), "incidents:list", frozenset({MANAGER, EXECUTIVE})),
    NavItem(_("Reports"), "reports:index", frozenset({MANAGER, EXECUTIVE})),
    NavItem(_("Contracts"), "contracts:index", frozenset({MANAGER, EXECUTIVE})),
    NavItem(_("SLA drafts"), "sla:draft_list", frozenset({MANAGER, EXECUTIVE})),
    NavItem(_("Quarantined mail"), "comms:quarantine", frozenset({MANAGER})),
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
