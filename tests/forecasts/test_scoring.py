"""Scoring: stored risks for the running clocks, one warning per clock cycle to the owner,
stale risks removed, a case scored on demand."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from cases.models import Case, Severity, Status
from escalation.roles import Role
from escalation.users import user_language_set
from forecasts.models import ClockRisk, RiskWarning
from forecasts.scoring import BREACHED_REASON, case_risks_score, risks_score_all
from forecasts.services import forecast_train
from forecasts.tasks import risks_score
from sla.models import CaseClock, Notification, NotificationKind
from tests.factories import CaseFactory, UserFactory
from tests.forecasts.conftest import history, running_clock, severity_decides
from tests.sla.factories import clock_stored

pytestmark = pytest.mark.django_db

MINUTE = timedelta(minutes=1)


@pytest.fixture
def trained(service_desk, settings):  # type: ignore[no-untyped-def]
    settings.FORECAST_RISK_PERCENT = 40
    history(count=500, breaches=severity_decides, team=service_desk)
    return forecast_train(now=timezone.now())


def like_history(**fields):  # type: ignore[no-untyped-def]
    """An open case of the history's customer, product and category."""
    past = Case.objects.filter(title__startswith="History").first()
    return CaseFactory(
        customer=past.customer, product=past.product, category=past.category, **fields
    )


def test_nothing_is_scored_before_the_first_training(alice, service_desk) -> None:  # type: ignore[no-untyped-def]
    clock_stored(
        CaseFactory(status=Status.IN_PROGRESS, team=service_desk), due_in=MINUTE, warn_in=MINUTE
    )

    result = risks_score_all(now=timezone.now())

    assert (result.scored, result.version) == (0, None) and not ClockRisk.objects.exists()


def test_scoring_stores_each_running_clocks_risk_and_warns_its_owner_once(
    alice, service_desk, trained
) -> None:  # type: ignore[no-untyped-def]
    risky = like_history(
        severity=Severity.S1, status=Status.IN_PROGRESS, team=service_desk, owner=alice
    )
    calm = like_history(
        severity=Severity.S4, status=Status.IN_PROGRESS, team=service_desk, owner=alice
    )
    risky_clock = running_clock(risky, share=0.75)
    running_clock(calm, share=0.25)

    first = risks_score_all(now=timezone.now())
    risks_score()  # the beat task: a second run

    risks = {risk.case_id: risk for risk in ClockRisk.objects.all()}
    assert first.scored == 2 and first.version == trained.version
    assert risks[risky.pk].probability >= 0.4 > risks[calm.pk].probability
    assert risks[risky.pk].reasons and risks[risky.pk].model_version == trained.version
    [warning] = RiskWarning.objects.all()
    assert (warning.clock_id, warning.cycle) == (risky_clock.pk, 1)
    [note] = Notification.objects.filter(recipient=alice)
    assert note.kind == NotificationKind.SLA_WARNING and note.case_id == risky.pk
    assert "likely to breach" in note.subject and note.body.startswith("Why: ")


def test_each_owner_reads_the_warning_in_their_language(alice, service_desk, trained) -> None:  # type: ignore[no-untyped-def]
    """One run warns alice, who chose Italian, of two clocks and dora, who reads the site's
    English, of one: each reads the subject and the reasons in their language, alice's
    breached clock too. Needs the Italian catalogue with this change's messages compiled."""
    dora = UserFactory(username="dora", role=Role.OPERATOR)
    user_language_set(user=alice, language="it")
    fields = {"severity": Severity.S1, "status": Status.IN_PROGRESS, "team": service_desk}
    hers, late, his = (like_history(owner=o, **fields) for o in (alice, alice, dora))
    running_clock(hers, share=0.75)
    clock_stored(late, due_in=-MINUTE, warn_in=-10 * MINUTE)
    running_clock(his, share=0.75)

    assert risks_score_all(now=timezone.now()).warned == 3

    notes = {n.case_id: n for n in Notification.objects.filter(kind=NotificationKind.SLA_WARNING)}
    stored = {risk.case_id: risk for risk in ClockRisk.objects.all()}
    percent = round(100 * stored[his.pk].probability)
    assert notes[his.pk].subject == f"{his.reference}: Resolution: {percent}% likely to breach"
    assert notes[his.pk].body == "Why: " + "; ".join(stored[his.pk].reasons) + "."
    percent = round(100 * stored[hers.pk].probability)
    assert notes[hers.pk].subject == (
        f"{hers.reference}: Soluzione: probabilità di violazione {percent}%"
    )
    # Stored in the language the scoring ran in; told in the owner's.
    assert stored[hers.pk].reasons == ["S1 with 75% of the target used"]
    assert notes[hers.pk].body == "Perché: S1 con il 75% del target già usato."
    assert notes[late.pk].body == "Perché: la scadenza è già passata."
    assert notes[late.pk].subject.endswith("Soluzione: probabilità di violazione 100%")


def test_a_new_cycle_of_a_clock_may_warn_again(alice, service_desk, trained) -> None:  # type: ignore[no-untyped-def]
    case = like_history(
        severity=Severity.S1, status=Status.IN_PROGRESS, team=service_desk, owner=alice
    )
    clock = running_clock(case, share=0.75)
    risks_score_all(now=timezone.now())
    CaseClock.objects.filter(pk=clock.pk).update(cycle=2)

    risks_score_all(now=timezone.now())

    assert sorted(RiskWarning.objects.values_list("cycle", flat=True)) == [1, 2]
    assert Notification.objects.filter(recipient=alice).count() == 2


def test_a_breached_clock_is_certain(service_desk, trained) -> None:  # type: ignore[no-untyped-def]
    case = CaseFactory(status=Status.IN_PROGRESS, team=service_desk)
    clock_stored(case, due_in=-MINUTE, warn_in=-10 * MINUTE)

    risks_score_all(now=timezone.now())

    risk = ClockRisk.objects.get()
    assert (risk.probability, risk.reasons) == (1.0, [BREACHED_REASON])


def test_risks_of_stopped_clocks_go_at_the_next_run(service_desk, trained) -> None:  # type: ignore[no-untyped-def]
    case = CaseFactory(severity=Severity.S2, status=Status.IN_PROGRESS, team=service_desk)
    clock = clock_stored(case, due_in=30 * MINUTE, warn_in=15 * MINUTE)
    risks_score_all(now=timezone.now())
    CaseClock.objects.filter(pk=clock.pk).update(stopped_at=timezone.now(), met=True)

    result = risks_score_all(now=timezone.now() + MINUTE)

    assert result.removed == 1 and not ClockRisk.objects.exists()


def test_one_case_is_scored_on_demand(service_desk, trained) -> None:  # type: ignore[no-untyped-def]
    case = CaseFactory(severity=Severity.S1, status=Status.IN_PROGRESS, team=service_desk)
    other = CaseFactory(severity=Severity.S1, status=Status.IN_PROGRESS, team=service_desk)
    clock_stored(case, due_in=30 * MINUTE, warn_in=15 * MINUTE)
    clock_stored(other, due_in=30 * MINUTE, warn_in=15 * MINUTE)

    result = case_risks_score(case_id=case.pk, now=timezone.now())

    assert result.scored == 1
    assert list(ClockRisk.objects.values_list("case_id", flat=True)) == [case.pk]
