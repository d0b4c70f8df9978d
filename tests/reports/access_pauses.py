"""Who may open the pause analytics: managers only ("a page for managers"); executives read
the weekly report instead and are refused (403) like operators and people without a role."""

from __future__ import annotations

from tests.access import MANAGER, Rule

MANAGERS = frozenset({MANAGER})

RULES = {
    "reports:pauses": Rule(allowed=MANAGERS),
    "reports:pauses_cases": Rule(allowed=MANAGERS, query="?figure=waiting"),
}
