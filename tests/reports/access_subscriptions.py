"""Who may change their report subscriptions: managers and executives (POST only, so a GET
from them is answered 405); operators and people without a role are refused."""

from __future__ import annotations

from tests.access import EXECUTIVE, MANAGER, Rule

RULES = {
    "reports:subscription": Rule(
        allowed=frozenset({MANAGER, EXECUTIVE}), ok_statuses=frozenset({405})
    ),
}
