"""A customer writes to a case (cases.services.case_customer_message): the message on the
timeline with its files, a case waiting on the customer back in progress, the contact noted for
the update clock, ``CustomerReplied`` announced once; every refusal writes nothing. And the case
page and the API show the message to those who may see the case, and to no one else."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.urls import reverse

from cases import events
from cases.models import Attachment, Case, CaseEvent, CustomerChannel, EventKind, Status
from cases.services import case_customer_message
from cases.services.attachments import FILES_MAX
from cases.services.customer import CUSTOMER_REPLIED
from escalation.errors import DomainError
from escalation.text import TEXT_MAX
from tests.cases.factories import case_in
from tests.cases.web import media, page_text
from tests.conftest import client_for

pytestmark = pytest.mark.django_db
__all__ = ["media"]

NOON = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
PDF = ("report.pdf", "application/pdf", b"%PDF-1.4 the report")
LOG = ("trace.log", "text/x-log", b"Traceback: ...")


@pytest.fixture
def case(alice, service_desk) -> Case:  # type: ignore[no-untyped-def]
    return case_in(Status.WAITING, raised_by=alice, owner=alice, team=service_desk)


@pytest.fixture
def replies() -> Any:
    """The ``CustomerReplied`` events announced while the test runs."""
    heard: list[events.CustomerReplied] = []
    unsubscribe = events.subscribe(events.CustomerReplied, heard.append)
    yield heard
    unsubscribe()


def write(case: Case, **kwargs: Any) -> CaseEvent:
    kwargs.setdefault("sender", "pat@customer.example")
    kwargs.setdefault("body", "Here are the logs you asked for.")
    kwargs.setdefault("via", CustomerChannel.EMAIL)
    return case_customer_message(case=case, **kwargs)


def kinds(case: Case) -> list[str]:
    return list(case.events.values_list("kind", flat=True))


def stored_files(media: Path) -> list[Path]:
    return [p for p in media.rglob("*") if p.is_file()] if media.exists() else []


@time_machine.travel(NOON, tick=False)
def test_a_reply_to_a_case_waiting_on_the_customer_puts_it_back_in_progress(case, replies) -> None:
    message = write(case, message_id="<abc@customer.example>")

    case.refresh_from_db()
    assert case.status == Status.IN_PROGRESS
    assert case.last_customer_contact_at == NOON and case.updated_at == NOON
    assert kinds(case) == [EventKind.CUSTOMER_MESSAGE, EventKind.STATUS]
    assert (message.actor, message.body, message.to_value) == (
        None,
        "Here are the logs you asked for.",
        "pat@customer.example",
    )
    assert message.data == {
        "sender": "pat@customer.example",
        "via": "email",
        "message_id": "<abc@customer.example>",
        "at": NOON.isoformat(),
        "status": Status.WAITING,
        "cut": 0,
        "attachments": [],
    }
    status = case.events.get(kind=EventKind.STATUS)
    assert (status.actor, status.from_value, status.to_value, status.reason) == (
        None,
        Status.WAITING,
        Status.IN_PROGRESS,
        CUSTOMER_REPLIED,
    )
    [heard] = replies
    assert (heard.case.pk, heard.at, heard.event) == (case.pk, NOON, message)


def test_a_reply_to_a_case_in_progress_keeps_its_status(alice, service_desk, replies) -> None:
    case = case_in(Status.IN_PROGRESS, raised_by=alice, team=service_desk)
    write(case, via=CustomerChannel.STATUS_PAGE)
    case.refresh_from_db()
    assert case.status == Status.IN_PROGRESS
    assert kinds(case) == [EventKind.CUSTOMER_MESSAGE]
    assert case.last_customer_contact_at is not None and len(replies) == 1


def test_the_contact_moves_only_forward(case) -> None:
    with time_machine.travel(NOON, tick=False):
        write(case)
    with time_machine.travel(NOON + timedelta(hours=1), tick=False):
        # Written before the last contact (a mail that took its time to arrive).
        write(case, at=NOON - timedelta(hours=1))
    case.refresh_from_db()
    assert case.last_customer_contact_at == NOON


@time_machine.travel(NOON, tick=False)
def test_a_moment_in_the_future_counts_as_now(case) -> None:
    message = write(case, at=NOON + timedelta(days=3))
    case.refresh_from_db()
    assert case.last_customer_contact_at == NOON and message.data["at"] == NOON.isoformat()


def test_files_are_kept_as_attachments_sent_by_the_customer(case, media) -> None:
    message = write(case, attachments=[PDF, LOG])

    pdf, log = Attachment.objects.filter(case=case).order_by("id")
    assert (pdf.original_name, pdf.content_type, pdf.size, pdf.uploaded_by) == (
        "report.pdf",
        "application/pdf",
        len(PDF[2]),
        None,
    )
    assert log.content_type == "text/plain"  # the alias, stored under its canonical type
    assert pdf.file.read() == PDF[2]
    assert message.data["attachments"] == [
        {
            "id": a.pk,
            "token": a.token,
            "name": a.original_name,
            "size": a.size,
            "type": a.content_type,
        }
        for a in (pdf, log)
    ]
    # The message lists its files; no separate attachment events.
    assert EventKind.ATTACHMENT not in kinds(case)


def test_a_message_of_files_only_is_taken(case, media) -> None:
    message = write(case, body="  ", attachments=[PDF])
    assert message.body == "" and len(message.data["attachments"]) == 1


@pytest.mark.parametrize(
    ("attachment", "says"),
    [
        (("page.html", "text/html", b"<script>x</script>"), "are not accepted"),
        (("invoice.pdf.exe", "application/pdf", b"MZ"), "does not match its type"),
        (("empty.txt", "text/plain", b""), "The file is empty."),
    ],
)
def test_a_refused_file_refuses_the_whole_message_and_writes_nothing(
    case, media, replies, attachment, says
) -> None:
    with pytest.raises(DomainError, match=says):
        write(case, attachments=[PDF, attachment])
    case.refresh_from_db()
    assert case.status == Status.WAITING and case.last_customer_contact_at is None
    assert kinds(case) == [] and not Attachment.objects.exists()
    assert stored_files(media) == [] and replies == []


def test_a_file_over_the_upload_limit_is_refused(case, media, settings) -> None:
    settings.ATTACHMENT_MAX_BYTES = 10
    with pytest.raises(DomainError, match="too large"):
        write(case, attachments=[PDF])
    assert kinds(case) == [] and stored_files(media) == []


def test_more_files_than_an_upload_may_bring_are_refused(case, media) -> None:
    with pytest.raises(DomainError, match=f"at most {FILES_MAX} files"):
        write(case, attachments=[LOG] * (FILES_MAX + 1))
    assert kinds(case) == []


def test_a_closed_case_refuses_the_message_saying_why(alice, service_desk, replies) -> None:
    case = case_in(Status.CLOSED, raised_by=alice, team=service_desk)
    with pytest.raises(DomainError, match="is closed: it takes no more messages"):
        write(case)
    assert kinds(case) == [] and replies == []


def test_a_resolved_case_takes_the_message_but_keeps_its_status_and_clocks(
    alice, service_desk, replies
) -> None:
    case = case_in(Status.RESOLVED, raised_by=alice, team=service_desk)
    message = write(case, body="It broke again this morning.")
    case.refresh_from_db()
    assert case.status == Status.RESOLVED and case.last_customer_contact_at is None
    assert kinds(case) == [EventKind.CUSTOMER_MESSAGE]
    assert message.data["status"] == Status.RESOLVED and len(replies) == 1


def test_the_same_message_id_is_posted_once(case, media, replies) -> None:
    first = write(case, message_id="<once@customer.example>", attachments=[PDF])
    again = write(case, message_id="<once@customer.example>", attachments=[PDF])
    assert again == first
    assert kinds(case).count(EventKind.CUSTOMER_MESSAGE) == 1
    assert Attachment.objects.count() == 1 and len(stored_files(media)) == 1
    assert len(replies) == 1


def test_messages_without_a_message_id_are_all_posted(case) -> None:
    write(case)
    write(case)
    assert kinds(case).count(EventKind.CUSTOMER_MESSAGE) == 2


def test_a_long_message_is_shortened_with_a_note_rather_than_refused(case) -> None:
    body = "line\r\n" * 10_000  # 60,000 characters, 50,000 once the line ends are \n
    message = write(case, body=body)
    assert len(message.body) <= TEXT_MAX and "\r" not in message.body
    assert message.body.startswith("line\nline\n")
    assert message.body.endswith("more characters were cut.]")
    assert message.data["cut"] == len(body.replace("\r\n", "\n").strip()) - (TEXT_MAX - 100)


@pytest.mark.parametrize(
    ("change", "says"),
    [
        ({"body": "", "attachments": []}, "The message is empty."),
        ({"sender": "  "}, "Sender is required."),
        ({"sender": "pat@x.example\r\nBcc: all"}, "Sender contains a line break"),
        ({"via": "fax"}, "is not a way a customer writes"),
        ({"body": "bell \x07"}, "Message contains a control character"),
        ({"message_id": "<a>\n<b>"}, "Message-ID contains a line break"),
    ],
)
def test_bad_input_is_refused_before_anything_is_written(case, replies, change, says) -> None:
    with pytest.raises(DomainError, match=says):
        write(case, **change)
    assert kinds(case) == [] and replies == []


def test_a_subscriber_that_fails_rolls_back_the_message_and_its_files(case, media) -> None:
    class Refused(Exception):
        pass

    def refuse(event: events.CustomerReplied) -> None:
        raise Refused

    unsubscribe = events.subscribe(events.CustomerReplied, refuse)
    try:
        with pytest.raises(Refused):
            write(case, attachments=[PDF])
    finally:
        unsubscribe()
    case.refresh_from_db()
    assert case.status == Status.WAITING and case.last_customer_contact_at is None
    assert kinds(case) == [] and not Attachment.objects.exists()
    assert stored_files(media) == []


# --- Showing it ------------------------------------------------------------------------------


def test_the_case_page_shows_the_message_from_the_customer_with_its_files(
    alice, case, media
) -> None:
    write(case, body="Logs <attached>", attachments=[PDF])
    token = Attachment.objects.get().token

    html = page_text(client_for(alice).get(reverse("cases:detail", args=[case.reference])))

    assert "event-customer_message" in html and "from the customer" in html
    assert "pat@customer.example" in html and "By email" in html
    assert "Logs &lt;attached&gt;" in html
    download = reverse("cases:attachment", args=[case.reference, token])
    assert f'href="{download}"' in html and "report.pdf" in html
    assert client_for(alice).get(download).getvalue() == PDF[2]


def test_a_message_from_the_status_page_says_so(alice, case) -> None:
    write(case, via=CustomerChannel.STATUS_PAGE, sender="Pat (status page)")
    html = page_text(client_for(alice).get(reverse("cases:detail", args=[case.reference])))
    assert "By the status page" in html and "Pat (status page)" in html


def test_the_api_timeline_has_the_message(alice, case, media) -> None:
    write(case, attachments=[PDF])
    response = client_for(alice).get(reverse("cases_api:timeline", args=[case.reference]))
    assert response.status_code == 200
    body = response.json()
    rows = body["results"] if isinstance(body, dict) else body
    [message] = [r for r in rows if r["kind"] == EventKind.CUSTOMER_MESSAGE]
    assert message["actor"] is None and message["data"]["sender"] == "pat@customer.example"
    assert message["data"]["attachments"][0]["name"] == "report.pdf"
    detail = client_for(alice).get(reverse("cases_api:detail", args=[case.reference])).json()
    assert detail["attachments"][0]["uploaded_by"] is None
    assert detail["last_customer_contact_at"] is not None


def test_someone_who_may_not_see_the_case_sees_neither_message_nor_file(
    charlie, case, media
) -> None:
    write(case, body="Our secret config", attachments=[PDF])
    token = Attachment.objects.get().token
    client = client_for(charlie)
    assert client.get(reverse("cases:detail", args=[case.reference])).status_code == 404
    assert client.get(reverse("cases_api:timeline", args=[case.reference])).status_code == 404
    download = reverse("cases:attachment", args=[case.reference, token])
    assert client.get(download).status_code == 404
