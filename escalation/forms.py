"""How the project's forms render: one form template, one field template, Bootstrap's classes.

``FormRenderer`` is Django's own with the project's templates as its defaults, so ``{{ form }}``
renders ``templates/forms/form.html`` and ``{{ form.title.as_field_group }}`` renders
``templates/forms/field.html`` (label, widget, help text, errors) on every page. A page that
lays a field out itself includes the same field template.

Django marks a field with errors for assistive technology itself (``aria-invalid``, and
``aria-describedby`` naming the help text and the errors); ``BootstrapForm`` only adds the
classes Bootstrap styles widgets by.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.forms.renderers import TemplatesSetting
from django.utils.translation import gettext_lazy as _

from escalation.errors import DomainError


class FormRenderer(TemplatesSetting):
    """Django's renderer over settings.TEMPLATES (so templates/ is searched; ``django.forms``
    is an installed app for its widget templates), with the project's form and field templates."""

    form_template_name = "forms/form.html"
    field_template_name = "forms/field.html"


def bootstrap_class(widget: forms.Widget) -> str:
    """Bootstrap's class for a widget ("" for hidden inputs, and for radios, which the field
    template lays out)."""
    if widget.is_hidden:
        return ""
    # Checked first: CheckboxSelectMultiple is a RadioSelect to Django.
    if isinstance(widget, forms.CheckboxInput | forms.CheckboxSelectMultiple):
        return "form-check-input"
    if isinstance(widget, forms.RadioSelect):
        return ""
    if isinstance(widget, forms.Select):  # SelectMultiple too
        return "form-select"
    return "form-control"


def _add_class(widget: forms.Widget, css: str) -> None:
    if css:
        widget.attrs["class"] = f"{widget.attrs.get('class', '')} {css}".strip()


class BootstrapForm(forms.Form):
    """A form whose widgets carry Bootstrap's classes, ``is-invalid`` on those with errors."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():  # each form has its own copies of its fields
            _add_class(field.widget, bootstrap_class(field.widget))

    def full_clean(self) -> None:
        super().full_clean()
        for name in self.errors:
            if name in self.fields:
                _add_class(self.fields[name].widget, "is-invalid")

    def add_domain_error(self, error: DomainError) -> None:
        """Show a refusal from a service on the field it names, or above the form."""
        field = error.field if error.field in self.fields else None
        self.add_error(field, error.message)


class LanguageForm(BootstrapForm):
    """The profile's language choice: one of ``settings.LANGUAGES`` or the browser's."""

    language = forms.ChoiceField(
        label=_("Language of pages and mail"),
        required=False,
        widget=forms.RadioSelect,
        help_text=_("The browser's language is used when you choose none."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Language names in their own language, as Django's language menus show them.
        language = self.fields["language"]
        assert isinstance(language, forms.ChoiceField)
        language.choices = [("", _("Browser default")), *settings.LANGUAGES]
