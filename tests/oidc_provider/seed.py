"""Set up the test provider's data: ``python -m tests.oidc_provider.seed app|user ...``.

``app``: the relying party (a confidential client, authorization code, RS256 ID tokens).
``user``: a person who can sign in, made or updated, with exactly the groups given.
Prints the user's ``sub`` (their primary key at the provider).
"""

from __future__ import annotations

import argparse
import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.oidc_provider.settings")
django.setup()

from django.contrib.auth.models import Group, User  # noqa: E402  (after django.setup)
from oauth2_provider.models import Application  # noqa: E402


def app(args: argparse.Namespace) -> None:
    Application.objects.filter(client_id=args.client_id).delete()
    Application.objects.create(
        name="Escalation",
        client_id=args.client_id,
        client_secret=args.secret,
        client_type=Application.CLIENT_CONFIDENTIAL,
        authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE,
        redirect_uris=args.redirect_uri,
        algorithm=Application.RS256_ALGORITHM,
        skip_authorization=False,
    )


def user(args: argparse.Namespace) -> None:
    person, _ = User.objects.get_or_create(username=args.username)
    person.set_password(args.password)
    person.email = args.email
    person.first_name = args.first_name
    person.last_name = args.last_name
    person.save()
    names = [name for name in args.groups.split(",") if name]
    person.groups.set([Group.objects.get_or_create(name=name)[0] for name in names])
    print(person.pk)


def main() -> None:
    parser = argparse.ArgumentParser()
    commands = parser.add_subparsers(required=True)
    app_parser = commands.add_parser("app")
    app_parser.add_argument("--client-id", required=True)
    app_parser.add_argument("--secret", required=True)
    app_parser.add_argument("--redirect-uri", required=True)
    app_parser.set_defaults(run=app)
    user_parser = commands.add_parser("user")
    user_parser.add_argument("username")
    user_parser.add_argument("--password", required=True)
    user_parser.add_argument("--groups", default="")
    user_parser.add_argument("--email", default="")
    user_parser.add_argument("--first-name", default="")
    user_parser.add_argument("--last-name", default="")
    user_parser.set_defaults(run=user)
    args = parser.parse_args()
    args.run(args)


if __name__ == "__main__":
    main()
