"""The customer's status page: a signed, expiring, revocable link per case, no login, nothing
internal, replies through the cases service, rate-limited."""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.core import signing
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from cases.models import Case, CaseEvent, CustomerChannel, EventKind, Severity, Status
from cases.services import case_add_note, case_customer_message
from comms.models import StatusLink
from comms.status_links import (
    SALT,
    StatusLinkError,
    case_for_status_token,
    status_link_revoke,
    status_token_for,
    status_url_for,
)
from sla.models import CaseClock, ClockKind
from tests.conftest import client_for
from tests.factories import CaseFactory, ContactFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _own_rate_counters(settings: Any, tmp_path: Any) -> None:
    """Each test counts requests in a cache of its own (the project's Redis cache is shared by
    every test of the run, and its broker lives there too: nothing here flushes it)."""
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": f"status-page-{uuid.uuid4()}",
        }
    }
    settings.MEDIA_ROOT = tmp_path / "media"


def case_with_contact(**kwargs: Any) -> Case:
    contact = ContactFactory(email="pat@customer.example")
    return CaseFactory(customer=contact.customer, contact=contact, **kwargs)


def page_url(token: str) -> str:
    return reverse("status:page", kwargs={"token": token})


def page(token: str, client: Client | None = None):  # type: ignore[no-untyped-def]
    return (client or Client()).get(page_url(token))


def reply(token: str, client: Client | None = None, **data: Any):  # type: ignore[no-untyped-def]
    """Open the page (for its CSRF cookie) and post the reply form, as the browser does."""
    client = client or Client(enforce_csrf_checks=True)
    opened = client.get(page_url(token))
    csrf = opened.cookies["csrftoken"].value
    return client.post(page_url(token), {"csrfmiddlewaretoken": csrf, **data})


def swap_payload(token: str, payload: dict[str, Any]) -> str:
    """``token`` with another payload but the original timestamp and signature (no re-signing:
    what someone without the secret key can do)."""
    _old, stamp, signature = token.rsplit(":", 2)
    raw = json.dumps(payload, separators=(",", ":")).encode()
    body = base64.urlsafe_b64encode(raw).decode().rstrip("=")
    return f"{body}:{stamp}:{signature}"


# --- The link ------------------------------------------------------------------------------


def test_the_url_is_absolute_and_every_link_of_a_case_shares_its_nonce(settings: Any) -> None:
    case = case_with_contact()
    url = status_url_for(case)
    assert url.startswith(settings.SITE_URL + "/status/")
    status_url_for(case)
    assert StatusLink.objects.filter(case=case).count() == 1
    assert case_for_status_token(url.rsplit("/status/", 1)[1].strip("/")) == case


def test_the_database_keeps_one_live_link_per_case() -> None:
    case = case_with_contact()
    status_url_for(case)
    with pytest.raises(IntegrityError), transaction.atomic():
        StatusLink.objects.create(case=case, nonce="second", created_at=timezone.now())


def test_the_link_opens_the_page_without_a_login_and_shows_status_and_severity() -> None:
    case = case_with_contact(severity=Severity.S2, status=Status.IN_PROGRESS)
    response = page(status_token_for(case))
    assert response.status_code == 200
    html = response.content.decode()
    assert case.reference in html and case.title in html
    assert "In progress" in html and "S2 High" in html
    assert "no-store" in response["Cache-Control"]


def test_the_page_shows_updates_and_customer_messages_never_internal_notes(bob: Any) -> None:
    case = case_with_contact(status=Status.IN_PROGRESS)
    case_add_note(case=case, by=bob, body="Vendor ticket 4711 opened.", customer_facing=True)
    case_add_note(case=case, by=bob, body="INTERNAL: customer is on a payment plan.")
    case_customer_message(
        case=case, sender="pat@customer.example", body="Still failing here.", via="email"
    )
    html = page(status_token_for(case)).content.decode()
    assert "Vendor ticket 4711 opened." in html
    assert "Still failing here." in html and "pat@customer.example" in html
    assert "payment plan" not in html and "INTERNAL" not in html
    # The description and the raiser's account of what was tried are internal too.
    assert case.description not in html
    # Oldest first.
    assert html.index("Vendor ticket 4711") < html.index("Still failing here.")


