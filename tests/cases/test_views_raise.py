"""Raising an escalation in the browser: the form, its HTMX helpers and every refusal."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from cases.models import Attachment, Case, CaseEvent, EventKind, Severity, Status
from tests.cases.web import HX, media, page_text
from tests.conftest import client_for
from tests.factories import CaseFactory, ContactFactory, CustomerFactory, ProductFactory

pytestmark = pytest.mark.django_db
__all__ = ["media"]

RAISE = reverse("cases:raise")


@pytest.fixture
def acme():  # type: ignore[no-untyped-def]
    return CustomerFactory(name="Acme Retail")


@pytest.fixture
def webshop():  # type: ignore[no-untyped-def]
    return ProductFactory(name="Webshop")


def valid(customer, product=None, **overrides):  # type: ignore[no-untyped-def]
    data = {
        "customer": customer.pk,
        "product": product.pk if product else "",
        "severity": Severity.S2,
        "impact": "site",
        "title": "Checkout fails with error 502",
        "description": "Every order stops at the payment step.",
        "tried": "Cleared the cache.",
    }
    data.update(overrides)
    return data


def test_operator_sees_the_raise_form(alice) -> None:
    response = client_for(alice).get(RAISE)
    assert response.status_code == 200
    text = page_text(response)
    for label in ("Customer", "Contact", "Product", "Category", "Severity", "Impact", "Title"):
        assert f">{label}" in text
    assert 'hx-trigger="keyup changed delay:400ms from:#id_title' in text
    assert 'enctype="multipart/form-data"' in text


def test_executive_and_no_role_are_refused_the_raise_form(erin, nora) -> None:
    assert client_for(erin).get(RAISE).status_code == 403
    assert client_for(nora).get(RAISE).status_code == 403
    assert client_for(erin).post(RAISE, {}).status_code == 403


def test_anonymous_visitor_is_sent_to_log_in() -> None:
    from django.test import Client

    response = Client().get(RAISE)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_operator_raises_a_case_and_lands_on_its_page_with_a_message(
    alice, acme, webshop, service_desk
) -> None:
    response = client_for(alice).post(RAISE, valid(acme, webshop), follow=True)
    case = Case.objects.get()
    assert response.redirect_chain == [(reverse("cases:detail", args=[case.reference]), 302)]
    assert f"Escalation {case.reference} raised." in page_text(response)
    assert (case.raised_by, case.customer, case.product, case.team) == (
        alice,
        acme,
        webshop,
        service_desk,
    )
    assert (case.status, case.severity, case.tried) == (Status.NEW, "S2", "Cleared the cache.")
    assert CaseEvent.objects.filter(case=case, kind=EventKind.RAISED).count() == 1


def test_a_manager_may_raise_too(bob, acme, service_desk) -> None:
    response = client_for(bob).post(RAISE, valid(acme))
    assert response.status_code == 302
    assert Case.objects.get().raised_by == bob


def test_missing_fields_are_shown_in_the_page_and_the_input_is_kept(alice, acme) -> None:
    response = client_for(alice).post(
        RAISE, {"customer": acme.pk, "title": "Half a report", "severity": ""}
    )
    assert response.status_code == 200
    form = response.context["form"]
    assert set(form.errors) == {"severity", "impact", "description"}
    text = page_text(response)
    assert "The escalation was not raised." in text
    assert 'value="Half a report"' in text
    assert 'aria-invalid="true"' in text
    assert not Case.objects.exists()


def test_an_oversized_title_is_refused_in_the_page(alice, acme) -> None:
    response = client_for(alice).post(RAISE, valid(acme, title="x" * 201))
    assert response.status_code == 200
    assert "at most 200 characters" in str(response.context["form"].errors["title"])
    assert not Case.objects.exists()


@pytest.mark.parametrize("customer", ["999999", "abc", "-1", "1 OR 1=1", "9" * 40])
def test_an_unknown_customer_is_refused_in_the_page(alice, acme, customer) -> None:
    response = client_for(alice).post(RAISE, {**valid(acme), "customer": customer})
    assert response.status_code == 200
    assert response.context["form"].errors["customer"] == ["Choose a customer from the list."]
    assert not Case.objects.exists()


def test_a_contact_of_another_customer_is_refused(alice, acme) -> None:
    stranger = ContactFactory(customer=CustomerFactory(name="Other Ltd"))
    response = client_for(alice).post(RAISE, valid(acme, contact=stranger.pk))
    assert response.status_code == 200
    assert "contact" in response.context["form"].errors
    assert not Case.objects.exists()


def test_a_contact_of_the_customer_is_kept(alice, acme, service_desk) -> None:
    contact = ContactFactory(customer=acme, name="Dana")
    client_for(alice).post(RAISE, valid(acme, contact=contact.pk))
    assert Case.objects.get().contact == contact


def test_attachments_are_stored_with_a_safe_name(alice, acme, service_desk, media) -> None:
    files = [
        SimpleUploadedFile("../../etc/<b>passwd</b>.txt", b"root:x:0:0", "text/plain"),
        SimpleUploadedFile("screen.png", b"\x89PNG fake", "image/png"),
    ]
    response = client_for(alice).post(RAISE, {**valid(acme), "attachments": files})
    assert response.status_code == 302
    names = sorted(Attachment.objects.values_list("original_name", flat=True))
    assert len(names) == 2
    assert "screen.png" in names
    hostile = next(n for n in names if n != "screen.png")
    assert "/" not in hostile and "<" not in hostile and ".." not in hostile


def test_a_file_of_a_refused_type_is_an_error_in_the_page(alice, acme, media) -> None:
    page = SimpleUploadedFile("evil.html", b"<script>alert(1)</script>", "text/html")
    response = client_for(alice).post(RAISE, {**valid(acme), "attachments": [page]})
    assert response.status_code == 200
    assert "text/html are not accepted" in str(response.context["form"].errors["attachments"])
    assert not Case.objects.exists()
    assert not Attachment.objects.exists()


def test_an_oversized_file_is_an_error_in_the_page(alice, acme, media, settings) -> None:
    settings.ATTACHMENT_MAX_BYTES = 10
    big = SimpleUploadedFile("big.txt", b"x" * 11, "text/plain")
    response = client_for(alice).post(RAISE, {**valid(acme), "attachments": [big]})
    assert response.status_code == 200
    assert "big.txt" in str(response.context["form"].errors["attachments"])
    assert not Case.objects.exists()


def test_choosing_a_customer_loads_only_its_contacts(alice, acme) -> None:
    ContactFactory(customer=acme, name="Dana Acme")
    ContactFactory(customer=CustomerFactory(name="Other Ltd"), name="Olaf Other")
    url = reverse("cases:raise_contacts")
    response = client_for(alice).get(url, {"customer": acme.pk}, **HX)
    assert response.status_code == 200
    text = page_text(response)
    assert 'id="contact-field"' in text
    assert "Dana Acme" in text and "Olaf Other" not in text


@pytest.mark.parametrize("customer", ["", "nope", "999999"])
def test_contacts_for_an_unknown_customer_are_an_empty_list(alice, customer) -> None:
    response = client_for(alice).get(reverse("cases:raise_contacts"), {"customer": customer})
    assert response.status_code == 200
    assert page_text(response).count("<option") == 1


def test_contacts_are_refused_to_an_executive(erin, acme) -> None:
    response = client_for(erin).get(reverse("cases:raise_contacts"), {"customer": acme.pk})
    assert response.status_code == 403


def test_open_cases_of_the_same_customer_and_product_are_hinted_as_duplicates(
    alice, acme, webshop, service_desk
) -> None:
    hinted = CaseFactory(
        customer=acme, product=webshop, title="Checkout is down", team=service_desk
    )
    CaseFactory(customer=acme, product=webshop, status=Status.RESOLVED, team=service_desk)
    other_customer = CaseFactory(product=webshop, team=service_desk)
    url = reverse("cases:raise_duplicates")
    response = client_for(alice).get(
        url, {"customer": acme.pk, "product": webshop.pk, "title": "checkout"}, **HX
    )
    assert response.status_code == 200
    assert [c.pk for c in response.context["duplicates"]] == [hinted.pk]
    text = page_text(response)
    assert "Possible duplicates" in text and hinted.reference in text
    assert other_customer.reference not in text


def test_duplicate_hints_leave_out_cases_the_operator_may_not_see(alice, acme, other_team) -> None:
    CaseFactory(customer=acme, team=other_team)
    response = client_for(alice).get(reverse("cases:raise_duplicates"), {"customer": acme.pk})
    assert response.context["duplicates"] == []
    assert "Possible duplicates" not in page_text(response)


@pytest.mark.parametrize("query", [{}, {"customer": "x"}, {"customer": "1", "product": "<b>"}])
def test_duplicate_hints_for_nonsense_input_are_empty_not_an_error(alice, query) -> None:
    response = client_for(alice).get(reverse("cases:raise_duplicates"), query)
    assert response.status_code == 200
    assert response.context["duplicates"] == []


def test_a_refused_raise_still_shows_the_duplicate_hints(alice, acme, service_desk) -> None:
    hinted = CaseFactory(customer=acme, team=service_desk)
    response = client_for(alice).post(RAISE, valid(acme, title=""))
    assert response.status_code == 200
    assert hinted.reference in page_text(response)
