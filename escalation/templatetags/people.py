"""``{{ user|display_name }}``: the templates name people the way the code does."""

from __future__ import annotations

from django import template
from django.contrib.auth.models import User

from escalation import users

register = template.Library()


@register.filter
def display_name(user: object, nobody: str = "") -> str:
    # Anything but a user (no one, an anonymous visitor) is ``nobody``, as a template variable
    # that does not resolve shows nothing rather than failing the page.
    return users.display_name(user if isinstance(user, User) else None, nobody=nobody)
