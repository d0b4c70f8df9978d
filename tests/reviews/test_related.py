"""Likely related cases: same customer and product or category lately, and similar titles.

Similar titles: on PostgreSQL every test runs twice, with pg_trgm and with the word matching
other databases use, so both find what a person would call alike."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from escalation.roles import Role, has_role
from reviews.selectors import (
    cases_recurring,
    cases_similar,
    related,
    related_for_case,
    related_for_draft,
)
from reviews.selectors.related import text_words
from tests.factories import CaseFactory, CategoryFactory, CustomerFactory, ProductFactory
from tests.portable import FAST, PATHS, PORTABLE, take_portable_path

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True, params=PATHS)
def similarity(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    if request.param == PORTABLE:
        take_portable_path(monkeypatch, related)
    return str(request.param)


def ago(days: float):  # type: ignore[no-untyped-def]
    return timezone.now() - timedelta(days=days)


def test_similar_titles_come_first_and_unrelated_ones_not_at_all(bob) -> None:
    vpn = CaseFactory(title="VPN connection drops every hour")
    vpn2 = CaseFactory(title="VPN connection drops after login")
    CaseFactory(title="Invoice totals are wrong")
    found = cases_similar(viewer=bob, text="VPN connection drops every hour for sales")
    assert found[:2] == [vpn, vpn2]
    assert all("VPN" in c.title for c in found)


def test_similarity_ignores_letter_case(bob) -> None:
    case = CaseFactory(title="Printer queue stuck on floor three")
    assert cases_similar(viewer=bob, text="PRINTER QUEUE STUCK") == [case]


def test_similar_cases_can_be_limited_to_one_customer_and_exclude_a_case(bob) -> None:
    acme, globex = CustomerFactory(name="Acme"), CustomerFactory(name="Globex")
    own = CaseFactory(title="Mailbox quota exceeded for finance", customer=acme)
    other = CaseFactory(title="Mailbox quota exceeded for finance team", customer=acme)
    CaseFactory(title="Mailbox quota exceeded for finance", customer=globex)
    found = cases_similar(viewer=bob, text=own.title, customer_id=acme.pk, exclude_id=own.pk)
    assert found == [other]


def test_short_or_empty_text_finds_nothing(bob) -> None:
    CaseFactory(title="ab")
    assert cases_similar(viewer=bob, text="") == []
    assert cases_similar(viewer=bob, text="ab") == []


def test_the_limit_is_respected(bob) -> None:
    for n in range(8):
        CaseFactory(title=f"Payroll export fails in run {n}")
    assert len(cases_similar(viewer=bob, text="Payroll export fails", limit=3)) == 3


def test_text_words_drop_noise_words_and_duplicates() -> None:
    assert text_words("The VPN issue: vpn drops, and drops again!") == ["again", "drops", "vpn"]


def test_recurring_cases_share_customer_and_product_or_category_in_the_last_30_days(bob) -> None:
    acme = CustomerFactory(name="Acme")
    product, category = ProductFactory(name="Payroll"), CategoryFactory(name="Access")
    same_product = CaseFactory(customer=acme, product=product, raised_at=ago(3))
    same_category = CaseFactory(customer=acme, category=category, raised_at=ago(10))
    CaseFactory(customer=acme, raised_at=ago(1))  # other product and category
    CaseFactory(customer=acme, product=product, raised_at=ago(31))  # too old
    CaseFactory(product=product, raised_at=ago(1))  # another customer
    found = cases_recurring(
        viewer=bob, customer_id=acme.pk, product_id=product.pk, category_id=category.pk
    )
    assert found == [same_product, same_category]


def test_without_product_and_category_nothing_recurs(bob) -> None:
    acme = CustomerFactory()
    CaseFactory(customer=acme)
    assert cases_recurring(viewer=bob, customer_id=acme.pk) == []


def test_related_for_a_case_lists_each_case_once(bob) -> None:
    acme = CustomerFactory(name="Acme")
    product = ProductFactory(name="Payroll")
    case = CaseFactory(title="Payroll export fails", customer=acme, product=product)
    twin = CaseFactory(title="Payroll export fails again", customer=acme, product=product)
    lookalike = CaseFactory(title="Payroll export fails at night", customer=acme)
    CaseFactory(title="Payroll export fails at night")  # another customer's
    related = related_for_case(case=case, viewer=bob)
    assert related.same_customer == [twin]
    assert related.similar == [lookalike]
    assert case not in related.same_customer + related.similar


def test_an_operator_sees_only_related_cases_they_may_see(alice, service_desk, other_team) -> None:
    acme = CustomerFactory(name="Acme")
    product = ProductFactory(name="Payroll")
    mine = CaseFactory(
        title="Payroll export fails", customer=acme, product=product, team=service_desk
    )
    theirs = CaseFactory(
        title="Payroll export fails", customer=acme, product=product, team=other_team
    )
    related = related_for_draft(
        viewer=alice, title="Payroll export fails", customer_id=acme.pk, product_id=product.pk
    )
    shown = related.same_customer + related.similar
    assert mine in shown and theirs not in shown


def test_the_raise_form_compares_titles_within_the_chosen_customer_else_everywhere(bob) -> None:
    acme, globex = CustomerFactory(name="Acme"), CustomerFactory(name="Globex")
    own = CaseFactory(title="Mailbox quota exceeded", customer=acme)
    other = CaseFactory(title="Mailbox quota exceeded", customer=globex)
    chosen = related_for_draft(viewer=bob, title="Mailbox quota exceeded", customer_id=acme.pk)
    assert chosen.similar == [own] and chosen.similar_one_customer
    anyone = related_for_draft(viewer=bob, title="Mailbox quota exceeded", customer_id=None)
    assert anyone.similar == [other] and anyone.similar[0].similar_count == 2
    assert not anyone.similar_one_customer


def test_a_person_without_a_role_sees_no_related_cases(nora) -> None:
    CaseFactory(title="Payroll export fails")
    assert not related_for_draft(viewer=nora, title="Payroll export fails", customer_id=None)


def test_similar_lookup_costs_two_queries_however_many_results(
    bob, django_assert_num_queries
) -> None:
    for n in range(12):
        CaseFactory(title=f"Backup job failed on server {n}")
    has_role(bob, Role.MANAGER)  # roles are read once per request and cached; warm them
    with django_assert_num_queries(2):
        found = cases_similar(viewer=bob, text="Backup job failed", limit=10)
        assert len(found) == 10
        assert [c.customer.name for c in found]  # customer, product, category came along


def test_a_repeated_title_shows_once_as_its_newest_case_with_its_count(bob) -> None:
    for days in (9, 5, 2):
        newest = CaseFactory(title="Email service: down after maintenance", raised_at=ago(days))
    [found] = cases_similar(viewer=bob, text="Email service down after maintenance")
    assert found == newest
    assert found.similar_count == 3


def test_only_cases_raised_in_the_last_30_days_are_compared(bob) -> None:
    CaseFactory(title="Payroll export fails", raised_at=ago(31))
    recent = CaseFactory(title="Payroll export fails", raised_at=ago(29))
    found = cases_similar(viewer=bob, text="Payroll export fails")
    assert found == [recent] and found[0].similar_count == 1


@pytest.mark.skipif(connection.vendor != "postgresql", reason="pg_trgm is PostgreSQL only")
@pytest.mark.parametrize("similarity", [FAST])
def test_postgresql_finds_misspelt_titles_by_trigram(bob, similarity: str) -> None:
    case = CaseFactory(title="Certificate expired on the web shop")
    assert cases_similar(viewer=bob, text="Certifcate expird on webshop") == [case]


@pytest.mark.skipif(FAST not in PATHS, reason="only PostgreSQL has two ways to compare titles")
@pytest.mark.parametrize("similarity", [FAST])
def test_trigrams_and_shared_words_rank_plainly_alike_titles_the_same(
    bob, similarity: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    for days, title in [
        (9, "Printer queue stuck on floor three"),
        (5, "Printer queue stuck on floor three"),
        (3, "Printer queue stuck"),
        (1, "Invoice totals are wrong"),
    ]:
        CaseFactory(title=title, raised_at=ago(days))

    def ranked() -> list[tuple[int, int]]:
        found = cases_similar(viewer=bob, text="Printer queue stuck on floor three")
        return [(c.pk, c.similar_count) for c in found]  # type: ignore[attr-defined]

    by_trigrams = ranked()
    take_portable_path(monkeypatch, related)
    assert ranked() == by_trigrams
    assert [count for _, count in by_trigrams] == [2, 1]
