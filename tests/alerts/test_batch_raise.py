"""New keys of a batch raised together (``cases_raise_many``): one case each, their clocks and
keys as one by one, a bad event refused alone, and statements that do not grow with the
number of new keys."""

from __future__ import annotations

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from alerts.models import Action, AlertKey
from alerts.tokens import integration_token_create
from cases.models import Case, CaseEvent, EventKind, Severity, Source, Tier
from sla.models import CaseClock
from tests.alerts.conftest import Monitoring, trigger
from tests.factories import CustomerFactory
from tests.sla.factories import SlaPolicyFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def policies() -> None:
    for severity in Severity.values:
        SlaPolicyFactory(tier=Tier.STANDARD, severity=severity)


@time_machine.travel("2026-12-02 10:00 +00:00", tick=False)
def test_new_keys_of_a_batch_each_get_a_case_with_its_clocks_and_key(
    monitoring, datadog, acme, policies, service_desk
) -> None:
    results = monitoring.results(trigger("a"), trigger("b"), trigger("a"), trigger("c"))
    assert [r["outcome"] for r in results] == ["raised", "raised", "appended", "raised"]
    keys = {k.dedup_key: k for k in AlertKey.objects.select_related("case")}
    assert results[0]["case"] == results[2]["case"] == keys["a"].case.reference
    assert [keys[name].times_seen for name in "abc"] == [2, 1, 1]
    for key in keys.values():
        case = key.case
        assert (case.customer, case.team, case.source) == (acme, service_desk, Source.API)
        assert case.raised_by == datadog.integration.user
        assert key.last_action == Action.TRIGGER
        assert key.first_seen_at == key.noted_at == case.raised_at
        assert key.noted_times == 1
        assert CaseEvent.objects.filter(case=case, kind=EventKind.RAISED).count() == 1
        assert CaseClock.objects.filter(case=case).count() == 2  # response and resolution
        assert case.sla_breach_at is not None
    assert Case.objects.count() == 3


def test_an_event_the_case_services_refuse_is_refused_alone(service_desk, acme) -> None:
    issued = integration_token_create(source="Nagios", customer=None, team=service_desk)
    gone = CustomerFactory(name="Gone Ltd", is_active=False)
    results = Monitoring(issued.token).results(
        trigger("good", customer=acme.pk),
        trigger("nobody"),
        trigger("gone", customer=gone.pk),
        trigger("also-good", customer="Acme Corp"),
    )
    assert [r["outcome"] for r in results] == ["raised", "refused", "refused", "raised"]
    assert list(results[1]["errors"]) == ["customer"]
    assert results[2]["errors"] == {"customer": ["Gone Ltd is no longer an active customer."]}
    assert Case.objects.count() == 2
    refused = AlertKey.objects.get(dedup_key="gone")
    assert (refused.case, refused.times_seen) == (None, 0)
    # Posted again once the customer is back: the key raises its case then.
    gone.is_active = True
    gone.save()
    [again] = Monitoring(issued.token).results(trigger("gone", customer=gone.pk))
    assert again["outcome"] == "raised"


def test_the_statements_do_not_grow_with_the_number_of_new_keys(monitoring, policies) -> None:
    def statements(prefix: str, count: int) -> int:
        with CaptureQueriesContext(connection) as queries:
            monitoring.results(*[trigger(f"{prefix}-{n}") for n in range(count)])
        return len(queries)

    statements("warm", 1)
    # Past a few distinct values, the keys' UPDATE is one statement (escalation.bulk).
    assert statements("some", 10) == statements("many", 50) <= 20