def test_the_page_escapes_what_it_shows(bob: Any) -> None:
    case = case_with_contact(title="<b>Checkout</b> fails", status=Status.IN_PROGRESS)
    case_add_note(case=case, by=bob, body="<script>alert(1)</script>", customer_facing=True)
    html = page(status_token_for(case)).content.decode()
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;" in html
    assert "<b>Checkout</b>" not in html


def test_the_next_update_due_comes_from_the_running_update_clock() -> None:
    case = case_with_contact(status=Status.IN_PROGRESS)
    now = timezone.now()
    due = now + timedelta(hours=2)
    CaseClock.objects.create(
        case=case,
        kind=ClockKind.UPDATE,
        target_seconds=7200,
        started_at=now,
        due_at=due,
        warn_at=now + timedelta(hours=1),
    )
    html = page(status_token_for(case)).content.decode()
    assert f'datetime="{timezone.localtime(due).isoformat()}"' in html

    Case.objects.filter(pk=case.pk).update(status=Status.WAITING)
    assert "We are waiting for your reply." in page(status_token_for(case)).content.decode()


# --- Refused links -------------------------------------------------------------------------


def test_a_tampered_link_is_refused_with_400() -> None:
    token = status_token_for(case_with_contact())
    changed = token[:-1] + ("A" if token[-1] != "A" else "B")
    response = page(changed)
    assert response.status_code == 400
    assert "not valid" in response.content.decode()
    assert page("not-a-token").status_code == 400


def test_a_link_for_case_a_never_shows_case_b() -> None:
    case_a, case_b = case_with_contact(), case_with_contact()
    token = status_token_for(case_a)
    nonce = StatusLink.objects.get(case=case_a).nonce
    # Case B's id put in A's payload, the signature left as it was: the signature fails.
    forged = swap_payload(token, {"c": case_b.pk, "n": nonce})
    response = page(forged)
    assert response.status_code == 400
    assert case_b.reference not in response.content.decode()
    # Even correctly signed, A's nonce opens no other case than A.
    resigned = signing.dumps({"c": case_b.pk, "n": nonce}, salt=SALT)
    assert page(resigned).status_code == 400
    # A survey link (another salt) is no status link either.
    assert (
        page(signing.dumps({"c": case_a.pk, "n": nonce}, salt="reviews.satisfaction")).status_code
        == 400
    )


def test_an_expired_link_is_refused_with_410(settings: Any) -> None:
    case = case_with_contact()
    token = status_token_for(case)
    later = timezone.now() + timedelta(days=settings.COMMS_STATUS_LINK_DAYS, minutes=1)
    with time_machine.travel(later):
        response = page(token)
        assert response.status_code == 410
        assert "expired" in response.content.decode()
        # A link signed now (the next update's mail) works again.
        assert page(status_token_for(case)).status_code == 200
    with time_machine.travel(later - timedelta(minutes=2)):
        assert page(token).status_code == 200


def test_a_revoked_link_says_it_is_no_longer_valid_and_the_new_one_works(bob: Any) -> None:
    case = case_with_contact()
    old = status_token_for(case)
    status_link_revoke(case=case, by=bob)
    response = page(old)
    assert response.status_code == 410
    assert "no longer valid" in response.content.decode()
    assert page(status_token_for(case)).status_code == 200
    links = list(StatusLink.objects.filter(case=case))
    assert [link.revoked_by for link in links] == [bob, None]


def test_a_refused_link_raises_an_error_that_says_why() -> None:
    with pytest.raises(StatusLinkError) as error:
        case_for_status_token("nonsense")
    assert error.value.status == 400


# --- Replies -------------------------------------------------------------------------------


def test_a_reply_lands_on_the_timeline_through_the_service() -> None:
    case = case_with_contact(status=Status.WAITING)
    token = status_token_for(case)
    response = reply(token, body="Here is the log you asked for.")
    assert response.status_code == 302 and response["Location"] == page_url(token)
    message = CaseEvent.objects.get(case=case, kind=EventKind.CUSTOMER_MESSAGE)
    assert message.body == "Here is the log you asked for."
    assert message.data["via"] == CustomerChannel.STATUS_PAGE
    assert message.data["sender"] == "pat@customer.example"
    case.refresh_from_db()
    assert case.status == Status.IN_PROGRESS
    html = page(token).content.decode()
    assert "Here is the log you asked for." in html


