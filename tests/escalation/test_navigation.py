from __future__ import annotations

import pytest
from django.urls import reverse

from escalation.navigation import nav_for
from tests.conftest import client_for


def nav_labels(response) -> list[str]:  # type: ignore[no-untyped-def]
    return [label for label, _url in response.context["nav_items"]]


@pytest.mark.django_db
def test_each_role_lands_on_its_own_start_page(alice, bob, erin) -> None:
    assert client_for(alice).get("/").url == reverse("cases:mine")
    assert client_for(bob).get("/").url == reverse("reviews:dashboard")
    assert client_for(erin).get("/").url == reverse("reports:index")


@pytest.mark.django_db
def test_a_user_without_a_role_is_told_why_there_is_nothing(nora) -> None:
    response = client_for(nora).get("/")
    assert response.status_code == 200
    assert "has no role yet" in response.content.decode()
    assert nav_labels(response) == []


@pytest.mark.django_db
def test_navigation_shows_each_role_what_it_can_do(alice, bob, erin) -> None:
    operator = nav_labels(client_for(alice).get(reverse("password_change")))
    manager = nav_labels(client_for(bob).get(reverse("password_change")))
    executive = nav_labels(client_for(erin).get(reverse("password_change")))
    assert "Raise escalation" in operator and "My escalations" in operator
    assert "Triage queue" not in operator and "Reports" not in operator
    assert {"Dashboard", "Triage queue", "Raise escalation", "Reports"} <= set(manager)
    assert "Raise escalation" not in executive and "Reports" in executive


@pytest.mark.django_db
def test_anonymous_visitors_are_sent_to_log_in() -> None:
    from django.test import Client

    response = Client().get("/")
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


@pytest.mark.django_db
def test_a_managers_bar_groups_the_reviews_and_the_administration_in_menus(
    alice, bob, erin
) -> None:  # type: ignore[no-untyped-def]
    from escalation.navigation import nav_bar_for

    def bar(user):  # type: ignore[no-untyped-def]
        return [(str(e.label), [str(c) for c, _url in e.children]) for e in nav_bar_for(user)]

    manager = bar(bob)
    assert ("Reviews", ["Reviews", "Patterns", "At risk"]) in manager
    assert ("Administration", ["SLA drafts", "Quarantined mail"]) in manager
    assert len(manager) == 8  # was 12 links side by side
    # Every link of the flat list is on the bar, in a menu or not.
    on_bar = {label for label, children in manager for label in (children or [label])}
    assert on_bar == {str(label) for label, _url in nav_for(bob)}
    # An executive's one administration link stays a plain link; an operator has no menus.
    assert ("SLA drafts", []) in bar(erin)
    assert all(not children for _label, children in bar(alice))


@pytest.mark.django_db
def test_the_menu_of_the_current_page_is_marked_active(bob) -> None:  # type: ignore[no-untyped-def]
    html = client_for(bob).get(reverse("reviews:patterns")).content.decode()
    url = reverse("reviews:patterns")
    assert f'class="dropdown-item active" href="{url}" aria-current="page"' in html
    assert "dropdown-toggle active" in html
