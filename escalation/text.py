"""The one check of text people type: trimmed, within its limit, and free of control characters;
and choices' labels, translated once per language (``label_in``).

Services call ``text_clean`` on every text they store, so the pages, the API and the tasks get
the same rules and the same messages (a ``DomainError`` on the field, shown as a form error or a
400). Control characters never belong in text a person wrote: in a title they end up in mail
headers ("x\\r\\nBcc: ..."), in any text they corrupt exports and terminals. Multi-line fields
keep their line breaks and tabs; single-line fields keep neither.
"""

from __future__ import annotations

import functools
import re

from django.conf import settings
from django.db.models import Choices
from django.utils import translation
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from escalation.errors import DomainError

# The size limits of text people type, shared by the forms, the serializers and the services so
# a page, the API and a service refuse the same text.
TEXT_MAX = 20_000  # a description, a note, a resolution summary, a review's findings
REASON_MAX = 2_000  # a reason for a change, a corrective action

# C0 controls, DEL, C1 controls, and the Unicode line and paragraph separators.
_CONTROL = r"\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u2028\u2029"
_SINGLE_LINE = re.compile(f"[{_CONTROL}\t\n\r]")
_MULTI_LINE = re.compile(f"[{_CONTROL}]")


def text_clean(
    value: str | None,
    *,
    field: str,
    label: str,
    max_length: int,
    required: bool = False,
    multiline: bool = True,
) -> str:
    """``value`` without surrounding space; refused when empty (if ``required``), longer than
    ``max_length`` once trimmed, or holding a control character (line breaks and tabs are
    allowed where ``multiline``)."""
    text = (value or "").strip()
    if required and not text:
        raise DomainError(_("%(label)s is required.") % {"label": label}, field=field)
    if len(text) > max_length:
        raise DomainError(
            _("%(label)s is too long (%(length)s characters; at most %(max)s).")
            % {
                "label": label,
                "length": number_format(len(text), force_grouping=True),
                "max": number_format(max_length, force_grouping=True),
            },
            field=field,
        )
    found = (_MULTI_LINE if multiline else _SINGLE_LINE).search(text)
    if found is not None:
        code = f"U+{ord(found.group()):04X}"
        if found.group() in "\r\n":
            message = _("%(label)s contains a line break (%(code)s); remove it.")
        else:
            message = _("%(label)s contains a control character (%(code)s); remove it.")
        raise DomainError(message % {"label": label, "code": code}, field=field)
    return text


def active_label(choice: Choices) -> str:
    """A choice's label in the active language (``label_in``)."""
    return label_in(choice, translation.get_language() or settings.LANGUAGE_CODE)


@functools.cache
def label_in(choice: Choices, language: str) -> str:
    """A choice's label in ``language``, translated once per process: the SLA engine writes
    the same few labels into thousands of events and messages in a storm of breaches, and each
    translation walks the catalogues' fallbacks."""
    with translation.override(language):
        return str(choice.label)
