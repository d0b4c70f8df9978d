"""How people are named on pages, in mail, in the timeline and in the API."""

from __future__ import annotations

from django.contrib.auth.models import User


def display_name(user: User | None, *, nobody: str = "") -> str:
    """``user``'s full name, or their username when they gave no name; ``nobody`` for no user
    (an unassigned case, an action the system took)."""
    if user is None:
        return nobody
    return user.get_full_name() or user.get_username()
