"""Exactly one case per key when requests with the same new key race (real threads, each with
its own PostgreSQL connection)."""

from __future__ import annotations

import pytest

from alerts.models import AlertKey
from cases.models import Case
from tests.alerts.conftest import Monitoring, trigger
from tests.threads import in_threads


@pytest.mark.django_db(transaction=True)
def test_concurrent_requests_with_the_same_new_keys_raise_one_case_per_key(datadog) -> None:
    keys = [f"race-{n}" for n in range(5)]
    outcomes: list[str] = []

    def post() -> None:
        results = Monitoring(datadog.token).results(*[trigger(k) for k in keys])
        outcomes.extend(r["outcome"] for r in results)

    assert in_threads(*[post] * 4) == []
    assert Case.objects.count() == len(keys)
    assert sorted(outcomes) == sorted(["raised"] * 5 + ["appended"] * 15)
    assert sorted(AlertKey.objects.values_list("times_seen", flat=True)) == [4] * 5
