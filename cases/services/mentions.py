"""Notes on the timeline, and the ``@username`` mentions in them (``cases.mentions`` finds them).

Only internal notes mention anyone. A customer-facing update is a message to the customer: a
mention there would show them a colleague's username, and asking a colleague for help is what
the internal note beside it is for, so an update's ``@`` is plain text.
"""

from __future__ import annotations

from django.contrib.auth.models import User

from cases.events import CaseMentioned, announce
from cases.mentions import mentioned_usernames
from cases.models import Case, CaseEvent, EventKind
from cases.permissions import can_view_case, can_watch, user_team_ids_load
from cases.timeline import event_record
from escalation.roles import user_roles_load
from escalation.users import display_name

# What the watcher event written for a note's mentions gives as its reason.
MENTION_REASON = "Mentioned in a note"


def note_record(*, case: Case, by: User | None, body: str, customer_facing: bool) -> CaseEvent:
    """Write a note (or a customer-facing update) on the locked ``case``'s timeline, with what
    its mentions cause, in the caller's transaction.

    1. The mentioned usernames are resolved with one query, and those people's roles and teams
       with one more each, however many there are.
    2. Someone who may not see the case, an unknown or inactive username, and the author are
       dropped without a word: the note saves all the same, and its text says nothing of them.
    3. The note's ``data["mentions"]`` lists the usernames that reached someone, in the order
       written, so the timeline can highlight those (and only those).
    4. Those who may watch the case and do not yet are added as watchers, all of them named by
       one watcher event. An executive may see the case but not watch it (``can_watch``): the
       mention still tells them, as asking someone to read is not a change to the case, but
       does not add them.
    5. ``CaseMentioned`` is announced: the ``sla`` app notifies each of them once.
    """
    mentioned = [] if customer_facing else mentions_resolve(case=case, by=by, body=body)
    note = event_record(
        case=case,
        actor=by,
        kind=EventKind.UPDATE if customer_facing else EventKind.NOTE,
        body=body,
        data={"mentions": [u.get_username() for u in mentioned]} if mentioned else None,
    )
    if not mentioned:
        return note
    _watchers_add(case=case, by=by, note=note, people=[u for u in mentioned if can_watch(u, case)])
    announce(
        CaseMentioned(case=case, at=note.created_at, by=by, note=note, mentioned=tuple(mentioned))
    )
    return note


def mentions_resolve(*, case: Case, by: User | None, body: str) -> list[User]:
    """The active people ``body`` mentions who may see ``case``, in the order written, without
    ``by``."""
    usernames = mentioned_usernames(body)
    if not usernames:
        return []
    found = User.objects.filter(username__in=usernames, is_active=True)
    if by is not None:
        found = found.exclude(pk=by.pk)
    people = {u.get_username(): u for u in found}
    user_roles_load(people.values())
    user_team_ids_load(people.values())
    return [
        people[name] for name in usernames if name in people and can_view_case(people[name], case)
    ]


def _watchers_add(*, case: Case, by: User | None, note: CaseEvent, people: list[User]) -> None:
    """Make ``people`` watch ``case`` (those not watching yet), with one watcher event naming
    them; nothing if all of them watch already."""
    if not people:
        return
    watching = set(case.watchers.filter(pk__in=[u.pk for u in people]).values_list("pk", flat=True))
    added = [u for u in people if u.pk not in watching]
    if not added:
        return
    case.watchers.add(*added)
    event_record(
        case=case,
        actor=by,
        kind=EventKind.WATCHER,
        to_value=", ".join(display_name(u) for u in added),
        reason=MENTION_REASON,
        data={"users": [u.pk for u in added], "watching": True, "note": note.pk},
    )
