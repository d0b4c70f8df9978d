"""The project's forms render through one field template, with Bootstrap's classes, and mark
invalid fields for assistive technology."""

from __future__ import annotations

import pytest
from django import forms
from django.test.html import parse_html

from escalation.forms import BootstrapForm
from tests.factories import TeamFactory


class Sample(BootstrapForm):
    name = forms.CharField(help_text="As on the badge.")
    team = forms.ModelChoiceField(queryset=TeamFactory._meta.model.objects.order_by("name"))
    notes = forms.CharField(required=False, widget=forms.Textarea(attrs={"class": "mono"}))
    urgent = forms.BooleanField(required=False)
    kind = forms.ChoiceField(choices=[("a", "A"), ("b", "B")], widget=forms.RadioSelect)
    token = forms.CharField(required=False, widget=forms.HiddenInput)


def widget_attrs(html: str, tag: str) -> dict[str, str | None]:
    element = parse_html(html)
    found = [e for e in element.children if getattr(e, "name", None) == tag] or [element]
    return dict(found[0].attributes)


pytestmark = pytest.mark.django_db


def test_each_widget_gets_bootstrap_s_class_and_keeps_its_own() -> None:
    form = Sample()
    assert widget_attrs(str(form["name"]), "input")["class"] == "form-control"
    assert widget_attrs(str(form["team"]), "select")["class"] == "form-select"
    assert widget_attrs(str(form["notes"]), "textarea")["class"] == "form-control mono"  # sorted
    assert widget_attrs(str(form["urgent"]), "input")["class"] == "form-check-input"
    assert "class" not in widget_attrs(str(form["token"]), "input")


def test_an_invalid_field_is_marked_for_sight_and_for_screen_readers() -> None:
    form = Sample(data={"name": "", "kind": "a"})
    assert not form.is_valid()
    attrs = widget_attrs(str(form["name"]), "input")
    assert attrs["class"] == "form-control is-invalid"  # parse_html sorts classes
    assert attrs["aria-invalid"] == "true"
    assert attrs["aria-describedby"] == "id_name_helptext id_name_error"
    assert "aria-invalid" not in widget_attrs(str(form["notes"]), "textarea")


def test_a_field_group_has_its_label_help_and_errors_with_the_ids_the_widget_names() -> None:
    form = Sample(data={"name": "", "kind": "a"})
    form.is_valid()
    html = form["name"].as_field_group()
    assert '<label class="form-label" for="id_name">Name' in html
    assert '<div class="form-text" id="id_name_helptext">As on the badge.</div>' in html
    assert 'id="id_name_error">This field is required.</div>' in html
    assert '<span class="visually-hidden">(required)</span>' in html


def test_a_whole_form_renders_each_field_through_the_field_template() -> None:
    TeamFactory(name="Service desk & co")
    form = Sample(data={"kind": "z"})
    form.add_error(None, "Not now.")
    html = str(form)
    assert '<div class="alert alert-danger" role="alert"><div>Not now.</div></div>' in html
    assert html.count('class="mb-3"') == 5  # every visible field; the hidden one bare
    assert '<input type="hidden" name="token" id="id_token">' in html
    assert "<legend" in html  # the radios in a fieldset
    assert "Service desk &amp; co" in html
