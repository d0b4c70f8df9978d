"""The actions of the case page, each as a plain POST and through HTMX, each refusal next to
its success."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from cases.models import Attachment, CaseEvent, CaseLink, EventKind, Severity, Status
from escalation.roles import Role
from tests.cases.factories import case_in, root_cause
from tests.cases.web import HX, hx_from, media, page_text, reload
from tests.conftest import client_for
from tests.factories import TeamFactory, UserFactory

pytestmark = pytest.mark.django_db
__all__ = ["media"]

# Managers only; acknowledge, assign, status and resolve are for whoever works the case too
# (tests/cases/test_permissions_table.py).
TRIAGE_ACTIONS = ("severity", "reopen", "close", "link")
WORK_ACTIONS = ("acknowledge", "assign", "status", "resolve")


def url(name: str, case) -> str:  # type: ignore[no-untyped-def]
    return reverse(f"cases:{name}", args=[case.reference])


def kinds(case) -> list[str]:  # type: ignore[no-untyped-def]
    return list(CaseEvent.objects.filter(case=case).values_list("kind", flat=True))


@pytest.fixture
def case(alice, service_desk):  # type: ignore[no-untyped-def]
    return case_in(Status.NEW, raised_by=alice, team=service_desk)


@pytest.fixture
def working(alice, bob, service_desk):  # type: ignore[no-untyped-def]
    return case_in(Status.IN_PROGRESS, raised_by=alice, team=service_desk, owner=bob)


# --- Notes and customer updates -------------------------------------------------------------


def test_operator_adds_an_internal_note_and_returns_to_the_case(alice, case) -> None:
    response = client_for(alice).post(
        url("note", case), {"note-body": "Checked the logs", "note-visibility": "internal"}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("cases:detail", args=[case.reference])
    event = CaseEvent.objects.get(case=case)
    assert (event.kind, event.actor, event.body) == (EventKind.NOTE, alice, "Checked the logs")


def test_operator_adds_a_customer_update(alice, case) -> None:
    client_for(alice).post(
        url("note", case), {"note-body": "We are on it", "note-visibility": "customer"}
    )
    assert kinds(case) == [EventKind.UPDATE]
    assert reload(case).last_customer_update_at is not None


def test_an_empty_note_is_an_error_in_the_page(alice, case) -> None:
    response = client_for(alice).post(
        url("note", case), {"note-body": "  ", "note-visibility": "internal"}
    )
    assert response.status_code == 200
    assert "This field is required." in page_text(response)
    assert kinds(case) == []


def test_a_note_through_htmx_swaps_the_timeline_in_place(alice, case) -> None:
    page = reverse("cases:detail", args=[case.reference])
    response = client_for(alice).post(
        url("note", case),
        {"note-body": "Swapped in", "note-visibility": "internal"},
        **hx_from(page),
    )
    assert response.status_code == 200
    text = page_text(response)
    assert "<html" not in text
    assert '<section id="case-timeline" class="card mb-4" hx-swap-oob="true"' in text
    assert "Swapped in" in text and "Internal note added." in text
    assert 'id="case-flash" aria-live="polite"' in text


def test_executive_may_not_add_a_note(erin, case) -> None:
    response = client_for(erin).post(
        url("note", case), {"note-body": "x", "note-visibility": "internal"}
    )
    assert response.status_code == 403
    assert kinds(case) == []


def test_another_teams_operator_gets_404_for_a_note(charlie, case) -> None:
    response = client_for(charlie).post(
        url("note", case), {"note-body": "x", "note-visibility": "internal"}
    )
    assert response.status_code == 404
    assert kinds(case) == []


# --- Attachments and watching ---------------------------------------------------------------


def test_operator_attaches_files(alice, case, media) -> None:
    files = [
        SimpleUploadedFile("a.txt", b"one", "text/plain"),
        SimpleUploadedFile("b.csv", b"x,y", "text/csv"),
    ]
    response = client_for(alice).post(url("attach", case), {"attach-attachments": files})
    assert response.status_code == 302
    assert sorted(Attachment.objects.values_list("original_name", flat=True)) == [
        "a.txt",
        "b.csv",
    ]


def test_a_refused_file_attaches_none_of_the_batch(alice, case, media) -> None:
    files = [
        SimpleUploadedFile("a.txt", b"one", "text/plain"),
        SimpleUploadedFile("b.svg", b"<svg onload=alert(1)>", "image/svg+xml"),
    ]
    response = client_for(alice).post(url("attach", case), {"attach-attachments": files})
    assert response.status_code == 200
    assert "image/svg+xml are not accepted" in page_text(response)
    assert not Attachment.objects.exists()


def test_executive_may_not_attach(erin, case, media) -> None:
    files = [SimpleUploadedFile("a.txt", b"one", "text/plain")]
    assert (
        client_for(erin).post(url("attach", case), {"attach-attachments": files}).status_code == 403
    )


def test_operator_watches_and_stops_watching(alice, case) -> None:
    client = client_for(alice)
    assert client.post(url("watch", case), {"watching": "1"}).status_code == 302
    assert list(case.watchers.all()) == [alice]
    response = client.post(url("watch", case), {"watching": "0"}, **HX)
    assert response.status_code == 200
    assert "Watch this case" in page_text(response)
    assert not case.watchers.exists()


def test_watching_needs_a_yes_or_no(alice, case) -> None:
    assert client_for(alice).post(url("watch", case), {"watching": "maybe"}).status_code == 400


def test_executive_may_not_watch(erin, case) -> None:
    assert client_for(erin).post(url("watch", case), {"watching": "1"}).status_code == 403


# --- Triage: managers only ------------------------------------------------------------------


def test_manager_acknowledges_a_new_case(bob, case) -> None:
    response = client_for(bob).post(url("acknowledge", case))
    assert response.status_code == 302
    case = reload(case)
    assert (case.status, case.owner) == (Status.ACKNOWLEDGED, bob)


def test_acknowledging_twice_is_refused_in_the_page_not_a_500(bob, working) -> None:
    response = client_for(bob).post(url("acknowledge", working))
    assert response.status_code == 200
    assert "only a new case can be acknowledged" in page_text(response)


@pytest.mark.parametrize("name", TRIAGE_ACTIONS)
def test_operator_and_executive_may_not_triage(alice, erin, case, name) -> None:
    for user in (alice, erin):
        assert client_for(user).post(url(name, case), {}).status_code == 403
    assert kinds(case) == []
    assert reload(case).status == Status.NEW


@pytest.mark.parametrize("name", WORK_ACTIONS)
def test_executive_and_operator_of_another_team_may_not_work_the_case(
    erin, charlie, case, name
) -> None:
    assert client_for(erin).post(url(name, case), {}).status_code == 403
    assert client_for(charlie).post(url(name, case), {}).status_code == 404
    assert kinds(case) == []
    assert reload(case).status == Status.NEW


def test_manager_reassigns_with_team_owner_and_reason(bob, working) -> None:
    level2 = TeamFactory(name="Level 2 network", level="L2")
    dave = UserFactory(username="dave", first_name="Dave", role=Role.OPERATOR)
    level2.members.add(dave)
    response = client_for(bob).post(
        url("assign", working),
        {"assign-team": level2.pk, "assign-owner": dave.pk, "assign-reason": "Needs network"},
        follow=True,
    )
    assert "assigned to Dave in Level 2 network" in page_text(response)
    working = reload(working)
    assert (working.team, working.owner, working.level) == (level2, dave, "L2")
    event = CaseEvent.objects.get(case=working)
    assert (event.kind, event.reason) == (EventKind.ASSIGNED, "Needs network")


def test_reassigning_needs_a_reason(bob, working, other_team) -> None:
    response = client_for(bob).post(url("assign", working), {"assign-team": other_team.pk})
    assert response.status_code == 200
    assert response.context["forms"]["assign"].errors["reason"]
    assert '<details class="case-action" open id="action-assign">' in page_text(response)
    assert kinds(working) == []


def test_a_refused_assignment_shows_why_in_the_form(bob, working, other_team, alice) -> None:
    # alice is not a member of the other team: the service refuses and says so.
    response = client_for(bob).post(
        url("assign", working),
        {"assign-team": other_team.pk, "assign-owner": alice.pk, "assign-reason": "try"},
        **HX,
    )
    assert response.status_code == 200
    assert "is not a member of Field support" in page_text(response)
    assert kinds(working) == []


def test_reassigning_through_htmx_updates_header_and_timeline(bob, working, other_team) -> None:
    response = client_for(bob).post(
        url("assign", working),
        {"assign-team": other_team.pk, "assign-reason": "Field visit"},
        **HX,
    )
    text = page_text(response)
    header = text.split('id="case-header"')[1].split("</header>")[0]
    assert "Field support" in header
    timeline = text.split('id="case-timeline"')[1]
    assert "Field visit" in timeline


def test_manager_changes_severity_with_a_reason(bob, working) -> None:
    response = client_for(bob).post(
        url("severity", working), {"severity-severity": "S1", "severity-reason": "Site down"}
    )
    assert response.status_code == 302
    assert reload(working).severity == Severity.S1


def test_severity_needs_a_valid_choice_and_a_reason(bob, working) -> None:
    response = client_for(bob).post(url("severity", working), {"severity-severity": "S9"})
    assert response.status_code == 200
    assert set(response.context["forms"]["severity"].errors) == {"severity", "reason"}
    assert reload(working).severity == Severity.S3


def test_manager_sets_the_status(bob, working) -> None:
    response = client_for(bob).post(
        url("status", working), {"status-status": "waiting", "status-reason": "Asked for logs"}
    )
    assert response.status_code == 302
    assert reload(working).status == Status.WAITING


def test_a_status_the_form_does_not_offer_is_refused(bob, working) -> None:
    response = client_for(bob).post(url("status", working), {"status-status": "closed"})
    assert response.status_code == 200
    assert reload(working).status == Status.IN_PROGRESS


def test_manager_resolves_with_summary_and_root_cause(bob, working) -> None:
    cause = root_cause()
    response = client_for(bob).post(
        url("resolve", working),
        {"resolve-summary": "Renewed the certificate", "resolve-root_cause": cause.pk},
        **HX,
    )
    assert response.status_code == 200
    working = reload(working)
    assert (working.status, working.root_cause) == (Status.RESOLVED, cause)
    text = page_text(response)
    assert "Renewed the certificate" in text.split('id="case-resolution"')[1]
    # A resolved case offers reopen and close instead of resolve.
    actions = text.split('id="case-actions"')[1].split("</section>")[0]
    assert "Reopen" in actions and "Close case" in actions and "Resolve case" not in actions


def test_resolving_needs_a_summary_and_a_root_cause(bob, working) -> None:
    response = client_for(bob).post(url("resolve", working), {"resolve-summary": ""})
    assert response.status_code == 200
    assert set(response.context["forms"]["resolve"].errors) == {"summary", "root_cause"}
    assert reload(working).status == Status.IN_PROGRESS


def test_manager_reopens_and_closes(bob, alice, service_desk) -> None:
    resolved = case_in(Status.RESOLVED, raised_by=alice, team=service_desk)
    client = client_for(bob)
    assert client.post(url("reopen", resolved), {"reopen-reason": "Back again"}).status_code == 302
    assert reload(resolved).status == Status.IN_PROGRESS
    done = case_in(Status.RESOLVED, raised_by=alice, team=service_desk)
    assert client.post(url("close", done)).status_code == 302
    assert reload(done).status == Status.CLOSED


def test_reopening_needs_a_reason(bob, alice, service_desk) -> None:
    resolved = case_in(Status.RESOLVED, raised_by=alice, team=service_desk)
    response = client_for(bob).post(url("reopen", resolved), {"reopen-reason": ""})
    assert response.status_code == 200
    assert reload(resolved).status == Status.RESOLVED


def test_closing_an_open_case_is_refused_with_the_reason_in_the_page(bob, working) -> None:
    response = client_for(bob).post(url("close", working), **HX)
    assert response.status_code == 200
    flash = page_text(response).split('id="case-flash"')[1].split("</div>")[0]
    assert "only a resolved case can be closed; resolve it first" in flash
    assert reload(working).status == Status.IN_PROGRESS


def test_manager_links_to_another_case_by_reference(bob, working, alice, service_desk) -> None:
    other = case_in(Status.NEW, raised_by=alice, team=service_desk)
    response = client_for(bob).post(
        url("link", working),
        {"link-reference": other.reference.lower(), "link-kind": "duplicate_of"},
    )
    assert response.status_code == 302
    link = CaseLink.objects.get()
    assert (link.source, link.target, link.kind) == (working, other, "duplicate_of")


@pytest.mark.parametrize(
    ("reference", "message"),
    [
        ("ESC-999999", "There is no case ESC-999999."),
        ("hello", "This is not a case reference"),
        ("", "This field is required."),
    ],
)
def test_linking_to_an_unknown_case_is_an_error_in_the_form(
    bob, working, reference, message
) -> None:
    response = client_for(bob).post(
        url("link", working), {"link-reference": reference, "link-kind": "related"}
    )
    assert response.status_code == 200
    assert message in page_text(response)
    assert not CaseLink.objects.exists()


def test_linking_a_case_to_itself_is_refused(bob, working) -> None:
    response = client_for(bob).post(
        url("link", working), {"link-reference": working.reference, "link-kind": "related"}
    )
    assert "cannot be linked to itself" in page_text(response)
    assert not CaseLink.objects.exists()


def test_actions_answer_405_to_a_get(bob, working) -> None:
    assert client_for(bob).get(url("assign", working)).status_code == 405


def test_an_htmx_action_keeps_the_timeline_order_the_page_shows(alice, case) -> None:
    client = client_for(alice)
    client.post(url("note", case), {"note-body": "older", "note-visibility": "internal"})
    page = reverse("cases:detail", args=[case.reference]) + "?order=newest"
    response = client.post(
        url("note", case), {"note-body": "newer", "note-visibility": "internal"}, **hx_from(page)
    )
    timeline = page_text(response).split('id="case-timeline"')[1]
    assert timeline.index("newer") < timeline.index("older")


# --- Folded forms, fetched when opened ------------------------------------------------------


def form_url(name: str, case) -> str:  # type: ignore[no-untyped-def]
    return reverse("cases:action_form", args=[case.reference, name])


def test_the_page_folds_the_triage_forms_and_fetches_each_when_opened(bob, working) -> None:
    page = page_text(client_for(bob).get(reverse("cases:detail", args=[working.reference])))
    actions = page.split('id="case-actions"')[1].split("</section>")[0]
    fetch = f'hx-get="{form_url("assign", working)}" hx-trigger="toggle once from:closest details"'
    assert fetch in actions
    assert 'name="assign-team"' not in actions  # not rendered until opened
    assert f'href="{form_url("assign", working)}#action-assign"' in actions  # without JS


def test_manager_gets_the_opened_form_alone_through_htmx(bob, working) -> None:
    response = client_for(bob).get(form_url("assign", working), **HX)
    assert response.status_code == 200
    text = page_text(response)
    assert "<html" not in text
    assert f'hx-post="{url("assign", working)}"' in text
    assert 'name="assign-team"' in text and 'name="assign-reason"' in text


def test_the_status_form_offers_only_the_other_statuses(bob, working) -> None:
    text = page_text(client_for(bob).get(form_url("status", working), **HX))
    assert 'value="waiting"' in text and 'value="in_progress"' not in text


def test_without_js_the_form_opens_in_the_case_page(bob, working) -> None:
    response = client_for(bob).get(form_url("resolve", working))
    assert response.status_code == 200
    text = page_text(response)
    assert '<details class="case-action" open id="action-resolve">' in text
    assert 'name="resolve-summary"' in text and 'name="assign-team"' not in text


def test_a_form_not_offered_in_the_case_status_says_so(bob, case) -> None:
    text = page_text(client_for(bob).get(form_url("resolve", case), **HX))
    assert "Not offered now that" in text and "<form" not in text
    page = page_text(client_for(bob).get(form_url("resolve", case)))
    assert "Not offered now that" in page.split('id="case-flash"')[1].split("</div>")[0]
    assert 'id="action-resolve"' not in page


@pytest.mark.parametrize("persona", ["alice", "erin", "charlie", "nora"])
def test_who_may_not_triage_is_refused_the_forms(persona, request, working) -> None:
    user = request.getfixturevalue(persona)
    for htmx in ({}, HX):
        assert client_for(user).get(form_url("severity", working), **htmx).status_code == 403


@pytest.mark.parametrize(("persona", "answer"), [("erin", 403), ("nora", 403), ("charlie", 404)])
def test_who_may_not_work_the_case_is_refused_its_forms(persona, answer, request, working) -> None:
    # The role first (403), then the case: charlie may not see another team's case (404).
    user = request.getfixturevalue(persona)
    for htmx in ({}, HX):
        assert client_for(user).get(form_url("assign", working), **htmx).status_code == answer


def test_an_unknown_case_or_form_is_404(bob, working) -> None:
    client = client_for(bob)
    unknown = reverse("cases:action_form", args=["ESC-999999", "assign"])
    assert client.get(unknown).status_code == 404
    for name in ("note", "acknowledge", "nonsense"):
        assert client.get(form_url(name, working), **HX).status_code == 404


def test_the_forms_answer_405_to_a_post(bob, working) -> None:
    assert client_for(bob).post(form_url("assign", working)).status_code == 405
