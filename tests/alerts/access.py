"""Who may open POST /api/events/ (see tests/access.py)."""

from __future__ import annotations

from tests.access import PERSONAS, Rule

# The integration token is the key, not a login: whoever asks without one (signed in or not)
# is answered 401, as every refusal there is (tests/alerts/test_tokens.py).
RULES = {
    "alerts_api:events": Rule(allowed=frozenset(PERSONAS), api=True, ok_statuses=frozenset({401})),
}
