"""The case page: who sees it, what it shows, the timeline, downloads and the query budget."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cases.models import CaseEvent, EventKind, LinkKind, Status
from cases.services import case_add_attachment, case_add_note, case_link, case_set_watching
from tests.cases.factories import case_in
from tests.cases.web import HX, media, page_text
from tests.conftest import client_for
from tests.factories import CaseFactory, CustomerFactory

pytestmark = pytest.mark.django_db
__all__ = ["media"]

XSS = "<script>alert(1)</script>"


def detail(case) -> str:  # type: ignore[no-untyped-def]
    return reverse("cases:detail", args=[case.reference])


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
    assert reverse("cases:assign", args=[other_case.reference]) in text


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
    response = client_for(alice).get(detail(case))
    text = page_text(response)
    related = text.split('id="related-heading"')[1]
    assert target.reference in related and "Caused by" in related


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
