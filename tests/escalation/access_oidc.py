from tests.access import PERSONAS, Rule

# Sign-in with the identity provider: while OIDC_ENABLED is off (as in this table), not found
# for everyone. With it on, tests/escalation/test_oidc_flow.py walks them against a provider.
RULES = {
    "oidc_authentication_init": Rule(allowed=frozenset(PERSONAS), ok_statuses=frozenset({404})),
    "oidc_authentication_callback": Rule(allowed=frozenset(PERSONAS), ok_statuses=frozenset({404})),
}
