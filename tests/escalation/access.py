from tests.access import ANONYMOUS, EVERYONE_LOGGED_IN, PERSONAS, STAFF_ROLES, Rule

RULES = {
    "home": Rule(allowed=EVERYONE_LOGGED_IN),
    "healthz": Rule(allowed=frozenset(PERSONAS)),
    # For a scraper with METRICS_TOKEN or from METRICS_ALLOW, never for a session (refusals:
    # tests/escalation/test_metrics.py); off in the test settings, so a 404 for everyone.
    "metrics": Rule(allowed=frozenset(PERSONAS), ok_statuses=frozenset({404})),
    "login": Rule(allowed=frozenset({ANONYMOUS}) | EVERYONE_LOGGED_IN),
    # Logout is POST-only: a GET is answered 405 for everyone logged in.
    "logout": Rule(allowed=EVERYONE_LOGGED_IN, ok_statuses=frozenset({405})),
    "password_change": Rule(allowed=EVERYONE_LOGGED_IN),
    # One's own language (tests/escalation/test_i18n_pages.py): anyone signed in.
    "profile": Rule(allowed=EVERYONE_LOGGED_IN),
    "password_change_done": Rule(allowed=EVERYONE_LOGGED_IN),
    # The API's description is refused to whoever the API refuses (no role: 403).
    "api-schema": Rule(allowed=STAFF_ROLES, api=True),
    "api-docs": Rule(allowed=STAFF_ROLES, api=True),
    # Browsers fetch it before anyone logs in: a redirect to the static icon, for everyone.
    "favicon": Rule(allowed=frozenset(PERSONAS)),
    # An /api/ path no endpoint takes: the API's JSON 404 for everyone.
    "api-not-found": Rule(
        allowed=frozenset(PERSONAS),
        ok_statuses=frozenset({404}),
        kwargs=lambda world: {"rest": "no-such-endpoint/"},
    ),
}
