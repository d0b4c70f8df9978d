"""The incidents' API: link affected cases to a major incident (``POST
/api/cases/<ref>/children/``), one outcome per reference."""

from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from cases.api.views import REFERENCE, CaseTriageApi, errors
from cases.models import Case
from escalation.access import signed_in
from escalation.errors import DomainError
from incidents.models import MajorIncident
from incidents.services import LINK_MAX, incident_link_many

LINKED, REFUSED = "linked", "refused"


class ChildrenInput(serializers.Serializer):
    children = serializers.ListField(
        child=serializers.CharField(max_length=20),
        min_length=1,
        max_length=LINK_MAX,
        help_text="The references of the affected cases, e.g. ESC-000123.",
    )


class ChildOutcome(serializers.Serializer):
    reference = serializers.CharField()
    outcome = serializers.ChoiceField(choices=[LINKED, REFUSED])
    error = serializers.CharField(allow_blank=True)


class ChildrenOutput(serializers.Serializer):
    parent = serializers.CharField()  # type: ignore[assignment]
    results = ChildOutcome(many=True)


class CaseChildrenApi(CaseTriageApi):
    """Link affected cases to this major incident (managers). Each reference is answered with
    its own outcome: a refused one (another incident's, the incident itself, a parent, a
    closed case, one you cannot see) refuses only itself."""

    @extend_schema(
        operation_id="cases_children_create",
        parameters=[REFERENCE],
        request=ChildrenInput,
        responses={200: ChildrenOutput, **errors(400, 401, 403, 404)},
    )
    def post(self, request: Request, reference: str) -> Response:
        case = self.case(reference)
        if not isinstance(request.data, dict):
            raise serializers.ValidationError({"non_field_errors": ["Send a JSON object."]})
        data = ChildrenInput(data=request.data)
        data.is_valid(raise_exception=True)
        incident = MajorIncident.objects.filter(case=case).select_related("case").first()
        if incident is None:
            raise DomainError(
                _("%(reference)s is not a major incident: declare it first.")
                % {"reference": case.reference}
            )
        refs: list[str] = data.validated_data["children"]
        result = incident_link_many(incident=incident, references=refs, by=signed_in(request))
        outcomes = []
        for ref in dict.fromkeys(r.strip() for r in refs if r.strip()):
            pk = Case.pk_from_reference(ref)
            shown = Case(pk=pk).reference if pk is not None else ref
            if shown in result.linked:
                outcomes.append({"reference": shown, "outcome": LINKED, "error": ""})
            else:
                why = result.refused.get(shown) or result.refused.get(ref, "Not linked.")
                outcomes.append({"reference": shown, "outcome": REFUSED, "error": why})
        return Response({"parent": case.reference, "results": outcomes})