def test_a_reply_with_a_file_keeps_the_file_on_the_case() -> None:
    case = case_with_contact(status=Status.IN_PROGRESS)
    log = SimpleUploadedFile("app.log", b"502 at 10:02\n", content_type="text/plain")
    assert reply(status_token_for(case), body="Log attached.", attachments=log).status_code == 302
    message = CaseEvent.objects.get(case=case, kind=EventKind.CUSTOMER_MESSAGE)
    assert [a["name"] for a in message.data["attachments"]] == ["app.log"]
    assert case.attachments.get().original_name == "app.log"
    assert "app.log" in page(status_token_for(case)).content.decode()


def test_a_file_of_a_forbidden_type_is_refused_with_a_form_error() -> None:
    case = case_with_contact(status=Status.IN_PROGRESS)
    page_html = SimpleUploadedFile("x.html", b"<script>1</script>", content_type="text/html")
    response = reply(status_token_for(case), body="See attached.", attachments=page_html)
    assert response.status_code == 400
    assert "text/html are not accepted" in response.content.decode()
    assert not CaseEvent.objects.filter(case=case, kind=EventKind.CUSTOMER_MESSAGE).exists()
    assert not case.attachments.exists()


def test_an_empty_reply_is_refused_with_a_form_error() -> None:
    case = case_with_contact(status=Status.IN_PROGRESS)
    response = reply(status_token_for(case), body="   ")
    assert response.status_code == 400
    assert "Write a message or attach a file." in response.content.decode()


def test_a_closed_case_takes_no_reply_and_says_so() -> None:
    case = case_with_contact(status=Status.CLOSED)
    token = status_token_for(case)
    assert "takes no more messages" in page(token).content.decode()
    response = reply(token, body="Hello?")
    assert response.status_code == 400
    assert not CaseEvent.objects.filter(case=case, kind=EventKind.CUSTOMER_MESSAGE).exists()


def test_a_reply_without_the_csrf_token_is_refused() -> None:
    case = case_with_contact(status=Status.IN_PROGRESS)
    client = Client(enforce_csrf_checks=True)
    response = client.post(page_url(status_token_for(case)), {"body": "Hi"})
    assert response.status_code == 403
    assert not CaseEvent.objects.filter(case=case, kind=EventKind.CUSTOMER_MESSAGE).exists()


def test_a_revoked_link_takes_no_reply(bob: Any) -> None:
    case = case_with_contact(status=Status.IN_PROGRESS)
    token = status_token_for(case)
    client = Client(enforce_csrf_checks=True)
    csrf = client.get(page_url(token)).cookies["csrftoken"].value
    status_link_revoke(case=case, by=bob)
    response = client.post(page_url(token), {"csrfmiddlewaretoken": csrf, "body": "Hi"})
    assert response.status_code == 410
    assert not CaseEvent.objects.filter(case=case, kind=EventKind.CUSTOMER_MESSAGE).exists()


# --- Rate limits ---------------------------------------------------------------------------


@pytest.fixture
def window_start() -> Iterator[None]:
    """The clock stands at the start of an hour, so a test's requests share one window of the
    fixed-window counters (a test that ran across a minute boundary would start a new one)."""
    start = timezone.now().replace(minute=0, second=0, microsecond=0) + timedelta(seconds=1)
    with time_machine.travel(start, tick=False):
        yield


def test_one_address_asking_too_often_gets_429(settings: Any, window_start: None) -> None:
    settings.COMMS_STATUS_PAGE_PER_MINUTE = 3
    token = status_token_for(case_with_contact())
    client = Client(REMOTE_ADDR="203.0.113.7")
    assert [page(token, client).status_code for _ in range(3)] == [200, 200, 200]
    refused = page(token, client)
    assert refused.status_code == 429
    assert "Too many requests" in refused.content.decode()
    # The window began a second ago (window_start): it ends in 59 s.
    assert refused["Retry-After"] == "59"
    # Guessing links counts too; another address is still served (another case's link: this
    # case's link has had its 3 requests of the minute as well).
    assert page("guess", client).status_code == 429
    other = status_token_for(case_with_contact())
    assert page(other, Client(REMOTE_ADDR="198.51.100.9")).status_code == 200
    # The next minute is a new window.
    with time_machine.travel(timezone.now() + timedelta(minutes=1)):
        assert page(token, client).status_code == 200


