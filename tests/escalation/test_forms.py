"""The project's form renderer writes <select> exactly as Django's templates do."""

from __future__ import annotations

from typing import Any

import pytest
from django import forms
from django.forms.renderers import DjangoTemplates
from django.test.html import parse_html
from django.utils.safestring import mark_safe

from escalation.forms import FormRenderer
from tests.factories import TeamFactory


class Picky(forms.Select):
    option_template_name = "django/forms/widgets/radio_option.html"  # its own option markup


WIDGETS: list[tuple[forms.Widget, Any]] = [
    (forms.Select(choices=[("", "Any"), ("a", "Alpha"), ("b", "B & <b>")]), "b"),
    (forms.Select(choices=[(1, "One"), (2, "Two")], attrs={"class": "form-select"}), 2),
    (forms.Select(choices=[("x", "X")], attrs={"disabled": True, "hidden": False}), None),
    (forms.SelectMultiple(choices=[("a", "A"), ("b", "B"), ("c", "C")]), ["a", "c"]),
    (
        forms.Select(
            choices=[("", "—"), ("Fruit", [("apple", "Apple"), ("pear", "Pear")]), ("x", "X")]
        ),
        "pear",
    ),
    (forms.Select(choices=[("q\"'<>", mark_safe("<em>safe</em>"))]), None),
    (forms.NullBooleanSelect(), True),
    (forms.Select(choices=[]), None),
    (Picky(choices=[("a", "A")]), "a"),
]


@pytest.mark.parametrize(("widget", "value"), WIDGETS)
def test_select_markup_is_djangos(widget: forms.Widget, value: Any) -> None:
    attrs = {"id": "id_pick", "aria-invalid": "true", "data-x": 'a"b'}
    ours = widget.render("pick", value, attrs=attrs, renderer=FormRenderer())
    djangos = widget.render("pick", value, attrs=attrs, renderer=DjangoTemplates())
    assert parse_html(ours) == parse_html(djangos)


def test_plain_selects_take_no_template_and_others_keep_theirs(monkeypatch) -> None:
    used: list[str] = []
    original = DjangoTemplates.get_template

    def spy(self, template_name):  # type: ignore[no-untyped-def]
        used.append(template_name)
        return original(self, template_name)

    monkeypatch.setattr(DjangoTemplates, "get_template", spy)
    forms.Select(choices=[("a", "A")]).render("pick", "a", renderer=FormRenderer())
    assert used == []
    Picky(choices=[("a", "A")]).render("pick", "a", renderer=FormRenderer())
    assert "django/forms/widgets/select.html" in used


@pytest.mark.django_db
def test_a_model_choice_field_renders_as_django_renders_it() -> None:
    TeamFactory(name="Service desk & co")
    TeamFactory(name="Network")

    class Pick(forms.Form):
        team = forms.ModelChoiceField(queryset=TeamFactory._meta.model.objects.order_by("name"))

    form = Pick(data={"team": "not a number"})
    assert not form.is_valid()
    ours = str(form["team"])  # through settings.FORM_RENDERER
    djangos = Pick(data={"team": "not a number"}, renderer=DjangoTemplates())["team"].as_widget()
    assert parse_html(ours) == parse_html(djangos)
    assert "Service desk &amp; co" in ours
