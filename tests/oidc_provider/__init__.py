"""A real OpenID Connect provider for the tests (django-oauth-toolkit), run as its own process.

Its own Django project: these settings, these URLs, a SQLite database in a temporary folder.
``tests/escalation/oidc_provider_fixtures.py`` starts it with runserver and seeds it with
``python -m tests.oidc_provider.seed``. Never imported by the application.
"""
