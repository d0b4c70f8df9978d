"""Who may fetch the queue's bulk bar pickers (see tests/access.py): managers, who alone use
the bulk actions. Without HTMX it redirects to the queue."""

from tests.access import MANAGER, Rule

RULES = {
    "cases:bulk_pickers": Rule(allowed=frozenset({MANAGER})),
}
