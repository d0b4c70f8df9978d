"""The expected-access table's vocabulary.

Each app lists its URL names in ``tests/<app>/access.py`` (or ``access_<part>.py``) as
``RULES = {"ns:name": Rule(...)}``.
``tests/test_access.py`` walks every URL pattern of the project and fails on any name without a
rule, so a new view cannot ship without saying who may open it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

OPERATOR, MANAGER, EXECUTIVE, NOROLE, ANONYMOUS = (
    "operator",
    "manager",
    "executive",
    "norole",
    "anonymous",
)
PERSONAS = (OPERATOR, MANAGER, EXECUTIVE, NOROLE, ANONYMOUS)
STAFF_ROLES = frozenset({OPERATOR, MANAGER, EXECUTIVE})
EVERYONE_LOGGED_IN = frozenset({OPERATOR, MANAGER, EXECUTIVE, NOROLE})


@dataclass(frozen=True)
class World:
    """Objects the rules may point their URLs at.

    ``case`` is raised by the operator (alice) and held by her team; ``other_case`` belongs to
    another team, which the operator must be refused.
    """

    operator: Any
    other_operator: Any
    manager: Any
    executive: Any
    norole: Any
    case: Any
    other_case: Any
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Rule:
    """Who may GET a URL. ``allowed`` personas get a 2xx or a redirect that is not to the login
    page; everyone else is refused: anonymous visitors are sent to log in (pages) or get
    401/403 (API); logged-in personas get 403 or 404."""

    allowed: frozenset[str]
    kwargs: Callable[[World], dict[str, Any]] | None = None
    query: str = ""
    api: bool = False
    # Allowed personas may be answered with these statuses too (e.g. 405 for POST-only URLs).
    ok_statuses: frozenset[int] = frozenset({200, 302})


# --- Who may work one case ---------------------------------------------------------------------
# A second table, of actions that change a case (tests/cases/test_permissions_table.py): each
# persona POSTs the action on its own fresh case of the service desk, owned by OWNER.
OWNER, TEAMMATE, RAISER, STRANGER = "owner", "teammate", "raiser", "stranger"
CASE_PERSONAS = (OWNER, TEAMMATE, RAISER, STRANGER, MANAGER, EXECUTIVE, NOROLE, ANONYMOUS)
# Those who work the case (cases.permissions.can_work).
WORKERS = frozenset({OWNER, TEAMMATE, MANAGER})


@dataclass(frozen=True)
class Crew:
    """The people around one case. ``owner`` holds it and, like ``teammate``, belongs to its
    team; ``raiser``, an operator of another team, raised it (she sees it and adds notes);
    ``stranger``, an operator of another team, must not even see it."""

    owner: Any
    teammate: Any
    raiser: Any
    stranger: Any
    manager: Any
    executive: Any
    norole: Any
    team: Any
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ActionRule:
    """Who may POST ``data`` to ``url`` (a URL name taking the case's reference) on a case in
    ``status``. Allowed personas get a 2xx or a redirect that is not to the login page, and
    ``done(case)`` holds afterwards; everyone else is refused (anonymous visitors sent to log
    in or 401/403, a persona who may not see the case 404, the others 403) and the case is
    left as it was."""

    url: str
    allowed: frozenset[str]
    status: str
    data: Callable[[Crew], dict[str, Any]]
    done: Callable[[Any], bool]
    api: bool = False
    # What the STRANGER, who may not see the case, is answered: 404, or 403 where the role is
    # refused before the case is looked up (the page's managers-only actions).
    stranger_status: int = 404
