"""Reply templates' placeholders: which there are, checking a template's text, filling it in.

A template's body names placeholders in braces (``Dear {contact}, ... {reference} ...``), from a
fixed set; ``{{`` and ``}}`` stand for a brace. Filling in never evaluates anything the text
says: it walks the text with ``string.Formatter().parse`` and puts a value in for each bare
placeholder of the set, so ``{customer.__class__}`` or ``{owner!r}`` is never looked up (the
form refuses them when the template is saved; one written by other means is shown as written).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from string import Formatter
from typing import TYPE_CHECKING

from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cases.models import Case
from comms.selectors_status import status_next_update_due
from escalation.users import display_name

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

# name -> what the update box puts in for it (shown to managers on the template page).
PLACEHOLDERS: dict[str, StrOrPromise] = {
    "customer": gettext_lazy("the customer's name"),
    "contact": gettext_lazy("the name of the case's contact"),
    "reference": gettext_lazy("the case's reference (ESC-000123)"),
    "owner": gettext_lazy("the name of the case's owner"),
    "next_update_due": gettext_lazy("when the customer's next update is due"),
}


def placeholder_problems(body: str) -> list[str]:
    """What is wrong with ``body`` as a template: unknown placeholders, a format or conversion
    on one, unbalanced braces. Empty when it is fine."""
    try:
        parsed = list(Formatter().parse(body))
    except ValueError as problem:
        return [
            _("The braces do not match (%(problem)s). Write {{ or }} for a brace itself.")
            % {"problem": problem}
        ]
    problems: list[str] = []
    for _literal, name, spec, conversion in parsed:
        if name is None:
            continue
        if name not in PLACEHOLDERS:
            problems.append(_("{%(name)s} is not a placeholder.") % {"name": name})
        elif spec or conversion:
            problems.append(_("Write {%(name)s} without anything after its name.") % {"name": name})
    return problems


def _when(moment: datetime | None) -> str:
    if moment is None:
        return _("not scheduled")
    return formats.date_format(timezone.localtime(moment), "DATETIME_FORMAT")


def placeholder_values(*, case: Case) -> dict[str, str]:
    """What each placeholder stands for on ``case``."""
    contact = case.contact
    return {
        "customer": case.customer.name,
        "contact": contact.name if contact is not None else case.customer.name,
        "reference": case.reference,
        "owner": display_name(case.owner, nobody=_("our support team")),
        "next_update_due": _when(status_next_update_due(case=case)),
    }


def macro_fill(body: str, values: Mapping[str, str]) -> str:
    """``body`` with its placeholders filled in from ``values``; anything else as written."""
    try:
        parsed = list(Formatter().parse(body))
    except ValueError:
        return body
    out: list[str] = []
    for literal, name, spec, conversion in parsed:
        out.append(literal)
        if name is None:
            continue
        if name in values and not spec and not conversion:
            out.append(values[name])
        else:
            out.append(
                "{"
                + name
                + (f"!{conversion}" if conversion else "")
                + (f":{spec}" if spec else "")
                + "}"
            )
    return "".join(out)
