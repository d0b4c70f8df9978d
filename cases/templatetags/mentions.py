"""``{{ event|note_body }}``: a timeline entry's text, with the mentions that reached someone
highlighted."""

from __future__ import annotations

from django import template
from django.template.defaultfilters import linebreaksbr
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from cases.mentions import Piece, mention_pieces
from cases.models import CaseEvent

register = template.Library()


@register.filter
def note_body(event: CaseEvent) -> SafeString:
    """The entry's body, escaped, its line breaks kept, as ``|linebreaksbr`` shows it; each
    mention listed in its ``data["mentions"]`` (``cases.services.mentions.note_record``) in a
    ``<mark>``. The body is the author's text: every piece is escaped on its own, no markup
    comes from it."""
    usernames = event.data.get("mentions") if isinstance(event.data, dict) else None
    if not usernames or not isinstance(usernames, list):
        return linebreaksbr(event.body, autoescape=True)
    pieces = mention_pieces(event.body, frozenset(str(u) for u in usernames))
    return format_html_join("", "{}", ((_piece_html(piece),) for piece in pieces))


def _piece_html(piece: Piece) -> SafeString:
    if piece.username:
        return format_html('<mark class="mention">{}</mark>', piece.text)
    return linebreaksbr(piece.text, autoescape=True)
