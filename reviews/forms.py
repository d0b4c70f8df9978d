"""Forms of the reviews pages: they validate input; the services decide and write."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, cast

from django import forms
from django.db.models import Q
from django.forms import formset_factory
from django.utils.translation import gettext_lazy as _

from cases.models import Case
from cases.models.case import TITLE_MAX
from cases.visibility import users_who_may_open
from escalation.forms import BootstrapForm
from escalation.roles import users_who_can_own
from escalation.text import REASON_MAX, TEXT_MAX
from escalation.users import display_name
from reviews.models import ActionStatus
from reviews.selectors import staff_users
from reviews.services import ActionInput
from reviews.surveys import COMMENT_MAX


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%Y-%m-%d", **kwargs)


def _textarea(rows: int = 3) -> forms.Textarea:
    return forms.Textarea(attrs={"rows": rows})


class ReviewForm(BootstrapForm):
    meeting_on = forms.DateField(label=_("Meeting date"), required=False, widget=DateInput())
    participants = forms.TypedMultipleChoiceField(
        coerce=int,
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 6}),
        help_text=_("Hold Ctrl (or Cmd) to choose several people."),
    )
    summary = forms.CharField(required=False, widget=_textarea(4), max_length=TEXT_MAX)
    went_well = forms.CharField(
        label=_("What went well"), required=False, widget=_textarea(), max_length=TEXT_MAX
    )
    went_badly = forms.CharField(
        label=_("What went badly"), required=False, widget=_textarea(), max_length=TEXT_MAX
    )
    lessons = forms.CharField(
        label=_("Lessons learned"), required=False, widget=_textarea(), max_length=TEXT_MAX
    )
    completed = forms.BooleanField(
        label=_("The review is complete"),
        required=False,
        help_text=_("Needs a meeting date and a summary."),
    )

    def __init__(self, *args: Any, people: People, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.people = people
        cast(forms.ChoiceField, self.fields["participants"]).choices = people.choices

    def clean_participants(self) -> list[Any]:
        return [self.people.users[pk] for pk in self.cleaned_data["participants"]]


class People:
    """The staff users a review form offers, read once for the whole page (every action row
    shares them, so the page costs two queries for them however many rows it has): every staff
    user may take part in the meeting; an action's owner is someone who can own work and may
    open the case (``kept``: the owners its actions already have stay on offer)."""

    def __init__(self, *, case: Case, kept: Iterable[int] = ()) -> None:
        self.users = {u.pk: u for u in staff_users()}
        self.choices = [(pk, display_name(u)) for pk, u in self.users.items()]
        owners = users_who_can_own().filter(
            Q(pk__in=users_who_may_open(case=case).values("pk")) | Q(pk__in=list(kept))
        )
        self.owners = {u.pk: u for u in owners}
        self.owner_choices = [(pk, display_name(u)) for pk, u in self.owners.items()]


class ActionForm(BootstrapForm):
    id = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)
    description = forms.CharField(max_length=REASON_MAX, widget=forms.Textarea(attrs={"rows": 2}))
    owner = forms.TypedChoiceField(coerce=int)
    due_on = forms.DateField(label=_("Due date"), widget=DateInput())
    status = forms.ChoiceField(
        choices=ActionStatus.choices,
        initial=ActionStatus.OPEN,
    )

    def __init__(self, *args: Any, people: People, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.people = people
        cast(forms.ChoiceField, self.fields["owner"]).choices = [
            ("", _("Choose an owner")),
            *people.owner_choices,
        ]

    def clean_owner(self) -> Any:
        return self.people.owners[self.cleaned_data["owner"]]

    def to_input(self) -> ActionInput:
        data = self.cleaned_data
        return ActionInput(
            id=data.get("id"),
            description=data["description"],
            owner=data["owner"],
            due_on=data["due_on"],
            status=ActionStatus(data["status"]),
        )


ActionFormSet = formset_factory(ActionForm, extra=1, max_num=50, validate_max=True)


class SatisfactionForm(BootstrapForm):
    score = forms.TypedChoiceField(
        label=_("How satisfied are you with how we handled your escalation?"),
        choices=[
            (1, _("1 · Very dissatisfied")),
            (2, _("2 · Dissatisfied")),
            (3, _("3 · Neutral")),
            (4, _("4 · Satisfied")),
            (5, _("5 · Very satisfied")),
        ],
        coerce=int,
        widget=forms.RadioSelect,
    )
    comment = forms.CharField(
        label=_("Anything you would like to tell us? (optional)"),
        required=False,
        max_length=COMMENT_MAX,
        widget=forms.Textarea(attrs={"rows": 4}),
    )


class RelatedQueryForm(forms.Form):
    """The raise form's fields the related-case lookup reads (all optional)."""

    title = forms.CharField(required=False, max_length=TITLE_MAX)
    customer = forms.IntegerField(required=False, min_value=1)
    product = forms.IntegerField(required=False, min_value=1)
    category = forms.IntegerField(required=False, min_value=1)
    case = forms.CharField(required=False, max_length=20)
