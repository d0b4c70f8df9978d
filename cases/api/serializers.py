"""API shapes: what each endpoint reads (inputs) and answers (outputs). Inputs validate types,
lengths and ids; the services decide what is allowed."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib.auth.models import User
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework import serializers

from cases.models import (
    Attachment,
    Case,
    CaseEvent,
    CaseLink,
    Category,
    Contact,
    Customer,
    Impact,
    Level,
    LinkKind,
    Product,
    RootCause,
    Severity,
    Status,
    Team,
)
from cases.models.case import TITLE_MAX
from cases.services import TAGS_MAX
from escalation.text import REASON_MAX, TEXT_MAX
from escalation.users import display_name

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

# Some fields below share a name with a Field/Serializer attribute (label, source, data,
# errors): DRF's metaclass pops declared fields off the class, so only the type checker
# minds, hence their "type: ignore[assignment]".


# --- Outputs -------------------------------------------------------------------------------


class PersonSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    username = serializers.CharField(read_only=True)
    name = serializers.SerializerMethodField()

    def get_name(self, user: User) -> str:
        return display_name(user)


class NamedSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(read_only=True)


class TeamSerializer(serializers.ModelSerializer):
    class Meta:
        model = Team
        fields = ["id", "name", "level"]


class CustomerBriefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Customer
        fields = ["id", "name", "tier"]


class ContactSerializer(serializers.ModelSerializer):
    class Meta:
        model = Contact
        fields = ["id", "name", "email", "phone"]


class CustomerSerializer(serializers.ModelSerializer):
    contacts = ContactSerializer(many=True, read_only=True)
    account_manager = PersonSerializer(read_only=True, allow_null=True)

    class Meta:
        model = Customer
        fields = ["id", "name", "tier", "account_manager", "contacts"]


class ProductSerializer(serializers.ModelSerializer):
    class Meta:
        model = Product
        fields = ["id", "name"]


class CategorySerializer(serializers.ModelSerializer):
    specialist_team = TeamSerializer(read_only=True, allow_null=True)

    class Meta:
        model = Category
        fields = ["id", "name", "specialist_team"]


class RootCauseSerializer(serializers.ModelSerializer):
    label = serializers.CharField(source="__str__", read_only=True)  # type: ignore[assignment]

    class Meta:
        model = RootCause
        fields = ["id", "name", "parent", "label"]


class CaseListSerializer(serializers.ModelSerializer):
    """One queue row."""

    reference = serializers.CharField(read_only=True)
    customer = CustomerBriefSerializer(read_only=True)
    product = ProductSerializer(read_only=True, allow_null=True)
    category = NamedSerializer(read_only=True, allow_null=True)
    team = TeamSerializer(read_only=True, allow_null=True)
    owner = PersonSerializer(read_only=True, allow_null=True)
    tags: serializers.SlugRelatedField = serializers.SlugRelatedField(
        slug_field="name", many=True, read_only=True
    )
    # The major incident this case is part of (its parent's reference), or null.
    parent = serializers.SerializerMethodField()  # type: ignore[assignment]

    def get_parent(self, case: Case) -> str | None:
        return Case(pk=case.parent_id).reference if case.parent_id is not None else None

    class Meta:
        model = Case
        fields = [
            "reference",
            "title",
            "status",
            "severity",
            "impact",
            "level",
            "customer",
            "product",
            "category",
            "team",
            "owner",
            "tags",
            "raised_at",
            "next_due_at",
            "updated_at",
            "parent",
        ]


class AttachmentSerializer(serializers.ModelSerializer):
    # None: the customer sent it (by email or on the status page).
    uploaded_by = PersonSerializer(read_only=True, allow_null=True)

    class Meta:
        model = Attachment
        fields = ["id", "original_name", "content_type", "size", "uploaded_by", "uploaded_at"]


class LinkSerializer(serializers.ModelSerializer):
    source = serializers.CharField(source="source.reference", read_only=True)  # type: ignore[assignment]
    target = serializers.CharField(source="target.reference", read_only=True)

    class Meta:
        model = CaseLink
        fields = ["id", "kind", "source", "target", "created_at"]


class CaseDetailSerializer(CaseListSerializer):
    """The whole case. Text is returned exactly as typed: the API renders no HTML."""

    contact = ContactSerializer(read_only=True, allow_null=True)
    raised_by = PersonSerializer(read_only=True)
    root_cause = RootCauseSerializer(read_only=True, allow_null=True)
    attachments = AttachmentSerializer(many=True, read_only=True)
    links_out = LinkSerializer(many=True, read_only=True)
    links_in = LinkSerializer(many=True, read_only=True)

    class Meta(CaseListSerializer.Meta):
        fields = [
            *CaseListSerializer.Meta.fields,
            "description",
            "tried",
            "contact",
            "source",
            "raised_by",
            "first_response_at",
            "last_customer_update_at",
            "last_customer_contact_at",
            "resolved_at",
            "closed_at",
            "resolution_summary",
            "root_cause",
            "reopen_count",
            "attachments",
            "links_out",
            "links_in",
        ]


class EventSerializer(serializers.ModelSerializer):
    actor = PersonSerializer(read_only=True, allow_null=True)
    data = serializers.DictField(read_only=True)  # type: ignore[assignment]

    class Meta:
        model = CaseEvent
        fields = [
            "id",
            "created_at",
            "kind",
            "actor",
            "from_value",
            "to_value",
            "reason",
            "body",
            "data",
        ]


class ErrorSerializer(serializers.Serializer):
    """Every error answer: a message, and for invalid input the messages of each field."""

    detail = serializers.CharField()
    errors = serializers.DictField(  # type: ignore[assignment]
        child=serializers.ListField(child=serializers.CharField()), required=False
    )


# --- Inputs --------------------------------------------------------------------------------


def _active(model: Any) -> Any:
    return model.objects.filter(is_active=True)


class TagsField(serializers.ListField):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(
            child=serializers.CharField(max_length=50, allow_blank=False),
            max_length=TAGS_MAX,
            **kwargs,
        )


class RejectUnknownFieldsMixin:
    """Refuse keys the endpoint does not take, instead of silently ignoring them: a client
    that PATCHes ``severity`` must learn it went nowhere."""

    refused_hint: dict[str, StrOrPromise] = {}

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        initial = getattr(self, "initial_data", None)
        if isinstance(initial, dict):
            unknown = sorted(set(initial) - set(self.fields))  # type: ignore[attr-defined]
            if unknown:
                raise serializers.ValidationError(
                    {
                        name: [self.refused_hint.get(name, _("This field cannot be changed here."))]
                        for name in unknown
                    }
                )
        return super().validate(attrs)  # type: ignore[misc]


class CaseCreateInput(RejectUnknownFieldsMixin, serializers.Serializer):
    customer = serializers.PrimaryKeyRelatedField(queryset=_active(Customer))
    contact = serializers.PrimaryKeyRelatedField(
        queryset=Contact.objects.all(), required=False, allow_null=True
    )
    product = serializers.PrimaryKeyRelatedField(
        queryset=_active(Product), required=False, allow_null=True
    )
    category = serializers.PrimaryKeyRelatedField(
        queryset=_active(Category), required=False, allow_null=True
    )
    team = serializers.PrimaryKeyRelatedField(
        queryset=_active(Team), required=False, allow_null=True
    )
    title = serializers.CharField(max_length=TITLE_MAX)
    description = serializers.CharField(max_length=TEXT_MAX)
    tried = serializers.CharField(max_length=TEXT_MAX, required=False, allow_blank=True)
    severity = serializers.ChoiceField(choices=Severity.choices)
    impact = serializers.ChoiceField(choices=Impact.choices, default=Impact.SINGLE_USER)
    tags = TagsField(required=False)

    refused_hint = {
        "status": gettext_lazy("A case starts as new; change its status afterwards."),
        "owner": gettext_lazy("Assign with POST .../assign/ once the case is raised."),
    }

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        attrs = super().validate(attrs)
        contact, customer = attrs.get("contact"), attrs.get("customer")
        if contact is not None and customer is not None and contact.customer_id != customer.pk:
            raise serializers.ValidationError(
                {
                    "contact": [
                        _("%(contact)s is not a contact of %(customer)s.")
                        % {"contact": contact.name, "customer": customer.name}
                    ]
                }
            )
        return attrs


class CaseUpdateInput(RejectUnknownFieldsMixin, serializers.Serializer):
    title = serializers.CharField(max_length=TITLE_MAX, required=False)
    description = serializers.CharField(max_length=TEXT_MAX, required=False)
    impact = serializers.ChoiceField(choices=Impact.choices, required=False)
    category = serializers.PrimaryKeyRelatedField(
        queryset=_active(Category), required=False, allow_null=True
    )
    product = serializers.PrimaryKeyRelatedField(
        queryset=_active(Product), required=False, allow_null=True
    )
    tags = TagsField(required=False)

    refused_hint = {
        "severity": gettext_lazy("Change the severity with POST .../severity/ and a reason."),
        "status": gettext_lazy(
            "Change the status with POST .../status/ (or resolve, reopen, close)."
        ),
        "owner": gettext_lazy("Assign with POST .../assign/ and a reason."),
        "team": gettext_lazy("Assign with POST .../assign/ and a reason."),
    }


class AssignInput(serializers.Serializer):
    owner = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.filter(is_active=True), required=False, allow_null=True
    )
    team = serializers.PrimaryKeyRelatedField(
        queryset=_active(Team), required=False, allow_null=True
    )
    level = serializers.ChoiceField(choices=Level.choices, required=False, allow_null=True)
    unassign = serializers.BooleanField(
        default=False,
        help_text=gettext_lazy(
            "No owner: the case goes back to its team's queue (or to ``team``'s)."
        ),
    )
    reason = serializers.CharField(max_length=REASON_MAX)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs.get("unassign") and attrs.get("owner"):
            raise serializers.ValidationError(
                {"owner": [_("Choose an owner or no owner (unassign), not both.")]}
            )
        if not any(attrs.get(name) for name in ("owner", "team", "level", "unassign")):
            raise serializers.ValidationError({"owner": [_("Choose an owner, a team or a level.")]})
        return attrs


SET_STATUS_CHOICES = [(s.value, s.label) for s in Status.WORKING]


class StatusInput(serializers.Serializer):
    status = serializers.ChoiceField(
        choices=SET_STATUS_CHOICES,
        help_text=gettext_lazy("Resolve, reopen and close have their own endpoints."),
    )
    reason = serializers.CharField(max_length=REASON_MAX, required=False, allow_blank=True)


class SeverityInput(serializers.Serializer):
    severity = serializers.ChoiceField(choices=Severity.choices)
    reason = serializers.CharField(max_length=REASON_MAX)


class NoteInput(serializers.Serializer):
    body = serializers.CharField(max_length=TEXT_MAX)
    customer_facing = serializers.BooleanField(
        default=False,
        help_text=gettext_lazy("A customer-facing update instead of an internal note."),
    )


class LinkInput(serializers.Serializer):
    target = serializers.CharField(
        max_length=20, help_text=gettext_lazy("The other case's reference.")
    )
    kind = serializers.ChoiceField(choices=LinkKind.choices)


class MergeInput(serializers.Serializer):
    into = serializers.CharField(
        max_length=20, help_text=gettext_lazy("The reference of the case this one duplicates.")
    )
    reason = serializers.CharField(max_length=REASON_MAX)


class ResolveInput(serializers.Serializer):
    summary = serializers.CharField(max_length=TEXT_MAX)
    # Causes only: a group (a row with causes under it, such as "Process") is not a cause.
    root_cause = serializers.PrimaryKeyRelatedField(
        queryset=_active(RootCause).filter(children__isnull=True),
        error_messages={
            "does_not_exist": gettext_lazy(
                "No active root cause {pk_value}: choose a cause, not its group."
            )
        },
    )


class ReopenInput(serializers.Serializer):
    reason = serializers.CharField(max_length=REASON_MAX)
