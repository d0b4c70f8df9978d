"""@mentions in internal notes: what counts as one (cases.mentions), who it reaches and what it
does (cases.services.mentions: watcher, timeline, announcement), the API and the timeline's
highlighting. The notification itself is the sla app's: tests/sla/test_mention_notifications.py.

alice (operator, service desk) and bob (manager) may see the case and watch it; erin
(executive) may see it but not watch; charlie (another team) and nora (no role) must get
nothing.
"""

from __future__ import annotations

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from cases.events import CaseMentioned, subscribe
from cases.mentions import Piece, mention_pieces, mentioned_usernames
from cases.models import CaseEvent, EventKind, Status
from cases.services import case_add_note
from cases.services.mentions import MENTION_REASON
from cases.templatetags.mentions import note_body
from escalation.roles import Role
from tests.cases.factories import case_in
from tests.cases.web import page_text
from tests.conftest import client_for
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def case(alice, service_desk):  # type: ignore[no-untyped-def]
    return case_in(Status.IN_PROGRESS, raised_by=alice, team=service_desk)


@pytest.fixture
def heard():  # type: ignore[no-untyped-def]
    """Every CaseMentioned announced during the test."""
    events: list[CaseMentioned] = []
    stop = subscribe(CaseMentioned, events.append)
    yield events
    stop()


def watchers(case) -> set[str]:  # type: ignore[no-untyped-def]
    return set(case.watchers.values_list("username", flat=True))


def watcher_events(case) -> list[CaseEvent]:  # type: ignore[no-untyped-def]
    return list(CaseEvent.objects.filter(case=case, kind=EventKind.WATCHER))


# --- What counts as a mention ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "usernames"),
    [
        ("@alice", ["alice"]),
        ("Ask @alice, then @bob.", ["alice", "bob"]),
        ("@alice: the proxy logs", ["alice"]),
        ("(cc @alice)", ["alice"]),
        ("@alice... anyone?", ["alice"]),
        ("first line\n@alice second", ["alice"]),
        ("@alice and @alice again", ["alice"]),
        ("@bob then @alice then @bob", ["bob", "alice"]),
        ("@jo.smith's laptop", ["jo.smith"]),
        ("@ops+oncall @first-last @snake_case", ["ops+oncall", "first-last", "snake_case"]),
        ("@dana@example.com knows", ["dana@example.com"]),
        ("@müller", ["müller"]),
        # Usernames are exact, as Django's sign-in compares them: two tokens, two names.
        ("@Alice and @alice", ["Alice", "alice"]),
        # The middle of an address is not a mention of its domain.
        ("mail bob@example.com", []),
        ("bob@example.com.", []),
        ("see https://chat.example/@alice", []),
        ("@", []),
        ("@.", []),
        ("a @ b", []),
        ("email@", []),
        ("@" + "a" * 151, []),
        ("@" + "a" * 150, ["a" * 150]),
    ],
)
def test_mentions_are_found_as_written(text: str, usernames: list[str]) -> None:
    assert mentioned_usernames(text) == usernames


def test_the_text_is_cut_around_the_mentions_that_reached_someone_only() -> None:
    assert mention_pieces("Hi @alice and @ghost.", {"alice"}) == [
        Piece("Hi "),
        Piece("@alice", "alice"),
        Piece(" and @ghost."),
    ]
    assert mention_pieces("@alice.", {"alice"}) == [Piece("@alice", "alice"), Piece(".")]
    assert mention_pieces("no one here", {"alice"}) == [Piece("no one here")]


# --- What a mention does --------------------------------------------------------------------


def test_a_mention_makes_a_colleague_a_watcher_and_announces_them(alice, bob, case, heard) -> None:
    note = case_add_note(case=case, by=bob, body="@alice can you check the proxy?")

    assert note.data == {"mentions": ["alice"]}
    assert watchers(case) == {"alice"}
    [added] = watcher_events(case)
    assert (added.actor, added.to_value, added.reason) == (bob, "Alice", MENTION_REASON)
    assert added.data == {"users": [alice.pk], "watching": True, "note": note.pk}
    [event] = heard
    assert (event.case.pk, event.by, event.note.pk, event.mentioned) == (
        case.pk,
        bob,
        note.pk,
        (alice,),
    )


def test_an_operator_may_mention_a_manager_who_then_watches(alice, bob, case, heard) -> None:
    case_add_note(case=case, by=alice, body="@bob this needs a decision")
    assert watchers(case) == {"bob"}
    assert [e.mentioned for e in heard] == [(bob,)]


def test_mentioning_a_watcher_again_tells_them_but_adds_no_second_watcher_event(
    alice, bob, case, heard
) -> None:
    case_add_note(case=case, by=bob, body="@alice @alice first")
    case_add_note(case=case, by=bob, body="@alice second")
    assert watchers(case) == {"alice"}
    assert len(watcher_events(case)) == 1
    # Each note is its own question: one announcement per note, each naming alice once.
    assert [e.mentioned for e in heard] == [(alice,), (alice,)]