def test_one_case_asked_for_too_often_from_many_addresses_gets_429(
    settings: Any, window_start: None
) -> None:
    settings.COMMS_STATUS_PAGE_PER_MINUTE = 2
    token = status_token_for(case_with_contact())
    codes = [page(token, Client(REMOTE_ADDR=f"203.0.113.{n}")).status_code for n in range(3)]
    assert codes == [200, 200, 429]
    assert (
        page(status_token_for(case_with_contact()), Client(REMOTE_ADDR="203.0.113.9")).status_code
        == 200
    )


def test_too_many_replies_in_an_hour_get_429_and_post_nothing_more(
    settings: Any, window_start: None
) -> None:
    settings.COMMS_STATUS_REPLIES_PER_HOUR = 2
    case = case_with_contact(status=Status.IN_PROGRESS)
    token = status_token_for(case)
    codes = [reply(token, body=f"Message {n}").status_code for n in range(3)]
    assert codes == [302, 302, 429]
    assert CaseEvent.objects.filter(case=case, kind=EventKind.CUSTOMER_MESSAGE).count() == 2


def test_the_limit_counts_in_the_projects_redis_cache(settings: Any, window_start: None) -> None:
    """The production backend (Redis, when REDIS_URL is set) counts the same way; the address
    and case are this test's own, so the shared counters of other tests do not matter."""
    if not settings.REDIS_URL:
        pytest.skip("REDIS_URL is not set")
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": settings.REDIS_URL,
            # This run's counters only: case ids repeat from one test database to the next.
            "KEY_PREFIX": f"test-{uuid.uuid4()}",
        }
    }
    settings.COMMS_STATUS_PAGE_PER_MINUTE = 2
    token = status_token_for(case_with_contact())
    client = Client(REMOTE_ADDR=f"2001:db8::{uuid.uuid4().hex[:4]}")
    assert [page(token, client).status_code for _ in range(3)] == [200, 200, 429]


def test_the_page_is_served_when_the_cache_is_down(settings: Any) -> None:
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
            "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2},
        }
    }
    assert page(status_token_for(case_with_contact())).status_code == 200


# --- The managers' panel on the case page --------------------------------------------------


def panel_url(case: Case) -> str:
    return reverse("status:link_panel", kwargs={"reference": case.reference})


def new_link_url(case: Case) -> str:
    return reverse("status:link_new", kwargs={"reference": case.reference})


def test_the_case_page_fetches_the_panel_for_managers_only(bob: Any, alice: Any) -> None:
    case = case_with_contact(raised_by=alice)
    detail = reverse("cases:detail", kwargs={"reference": case.reference})
    assert panel_url(case) in client_for(bob).get(detail).content.decode()
    assert panel_url(case) not in client_for(alice).get(detail).content.decode()


def test_a_manager_sees_the_current_link_and_revokes_it(bob: Any) -> None:
    case = case_with_contact()
    old = status_token_for(case)
    manager = client_for(bob)
    panel = manager.get(panel_url(case)).content.decode()
    assert "Revoke and issue a new link" in panel and "/status/" in panel
    response = manager.post(new_link_url(case), HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert "no longer work" in response.content.decode()
    assert page(old).status_code == 410
    assert page(status_token_for(case)).status_code == 200


def test_without_htmx_revoking_returns_to_the_case_page(bob: Any) -> None:
    case = case_with_contact()
    response = client_for(bob).post(new_link_url(case))
    assert response.status_code == 302
    assert response["Location"] == reverse("cases:detail", kwargs={"reference": case.reference})


def test_operators_executives_and_strangers_cannot_revoke(alice: Any, erin: Any) -> None:
    case = case_with_contact(raised_by=alice)
    token = status_token_for(case)
    for user in (alice, erin):
        assert client_for(user).post(new_link_url(case)).status_code == 403
        assert client_for(user).get(panel_url(case)).status_code == 403
    anonymous = Client().post(new_link_url(case))
    assert anonymous.status_code == 302 and "/accounts/login/" in anonymous["Location"]
    assert page(token).status_code == 200


def test_the_panel_of_a_case_that_does_not_exist_is_404(bob: Any) -> None:
    assert client_for(bob).get("/status/cases/ESC-999999/link/").status_code == 404
