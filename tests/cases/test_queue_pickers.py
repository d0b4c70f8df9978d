"""The queue's pickers: the filter form's customer, team, product and category lists come from
one query and offer what they offered before (with "Any" and "No team"); the bulk bar's team
and owner lists are not read with the page but fetched when the bar is opened."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.conftest import client_for
from tests.factories import CategoryFactory, CustomerFactory, ProductFactory, TeamFactory

pytestmark = pytest.mark.django_db

QUEUE = reverse("cases:queue")
PICKERS = reverse("cases:bulk_pickers")


def options(html: str, name: str) -> list[tuple[str, str, bool]]:
    """(value, label, selected) of each option of the <select name=name>."""
    select = re.search(rf'<select name="{name}"[^>]*>(.*?)</select>', html, re.S)
    assert select, f"no select {name}"
    return [
        (value, label.strip(), "selected" in attrs)
        for value, attrs, label in re.findall(
            r'<option value="([^"]*)"([^>]*)>([^<]*)</option>', select.group(1)
        )
    ]


def test_the_filter_pickers_offer_any_no_team_and_the_rows_by_name(bob, service_desk) -> None:
    zeta, acme = CustomerFactory(name="Zeta"), CustomerFactory(name="Acme")
    ProductFactory(name="Portal")
    CategoryFactory(name="Outage")
    billing = TeamFactory(name="Billing")
    html = client_for(bob).get(QUEUE, {"team": service_desk.pk}).content.decode()
    assert options(html, "team") == [
        ("", "Any", False),
        ("none", "No team", False),
        (str(billing.pk), "Billing", False),
        (str(service_desk.pk), "Service desk", True),
    ]
    assert options(html, "customer") == [
        ("", "Any", True),
        (str(acme.pk), "Acme", False),
        (str(zeta.pk), "Zeta", False),
    ]
    assert [label for _, label, _ in options(html, "product")] == ["Any", "Portal"]
    assert [label for _, label, _ in options(html, "category")] == ["Any", "Outage"]


def test_the_four_filter_pickers_are_one_query(bob) -> None:
    CustomerFactory(name="Acme")
    with CaptureQueriesContext(connection) as captured:
        client_for(bob).get(QUEUE)
    reads = [q["sql"] for q in captured if 'FROM "cases_customer"' in q["sql"]]
    assert len(reads) == 1 and "UNION ALL" in reads[0]


def test_the_queue_page_reads_no_bulk_picker(bob, alice) -> None:
    html = client_for(bob).get(QUEUE).content.decode()
    assert 'name="bulk-team"' not in html and 'name="bulk-owner"' not in html
    assert f'hx-get="{PICKERS}"' in html


def test_the_bulk_pickers_are_fetched_with_htmx(bob, alice, service_desk) -> None:
    html = client_for(bob).get(PICKERS, headers={"HX-Request": "true"}).content.decode()
    assert (str(service_desk.pk), "Service desk", False) in options(html, "bulk-team")
    assert (str(alice.pk), "Alice", False) in options(html, "bulk-owner")


def test_without_htmx_the_bulk_pickers_send_the_manager_to_the_queue(bob) -> None:
    response = client_for(bob).get(PICKERS)
    assert response.status_code == 302 and response["Location"] == QUEUE


def test_an_executive_and_an_operator_are_refused_the_bulk_pickers(erin, alice) -> None:
    for user in (erin, alice):
        assert client_for(user).get(PICKERS, headers={"HX-Request": "true"}).status_code == 403
