"""``@username`` mentions in a note's text: finding them, and cutting the text around them for
the timeline. Pure functions over strings, no ORM (``cases.services.mentions`` resolves and
notifies).

What counts as a mention:

1. An ``@`` followed by a Django username: letters, digits and ``@.+-_``, as Django's
   ``UnicodeUsernameValidator`` allows (so ``@jo.smith`` and ``@ops+oncall`` are mentions, and
   ``@dana@example.com`` mentions the user whose username is that address).
2. The ``@`` must not follow a username character or a ``/``: in ``bob@example.com`` it is the
   middle of an address, not a mention of ``example.com``; in ``https://host/@alice`` it is
   part of a link.
3. Trailing dots are the sentence's, not the name's: ``@alice.`` mentions ``alice``. (Commas,
   colons, brackets and the like are not username characters: ``@alice,`` stops by itself.)
4. Usernames are compared exactly, as Django compares them when someone signs in: ``Alice`` and
   ``alice`` may be two accounts, so ``@Alice`` never notifies ``alice``.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass

# Django's username field holds at most 150 characters; a longer run is nobody's name.
USERNAME_MAX = 150
MENTION = re.compile(r"(?<![\w.@+/-])@([\w.@+-]+)")


@dataclass(frozen=True)
class Piece:
    """Part of a note's text; ``username`` set: the text is a mention of that user."""

    text: str
    username: str = ""


def _mentions(text: str) -> list[tuple[int, int, str]]:
    """(start, end, username) of each mention in ``text``, in order; ``end`` excludes the
    sentence's trailing dots."""
    found = []
    for match in MENTION.finditer(text):
        username = match.group(1).rstrip(".")
        if username and len(username) <= USERNAME_MAX:
            found.append((match.start(), match.start() + 1 + len(username), username))
    return found


def mentioned_usernames(text: str) -> list[str]:
    """The usernames ``text`` mentions, each once, in the order they first appear."""
    return list(dict.fromkeys(username for _, _, username in _mentions(text)))


def mention_pieces(text: str, usernames: Collection[str]) -> list[Piece]:
    """``text`` cut around its mentions of ``usernames`` (those that reached someone); other
    mentions stay plain text."""
    pieces: list[Piece] = []
    at = 0
    for start, end, username in _mentions(text):
        if username not in usernames:
            continue
        if start > at:
            pieces.append(Piece(text[at:start]))
        pieces.append(Piece(text[start:end], username))
        at = end
    if at < len(text):
        pieces.append(Piece(text[at:]))
    return pieces
