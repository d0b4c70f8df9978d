"""Every page that lists cases shows an operator only the cases she may open.

alice's team holds a case ("secret") of the customer Acme; charlie, an operator of another team,
holds a sibling case of the same customer, product and category with a similar title, explicitly
linked to the secret one. Every list charlie can reach must show his own sibling (so the list is
really there) and never the secret case's reference or title.
"""

from __future__ import annotations

from urllib.parse import urlencode

import pytest
from django.urls import reverse
from django.utils import timezone

from cases.models import CaseLink, LinkKind, Status
from tests.conftest import client_for
from tests.factories import CaseFactory, CategoryFactory, CustomerFactory, ProductFactory

pytestmark = pytest.mark.django_db

SECRET_TITLE = "Quantum ledger sync corrupts the invoices"


@pytest.fixture
def world(alice, charlie, bob, service_desk, other_team):  # type: ignore[no-untyped-def]
    acme = CustomerFactory(name="Acme")
    product, category = ProductFactory(name="Ledger"), CategoryFactory(name="Sync")
    common = {"customer": acme, "product": product, "category": category}
    secret = CaseFactory(
        title=SECRET_TITLE, raised_by=alice, team=service_desk, status=Status.NEW, **common
    )
    own = CaseFactory(
        title="Quantum ledger sync corrupts invoices again",
        raised_by=charlie,
        team=other_team,
        status=Status.IN_PROGRESS,
        **common,
    )
    sibling = CaseFactory(
        title="Quantum ledger sync corrupts credit notes",
        raised_by=charlie,
        team=other_team,
        status=Status.NEW,
        **common,
    )
    for source, target in ((own, secret), (secret, own)):
        CaseLink.objects.create(
            source=source,
            target=target,
            kind=LinkKind.RELATED,
            created_by=bob,
            created_at=timezone.now(),
        )
    return {"customer": acme, "product": product, "secret": secret, "own": own, "sibling": sibling}


def pages(world) -> list[tuple[str, bool]]:  # type: ignore[no-untyped-def]
    """(url, whether charlie must see his sibling case there); the rest refuse him or list
    nothing of his either."""
    draft = {
        "customer": world["customer"].pk,
        "product": world["product"].pk,
        "title": SECRET_TITLE,
    }
    secret_ref = world["secret"].reference
    return [
        # The case page fetches its related cases as a fragment of their own.
        (reverse("cases:detail", args=[world["own"].reference]), False),
        (reverse("cases:related", args=[world["own"].reference]), True),
        (f"{reverse('reviews:related')}?case={world['own'].reference}", True),
        (f"{reverse('reviews:related')}?{urlencode(draft)}", True),
        (f"{reverse('reviews:related')}?title={SECRET_TITLE}", True),
        (f"{reverse('cases:raise')}?{urlencode(draft)}", True),
        (f"{reverse('cases:raise_duplicates')}?{urlencode(draft)}", True),
        (f"{reverse('cases:mine')}?filtered=1", True),
        (f"{reverse('cases:mine')}?filtered=1&q={secret_ref}", False),
        (f"{reverse('cases:mine')}?filtered=1&q=Quantum", True),
        (f"{reverse('cases:queue')}?q={secret_ref}", False),
        (reverse("sla:notifications"), False),
        (reverse("reviews:dashboard"), False),
        (reverse("reviews:dashboard_customers"), False),
        (reverse("reviews:patterns"), False),
        (reverse("reviews:risk"), False),
        (reverse("reviews:list"), False),
        (reverse("reviews:actions_mine"), False),
        (reverse("reports:index"), False),
        (f"{reverse('cases_api:list')}?status=open", True),
        (f"{reverse('cases_api:list')}?q={secret_ref}", False),
    ]


def test_no_page_lists_a_case_the_operator_may_not_open(charlie, world) -> None:
    client = client_for(charlie)
    secret, sibling = world["secret"], world["sibling"]
    for url, shows_sibling in pages(world):
        response = client.get(url)
        assert response.status_code in (200, 403), (url, response.status_code)
        html = response.content.decode()
        assert secret.reference not in html, url
        assert SECRET_TITLE not in html, url
        if shows_sibling:
            assert response.status_code == 200, url
            assert sibling.reference in html, url


def test_the_secret_case_is_listed_for_its_own_team(alice, world) -> None:
    """The other side of the test above: the same lists show alice her team's case."""
    response = client_for(alice).get(reverse("cases:mine"), {"filtered": "1"})
    assert world["secret"].reference in response.content.decode()
