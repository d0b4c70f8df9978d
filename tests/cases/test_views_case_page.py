"""The case page: who sees it, what it shows, the timeline, downloads and the query budget."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cases.models import CaseEvent, EventKind, LinkKind, RootCause, Severity, Status, Tier
from cases.services import (
    case_acknowledge,
    case_add_attachment,
    case_add_note,
    case_change_severity,
    case_link,
    case_raise,
    case_resolve,
    case_set_status,
    case_set_watching,
)
from sla.models import ClockLedgerEntry
from tests.cases.factories import case_in, root_cause
from tests.cases.web import HX, media, page_text
from tests.conftest import client_for
from tests.factories import CaseFactory, CustomerFactory
from tests.sla.factories import SlaPolicyFactory

pytestmark = pytest.mark.django_db
__all__ = ["media"]

XSS = "<script>alert(1)</script>"


def detail(case) -> str:  # type: ignore[no-untyped-def]
    return reverse("cases:detail", args=[case.reference])


def related_panel(case) -> str:  # type: ignore[no-untyped-def]
    return reverse("cases:related", args=[case.reference])


@pytest.fixture
def case(alice, service_desk):  # type: ignore[no-untyped-def]
    return case_in(
        Status.IN_PROGRESS,
        raised_by=alice,
        team=service_desk,
        customer=CustomerFactory(name="Acme Retail", tier="premium"),
        title="Checkout fails with error 502",
        tried="Restarted the pod.",
    )


@pytest.fixture
def other_case(charlie, other_team):  # type: ignore[no-untyped-def]
    return case_in(Status.NEW, raised_by=charlie, team=other_team)


def test_operator_sees_her_teams_case_with_everything_on_it(alice, case) -> None:
    response = client_for(alice).get(detail(case))
    assert response.status_code == 200
    text = page_text(response)
    for expected in (
        case.reference,
        "Checkout fails with error 502",
        "Acme Retail",
        "Premium",
        "S3 Medium",
        "In progress",
        "Service desk",
        "Restarted the pod.",
        "Timeline",
        "Watchers",
        "Attachments",
        "Related cases",
    ):
        assert expected in text, expected
    # The related cases are a panel the page fetches when it loads.
    assert f'hx-get="{related_panel(case)}"' in text
    assert "Related cases" in page_text(client_for(alice).get(related_panel(case), **HX))


def test_operator_is_refused_another_teams_case_with_404(alice, other_case) -> None:
    assert client_for(alice).get(detail(other_case)).status_code == 404


def test_operator_sees_a_case_she_raised_for_another_team(alice, other_team) -> None:
    case = case_in(Status.NEW, raised_by=alice, team=other_team)
    assert client_for(alice).get(detail(case)).status_code == 200


@pytest.mark.parametrize("reference", ["ESC-999999", "nonsense", "ESC-", "0", "ESC-1%00"])
def test_an_unknown_reference_is_404(bob, reference) -> None:
    assert client_for(bob).get(f"/cases/{reference}/").status_code == 404


def test_manager_sees_every_case_with_the_action_forms(bob, other_case) -> None:
    response = client_for(bob).get(detail(other_case))
    assert response.status_code == 200
    text = page_text(response)
    assert "Manage this case" in text
    assert reverse("cases:acknowledge", args=[other_case.reference]) in text
    # The assign form is folded: fetched when opened, from a link the page holds.
    form_url = reverse("cases:action_form", args=[other_case.reference, "assign"])
    assert form_url in text
    opened = page_text(client_for(bob).get(form_url, **HX))
    assert reverse("cases:assign", args=[other_case.reference]) in opened


def test_executive_reads_the_case_without_any_action_form(erin, case) -> None:
    response = client_for(erin).get(detail(case))
    assert response.status_code == 200
    text = page_text(response)
    assert "Manage this case" not in text
    assert '<form method="post"' not in text.split('id="main"')[1].split("</main>")[0]
    assert "your role does not change cases" in text


def test_operator_gets_the_note_form_but_not_the_manager_actions(alice, case) -> None:
    text = page_text(client_for(alice).get(detail(case)))
    assert reverse("cases:note", args=[case.reference]) in text
    assert "Manage this case" not in text
    assert reverse("cases:assign", args=[case.reference]) not in text


def test_no_role_is_refused_and_anonymous_is_sent_to_log_in(nora, case, client) -> None:
    assert client_for(nora).get(detail(case)).status_code == 403
    response = client.get(detail(case))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_user_text_is_shown_as_text_never_run(alice, bob, service_desk) -> None:
    case = case_in(
        Status.IN_PROGRESS,
        raised_by=alice,
        team=service_desk,
        title=f"Title {XSS}",
        description=f"Description {XSS}",
        tried=f"Tried {XSS}",
    )
    case_add_note(case=case, by=bob, body=f"Note {XSS}")
    text = page_text(client_for(alice).get(detail(case)))
    assert XSS not in text
    assert text.count("&lt;script&gt;alert(1)&lt;/script&gt;") >= 4


def test_timeline_runs_oldest_first_and_marks_internal_notes(alice, bob, case) -> None:
    case_add_note(case=case, by=bob, body="Looking at the proxy logs")
    case_add_note(case=case, by=bob, body="We are on it", customer_facing=True)
    response = client_for(alice).get(detail(case))
    events = list(response.context["events"])
    assert [e.kind for e in events] == [EventKind.NOTE, EventKind.UPDATE]
    text = page_text(response)
    assert text.index("Looking at the proxy logs") < text.index("We are on it")
    note_item = text.split(f'id="event-{events[0].pk}"')[1].split("</li>")[0]
    assert ">internal</span>" in note_item
    update_item = text.split(f'id="event-{events[1].pk}"')[1].split("</li>")[0]
    assert "internal" not in update_item and "visible to customer" in update_item
    assert 'class="event event-note"' in text and 'class="event event-update"' in text


def test_timeline_can_run_newest_first(alice, bob, case) -> None:
    case_add_note(case=case, by=bob, body="first")
    case_add_note(case=case, by=bob, body="second")
    text = page_text(client_for(alice).get(detail(case) + "?order=newest"))
    assert text.index("second") < text.index("first")


def test_the_timeline_alone_comes_back_for_htmx_and_redirects_without(alice, bob, case) -> None:
    case_add_note(case=case, by=bob, body="first")
    case_add_note(case=case, by=bob, body="second")
    url = reverse("cases:timeline", args=[case.reference])
    response = client_for(alice).get(url + "?order=newest", **HX)
    text = page_text(response)
    assert text.startswith('\n<section id="case-timeline"') or 'id="case-timeline"' in text
    assert "<html" not in text
    assert text.index("second") < text.index("first")
    plain = client_for(alice).get(url + "?order=newest")
    assert plain.status_code == 302 and plain["Location"] == detail(case) + "?order=newest"


def test_timeline_of_another_teams_case_is_404(alice, other_case) -> None:
    url = reverse("cases:timeline", args=[other_case.reference])
    assert client_for(alice).get(url, **HX).status_code == 404


def test_related_cases_and_links_are_listed(alice, bob, case, service_desk) -> None:
    target = case_in(Status.NEW, raised_by=alice, team=service_desk, title="Payments down")
    case_link(case=case, by=bob, target=target, kind=LinkKind.CAUSED_BY)
    response = client_for(alice).get(related_panel(case), **HX)
    text = page_text(response)
    related = text.split('id="related-heading"')[1]
    assert target.reference in related and "Caused by" in related


def test_without_js_the_related_cases_are_a_page_of_their_own(
    alice, bob, case, service_desk
) -> None:  # type: ignore[no-untyped-def]
    target = case_in(Status.NEW, raised_by=alice, team=service_desk, title="Payments down")
    case_link(case=case, by=bob, target=target, kind=LinkKind.CAUSED_BY)
    page = page_text(client_for(alice).get(detail(case)))
    assert f'<a href="{related_panel(case)}">' in page.split('id="related-heading"')[1]
    text = page_text(client_for(alice).get(related_panel(case)))
    assert "<title>Related cases of" in text and target.reference in text
    assert "Caused by" in text


def test_the_related_cases_of_another_teams_case_are_404(alice, other_case) -> None:  # type: ignore[no-untyped-def]
    assert client_for(alice).get(related_panel(other_case), **HX).status_code == 404
    missing = reverse("cases:related", args=["ESC-999999"])
    assert client_for(alice).get(missing, **HX).status_code == 404


def test_a_person_without_a_role_gets_no_related_cases(nora, case) -> None:  # type: ignore[no-untyped-def]
    assert client_for(nora).get(related_panel(case), **HX).status_code == 403


def test_watchers_are_listed_and_the_viewer_may_watch(alice, bob, case) -> None:
    case_set_watching(case=case, by=bob, user=bob, watching=True)
    text = page_text(client_for(alice).get(detail(case)))
    watchers = text.split('id="watchers-heading"')[1].split("</section>")[0]
    assert "Bob" in watchers and "Watch this case" in watchers


def test_attachments_download_as_files_with_nosniff(alice, erin, case, media) -> None:
    upload = SimpleUploadedFile('..\\evil"name<x>.txt', b"log line", "text/plain")
    attachment = case_add_attachment(case=case, by=alice, upload=upload)
    page = page_text(client_for(alice).get(detail(case)))
    url = reverse("cases:attachment", args=[case.reference, attachment.token])
    assert url in page
    for user in (alice, erin):
        response = client_for(user).get(url)
        assert response.status_code == 200
        assert b"".join(response.streaming_content) == b"log line"
        assert response["Content-Disposition"].startswith("attachment;")
        assert '"' not in attachment.original_name
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["Content-Type"] == "application/octet-stream"


def test_attachments_of_another_teams_case_are_404(alice, charlie, case, media) -> None:
    attachment = case_add_attachment(
        case=case, by=alice, upload=SimpleUploadedFile("a.txt", b"x", "text/plain")
    )
    url = reverse("cases:attachment", args=[case.reference, attachment.token])
    assert client_for(charlie).get(url).status_code == 404
    wrong_token = reverse("cases:attachment", args=[case.reference, "f" * 32])
    assert client_for(alice).get(wrong_token).status_code == 404


def test_an_attachment_is_only_found_under_its_own_case(alice, bob, case, media) -> None:
    attachment = case_add_attachment(
        case=case, by=alice, upload=SimpleUploadedFile("a.txt", b"x", "text/plain")
    )
    elsewhere = CaseFactory(raised_by=alice)
    url = reverse("cases:attachment", args=[elsewhere.reference, attachment.token])
    assert client_for(bob).get(url).status_code == 404


def queries_for_case_page(client, case) -> int:  # type: ignore[no-untyped-def]
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(detail(case))
    assert response.status_code == 200
    return len(ctx.captured_queries)


def add_events(case, actor, count: int) -> None:  # type: ignore[no-untyped-def]
    from django.utils import timezone

    CaseEvent.objects.bulk_create(
        CaseEvent(
            case=case,
            actor=actor,
            kind=EventKind.NOTE if i % 2 else EventKind.UPDATE,
            body=f"event {i}",
            created_at=timezone.now(),
        )
        for i in range(count)
    )


@pytest.mark.parametrize("persona", ["alice", "bob"])
def test_case_page_queries_do_not_grow_with_the_timeline(persona, request, service_desk) -> None:
    viewer = request.getfixturevalue(persona)
    alice = request.getfixturevalue("alice")
    small = case_in(Status.IN_PROGRESS, raised_by=alice, team=service_desk)
    large = case_in(Status.IN_PROGRESS, raised_by=alice, team=service_desk)
    add_events(small, viewer, 10)
    add_events(large, viewer, 200)
    client = client_for(viewer)
    client.get(detail(small))  # warm the session and the user's role cache paths
    assert queries_for_case_page(client, small) == queries_for_case_page(client, large)
    assert queries_for_case_page(client, large) <= 30


# --- The SLA clock panel -------------------------------------------------------------------

NOON = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)  # Monday, 13:00 in Amsterdam


def at(hours: float) -> time_machine.travel:
    return time_machine.travel(NOON + timedelta(hours=hours), tick=False)


@pytest.fixture
def premium_customer(db: None):  # type: ignore[no-untyped-def]
    """Premium S2 (respond in 30 min, resolve in 4 h) and S4 (4 h, 24 h), on 24x7."""
    for severity, response, resolution in ((Severity.S2, 30, 240), (Severity.S4, 240, 1440)):
        SlaPolicyFactory(
            tier=Tier.PREMIUM,
            severity=severity,
            response_minutes=response,
            resolution_minutes=resolution,
            update_minutes=None,
        )
    return CustomerFactory(name="Acme Retail", tier=Tier.PREMIUM)


def lowered_after_a_breach(alice, bob, customer, *, pauses: int = 1):  # type: ignore[no-untyped-def]
    """Raised at 13:00, waiting on the customer from 14:00 to 15:00 (and ``pauses - 1`` more
    times for 6 s each from 16:00), past its 4 h resolution target (due 18:00) when lowered
    to S4 at 18:10, resolved at 19:00."""
    with at(0):
        case = case_raise(
            raised_by=alice,
            customer=customer,
            title="Checkout fails",
            description="502s",
            severity=Severity.S2,
        )
        case = case_acknowledge(case=case, by=bob)
    waits = [(1.0, 2.0)] + [(3 + n / 300, 3 + n / 300 + 1 / 600) for n in range(pauses - 1)]
    for start, end in waits:
        with at(start):
            case = case_set_status(case=case, by=bob, status=Status.WAITING, reason="Need logs")
        with at(end):
            case = case_set_status(case=case, by=bob, status=Status.IN_PROGRESS)
    with at(5 + 1 / 6):
        case = case_change_severity(case=case, by=bob, severity=Severity.S4, reason="Workaround")
    cause = RootCause.objects.filter(name="Expired certificate").first() or root_cause()
    with at(6):
        case = case_resolve(case=case, by=bob, summary="Fixed", root_cause=cause)
    return case


def test_each_clock_shows_its_policy_calendar_deadline_breach_and_ledger(  # type: ignore[no-untyped-def]
    alice, bob, premium_customer
) -> None:
    case = lowered_after_a_breach(alice, bob, premium_customer)
    with at(7):
        text = page_text(client_for(alice).get(detail(case)))
    panel = text.split('id="case-clocks"')[1].split("</section>")[0]
    for expected in (
        "First response",
        "Resolution",
        "Premium S2",  # the breach's policy, and the response clock's
        "Premium S4",  # the new attempt's
        "24x7",
        "24 h business time",  # the target it stopped under
        "Mon 2 Mar 2026, 13:00",  # started
        "Tue 3 Mar 2026, 14:00",  # the new deadline: 24 h + 1 h paused from 13:00
        "Breached 18:00 under Premium S2; since 18:10 against Premium S4; stopped 19:00, "
        "within the new target",
        "Met under Premium S2: stopped 13:00 with 30 min to spare",
        "<details",
        "Paused, waiting on the customer",
        "Waiting on customer",
        "Severity S4, policy Premium S4",
        "new target",
        "Resolved",
    ):
        assert expected in panel, expected
    assert "<script" not in panel


def test_the_ledger_names_the_timeline_events_and_links_to_them(alice, bob, premium_customer):  # type: ignore[no-untyped-def]
    case = lowered_after_a_breach(alice, bob, premium_customer)
    severity = CaseEvent.objects.get(case=case, kind=EventKind.SEVERITY)
    with at(7):
        text = page_text(client_for(bob).get(detail(case)))
    assert f'href="#event-{severity.pk}"' in text
    assert f'id="event-{severity.pk}"' in text  # the timeline holds the anchor
    assert "S2 High → S4 Low; Workaround" in text


def test_a_case_without_a_policy_says_no_clock_runs(alice, case) -> None:  # type: ignore[no-untyped-def]
    text = page_text(client_for(alice).get(detail(case)))
    assert "No SLA clock runs on this case" in text


def test_an_htmx_action_swaps_the_clock_panel_too(alice, bob, premium_customer) -> None:  # type: ignore[no-untyped-def]
    with at(0):
        case = case_acknowledge(
            case=case_raise(
                raised_by=alice,
                customer=premium_customer,
                title="x",
                description="y",
                severity=Severity.S2,
            ),
            by=bob,
        )
    with at(1):
        response = client_for(bob).post(
            reverse("cases:status", args=[case.reference]),
            {"status-status": Status.WAITING, "status-reason": "Need logs"},
            **HX,
        )
    text = page_text(response)
    assert 'id="case-clocks" class="card mb-4" hx-swap-oob="true"' in text
    assert "Paused since 14:00, waiting on the customer" in text


def test_case_page_queries_do_not_grow_with_the_clock_ledger(alice, bob, premium_customer):  # type: ignore[no-untyped-def]
    few = lowered_after_a_breach(alice, bob, premium_customer, pauses=1)
    many = lowered_after_a_breach(alice, bob, premium_customer, pauses=20)
    assert ClockLedgerEntry.objects.filter(case=many).count() >= 40
    client = client_for(bob)
    with at(7):
        client.get(detail(few))  # the session, the role and the calendar cache, warmed
        assert queries_for_case_page(client, few) == queries_for_case_page(client, many)
