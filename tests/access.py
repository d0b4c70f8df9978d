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
