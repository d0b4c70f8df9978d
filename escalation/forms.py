"""The project's form renderer: Django's own, with <select> written in Python.

Django renders a select through a template that includes one template per option, and that
one includes another for the option's attributes: a queue page with its filter and bulk forms
renders about 80 options, several milliseconds of template work. ``FormRenderer`` writes the
same markup directly (``tests/escalation/test_forms.py`` holds it to Django's output) and
leaves every other widget, and any select with its own templates, to the templates.
"""

from __future__ import annotations

from typing import Any

from django.forms.renderers import DjangoTemplates
from django.utils.html import conditional_escape, escape
from django.utils.safestring import SafeString, mark_safe

SELECT = "django/forms/widgets/select.html"
OPTION = "django/forms/widgets/select_option.html"


def _attrs(attrs: dict[str, Any]) -> str:
    """As django/forms/widgets/attrs.html: False leaves the attribute out, True leaves its
    value out, anything else is written as text."""
    return "".join(
        f" {escape(name)}" if value is True else f' {escape(name)}="{escape(value)}"'
        for name, value in attrs.items()
        if value is not False
    )


def render_select(widget: dict[str, Any]) -> SafeString:
    parts = [f'<select name="{escape(widget["name"])}"{_attrs(widget["attrs"])}>']
    for group_name, options, _ in widget["optgroups"]:
        if group_name:
            parts.append(f'\n  <optgroup label="{conditional_escape(group_name)}">')
        for option in options:
            parts.append(
                f'\n  <option value="{escape(option["value"])}"{_attrs(option["attrs"])}>'
                f"{conditional_escape(option['label'])}</option>"
            )
        if group_name:
            parts.append("\n  </optgroup>")
    parts.append("\n</select>")
    return mark_safe("".join(parts))  # every piece above is escaped


class FormRenderer(DjangoTemplates):
    def render(self, template_name: str, context: dict[str, Any], request: Any = None) -> str:
        if template_name == SELECT and all(
            option["template_name"] == OPTION
            for _, options, _ in context["widget"]["optgroups"]
            for option in options
        ):
            return render_select(context["widget"])
        return super().render(template_name, context, request)
