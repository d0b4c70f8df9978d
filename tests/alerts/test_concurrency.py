"""Exactly one case per key when requests with the same new key race (real threads, each with
its own PostgreSQL connection)."""

from __future__ import annotations

from collections.abc import Callable

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


@pytest.mark.django_db(transaction=True)
def test_overlapping_batches_of_new_keys_in_any_order_raise_one_case_each(datadog) -> None:
    keys = [f"storm-{n}" for n in range(12)]
    orders = [keys, keys[::-1], keys[4:] + keys[:4], keys[::2] + keys[1::2]]
    raised: list[str] = []

    def poster(order: list[str]) -> Callable[[], None]:
        def post() -> None:
            results = Monitoring(datadog.token).results(*[trigger(k) for k in order])
            raised.extend(r["dedup_key"] for r in results if r["outcome"] == "raised")

        return post

    assert in_threads(*[poster(order) for order in orders]) == []
    assert sorted(raised) == sorted(keys)
    assert Case.objects.count() == len(keys)
    assert set(AlertKey.objects.values_list("times_seen", flat=True)) == {len(orders)}
    pointed = AlertKey.objects.values_list("case", flat=True)
    assert len(set(pointed)) == len(keys)
