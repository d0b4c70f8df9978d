"""Languages: a user's choice in the profile, the browser's otherwise; customers' mail in their
contact's language; dates and numbers in the active language's formats.

Personas of tests/conftest.py: alice (operator, service desk), bob (manager), nora (no role).
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.translation import gettext

from cases.models import Case, Status
from cases.services import case_add_note
from cases.templatetags.case_display import stamp
from comms.models import CaseCc
from escalation.errors import DomainError
from escalation.models import UserPreference
from escalation.text import text_clean
from escalation.users import user_language, user_language_set, users_languages
from sla.models import OutgoingMail
from tests.cases.factories import case_in
from tests.conftest import client_for
from tests.factories import ContactFactory

pytestmark = pytest.mark.django_db

PROFILE = "/accounts/profile/"


def italian(message: str) -> str:
    """``message`` in the Italian catalogue; refuses a message the catalogue lacks, so that a
    test comparing pages with it cannot pass on English text."""
    with translation.override("it"):
        translated = gettext(message)
    assert translated != message, f"no Italian for {message!r} in locale/it"
    return translated


@pytest.fixture
def case(service_desk, alice) -> Case:  # type: ignore[no-untyped-def]
    return case_in(Status.IN_PROGRESS, team=service_desk, owner=alice, title="Checkout fails")


# --- The profile ---------------------------------------------------------------------------


def test_the_profile_offers_english_italian_and_the_browsers_language(alice) -> None:
    page = client_for(alice).get(PROFILE).content.decode()
    assert 'value="it"' in page and 'value="en-gb"' in page
    assert "Italiano" in page and "Browser default" in page
    assert 'value="" checked' in page  # no choice yet: the browser's


def test_choosing_italian_in_the_profile_turns_the_pages_italian(alice, case: Case) -> None:
    client = client_for(alice)
    response = client.post(PROFILE, {"language": "it"}, follow=True)
    assert response.redirect_chain == [(PROFILE, 302)]
    assert UserPreference.objects.get(user=alice).language == "it"
    page = response.content.decode()
    assert italian("Your language is saved.") in page
    assert '<html lang="it">' in page
    assert 'value="it" checked' in page
    detail = client.get(reverse("cases:detail", args=[case.reference])).content.decode()
    assert italian("Timeline") in detail and italian("SLA clocks") in detail


def test_a_language_not_offered_is_refused_in_the_page(alice) -> None:
    client = client_for(alice)
    response = client.post(PROFILE, {"language": "fr"})
    assert response.status_code == 400
    assert "Select a valid choice" in response.content.decode()
    assert not UserPreference.objects.filter(user=alice).exists()


def test_the_service_refuses_a_language_not_offered(alice) -> None:
    with pytest.raises(DomainError) as refused:
        user_language_set(user=alice, language="fr")
    assert refused.value.field == "language"
    assert user_language_set(user=alice, language="it").language == "it"
    assert user_language_set(user=alice, language="").language == ""
    assert UserPreference.objects.filter(user=alice).count() == 1


def test_the_profile_is_for_everyone_signed_in_and_nobody_else(nora) -> None:
    assert client_for(nora).get(PROFILE).status_code == 200
    response = Client().get(PROFILE)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


# --- Which language a page is in -----------------------------------------------------------


def test_a_user_who_chose_italian_gets_it_at_the_next_login_whatever_the_browser(
    bob, case: Case
) -> None:
    user_language_set(user=bob, language="it")
    client = client_for(bob)  # a new session: the login puts the choice in it
    page = client.get(reverse("cases:queue"), HTTP_ACCEPT_LANGUAGE="en-GB,en").content.decode()
    assert f'<h1 class="h3 mb-0">{italian("Triage queue")}</h1>' in page
    assert italian("Owner / team") in page  # the table's headers too
    assert "Checkout fails" in page  # what people wrote stays as written


def test_a_user_who_chose_english_gets_it_from_an_italian_browser(alice) -> None:
    user_language_set(user=alice, language="en-gb")
    page = client_for(alice).get(reverse("cases:mine"), HTTP_ACCEPT_LANGUAGE="it")
    assert '<h1 class="h3 mb-0">My escalations</h1>' in page.content.decode()
    assert page["Content-Language"] == "en-gb"


def test_without_a_choice_the_browsers_language_decides(alice) -> None:
    client = client_for(alice)
    italian_page = client.get(reverse("cases:mine"), HTTP_ACCEPT_LANGUAGE="it-IT,it;q=0.9")
    assert italian("My escalations") in italian_page.content.decode()
    assert italian_page["Content-Language"] == "it"
    english = client.get(reverse("cases:mine"), HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert english["Content-Language"] == "en-gb"
    assert client.get(reverse("cases:mine"))["Content-Language"] == "en-gb"  # the site default


def test_lang_in_the_address_asks_for_one_page_in_that_language() -> None:
    page = Client().get("/accounts/login/?lang=it").content.decode()
    assert italian("Log in") in page and '<html lang="it">' in page
    assert "Log in" in Client().get("/accounts/login/?lang=xx").content.decode()


def test_the_apis_error_messages_follow_the_language(alice) -> None:
    user_language_set(user=alice, language="it")
    response = client_for(alice).get("/api/cases/ESC-999999/")
    assert response.status_code == 404
    assert response.json()["detail"] == italian("No such case.")
    refused = client_for(alice).post("/api/cases/", {"title": ""}, content_type="application/json")
    assert refused.status_code == 400
    assert refused.json()["detail"] == italian("Invalid input.")


def test_the_staff_mail_language_is_the_recipients_choice(alice, bob, nora) -> None:
    user_language_set(user=alice, language="it")
    assert user_language(alice) == "it"
    assert user_language(bob) == "en-gb"  # no choice: the site's default
    assert user_language(None) == "en-gb"
    assert users_languages([alice.pk, bob.pk, nora.pk]) == {
        alice.pk: "it",
        bob.pk: "en-gb",
        nora.pk: "en-gb",
    }


# --- Customers' mail -----------------------------------------------------------------------


def test_an_italian_contact_gets_an_italian_update_and_an_english_one_english(
    case: Case, alice, django_capture_on_commit_callbacks
) -> None:
    case.contact = ContactFactory(
        customer=case.customer, email="ana@customer.example", language="it"
    )
    case.save(update_fields=["contact"])
    english = ContactFactory(customer=case.customer, email="bo@customer.example")
    CaseCc.objects.create(case=case, contact=english, added_at=timezone.now())
    with django_capture_on_commit_callbacks(execute=True):
        case_add_note(case=case, by=alice, body="Fixed tonight.", customer_facing=True)
    mails = {m.to: m for m in OutgoingMail.objects.all()}
    reply = "You can also simply reply to this email."
    assert italian(reply) in mails["ana@customer.example"].body
    assert reply not in mails["ana@customer.example"].body
    assert reply in mails["bo@customer.example"].body
    assert "Fixed tonight." in mails["ana@customer.example"].body  # the update as written


# --- Dates and numbers ---------------------------------------------------------------------


@pytest.mark.parametrize("language", ["en-gb", "it"])
def test_case_page_moments_are_the_date_filters_in_every_language(language: str) -> None:
    moments = [datetime(2026, month, 2, 8, 5, tzinfo=UTC) for month in range(1, 13)]
    with translation.override(language):
        for moment in moments:
            expected = formats.date_format(timezone.localtime(moment), "D j M Y, H:i")
            assert stamp(moment) == expected


def test_an_italian_moment_has_italian_names() -> None:
    monday = datetime(2026, 3, 2, 8, 5, tzinfo=UTC)
    with translation.override("en-gb"):
        assert stamp(monday) == "Mon 2 Mar 2026, 09:05"
    with translation.override("it"):
        assert stamp(monday) == "Lun 2 Mar 2026, 09:05"
        assert stamp(datetime(2026, 12, 2, 8, 5, tzinfo=UTC)) == "Mer 2 Dic 2026, 09:05"


def test_numbers_in_messages_follow_the_locale() -> None:
    with translation.override("en-gb"), pytest.raises(DomainError) as english:
        text_clean("x" * 20_001, field="body", label="The note", max_length=20_000)
    assert str(english.value.message) == (
        "The note is too long (20,001 characters; at most 20,000)."
    )
    with translation.override("it"), pytest.raises(DomainError) as italian_error:
        text_clean("x" * 20_001, field="body", label="La nota", max_length=20_000)
    assert "20.001" in italian_error.value.message and "20.000" in italian_error.value.message