def test_an_executive_is_told_but_not_made_a_watcher(erin, bob, case, heard) -> None:
    note = case_add_note(case=case, by=bob, body="@erin for your information")
    assert note.data == {"mentions": ["erin"]}
    assert watchers(case) == set() and watcher_events(case) == []
    assert [e.mentioned for e in heard] == [(erin,)]


def test_people_who_may_not_see_the_case_unknown_names_and_the_author_get_nothing(
    alice, bob, charlie, nora, case, heard
) -> None:
    UserFactory(username="gone", role=Role.MANAGER, is_active=False)
    note = case_add_note(case=case, by=bob, body="@charlie @nora @gone @ghost @bob @Alice: anyone?")
    assert note.kind == EventKind.NOTE and note.body.endswith("anyone?")
    assert note.data == {}
    assert watchers(case) == set() and watcher_events(case) == []
    assert heard == []


def test_a_mix_keeps_those_who_may_see_in_the_order_written(
    alice, bob, charlie, erin, case, heard
) -> None:
    note = case_add_note(case=case, by=bob, body="@erin @charlie @alice @ghost")
    assert note.data == {"mentions": ["erin", "alice"]}
    assert watchers(case) == {"alice"}
    assert [e.mentioned for e in heard] == [(erin, alice)]


def test_a_customer_update_mentions_no_one(alice, bob, case, heard) -> None:
    update = case_add_note(case=case, by=bob, body="Thanks @alice", customer_facing=True)
    assert update.kind == EventKind.UPDATE and update.data == {}
    assert watchers(case) == set() and heard == []


def test_a_change_rolled_back_leaves_no_watcher(alice, bob, case) -> None:
    class Refused(Exception):
        pass

    with pytest.raises(Refused), transaction.atomic():
        case_add_note(case=case, by=bob, body="@alice look")
        raise Refused
    assert watchers(case) == set()
    assert not CaseEvent.objects.filter(case=case).exists()


def test_the_queries_do_not_grow_with_the_number_of_mentions(bob, case, service_desk) -> None:
    people = [UserFactory(username=f"op{n}", role=Role.OPERATOR) for n in range(7)]
    service_desk.members.add(*people)

    def queries(body: str) -> int:
        with CaptureQueriesContext(connection) as captured:
            case_add_note(case=case, by=bob, body=body)
        return len(captured)

    queries("No one mentioned")  # the author's roles, cached for the rest
    one = queries("@op0 look")
    six = queries(" ".join(f"@{p.username}" for p in people[1:]) + " @ghost @nobody")
    assert six == one
    assert watchers(case) == {p.username for p in people}


# --- The API and the page -------------------------------------------------------------------


def api_for(user) -> APIClient:  # type: ignore[no-untyped-def]
    client = APIClient()
    token, _ = Token.objects.get_or_create(user=user)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


def test_the_api_note_endpoint_mentions_the_same_way(alice, bob, charlie, case, heard) -> None:
    answer = api_for(bob).post(
        f"/api/cases/{case.reference}/notes/",
        {"body": "@alice and @charlie, look", "customer_facing": False},
        format="json",
    )
    assert answer.status_code == 201, answer.json()
    assert answer.json()["data"] == {"mentions": ["alice"]}
    assert watchers(case) == {"alice"}
    assert [e.mentioned for e in heard] == [(alice,)]


def test_the_note_form_says_how_to_mention(alice, case) -> None:
    page = page_text(client_for(alice).get(reverse("cases:detail", args=[case.reference])))
    assert "In an internal note, type @username to notify a colleague." in page


def test_the_timeline_highlights_the_mentions_that_reached_someone(alice, bob, case) -> None:
    case_add_note(case=case, by=bob, body="@alice <b>look</b> & ask @ghost")
    text = page_text(client_for(alice).get(reverse("cases:detail", args=[case.reference])))
    assert '<mark class="mention">@alice</mark> &lt;b&gt;look&lt;/b&gt; &amp; ask @ghost' in text
    assert "<b>look</b>" not in text


@pytest.mark.parametrize(
    ("body", "mentions", "html"),
    [
        ("plain\ntext & <i>", None, "plain<br>text &amp; &lt;i&gt;"),
        ("@alice\n@ghost", ["alice"], '<mark class="mention">@alice</mark><br>@ghost'),
        (
            '@alice"><script>x</script>',
            ["alice"],
            '<mark class="mention">@alice</mark>&quot;&gt;&lt;script&gt;x&lt;/script&gt;',
        ),
        # Whatever the data says, the text shown is the body's, escaped.
        ("<b>@x</b>", ["<b>@x</b>", "x"], '&lt;b&gt;<mark class="mention">@x</mark>&lt;/b&gt;'),
    ],
)
def test_a_note_is_shown_escaped_with_its_mentions_marked(
    body: str, mentions: list[str] | None, html: str
) -> None:
    event = CaseEvent(
        kind=EventKind.NOTE, body=body, data={"mentions": mentions} if mentions else {}
    )
    assert str(note_body(event)) == html
