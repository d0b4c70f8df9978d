"""Who may open the draft and what-if pages (see tests/access.py): escalation managers make,
replay, publish and discard drafts; executives read drafts and replays; operators are refused.
That executives cannot change anything by POST is tested in tests/sla/test_drafts.py and
tests/sla/test_whatif.py."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from sla.drafts import draft_start
from sla.models import SlaDraft, WhatIfReplay
from sla.whatif import replay_request
from tests.access import EXECUTIVE, MANAGER, Rule, World
from tests.sla.factories import SlaPolicyFactory

READERS = frozenset({MANAGER, EXECUTIVE})
POST_ONLY = frozenset({405})


def draft_of(world: World) -> Any:
    # Made once per world; the page-query walk rolls each page back, so it may be gone.
    kept = world.extra.get("sla_draft")
    if kept is None or not SlaDraft.objects.filter(pk=kept.pk).exists():
        world.extra["sla_draft"] = draft_start(
            by=world.manager, now=timezone.now(), policy=SlaPolicyFactory()
        )
    return world.extra["sla_draft"]


def draft_pk(world: World) -> dict[str, int]:
    return {"pk": draft_of(world).pk}


def replay_pk(world: World) -> dict[str, int]:
    kept = world.extra.get("sla_replay")
    if kept is None or not WhatIfReplay.objects.filter(pk=kept.pk).exists():
        world.extra["sla_replay"] = replay_request(
            draft_id=draft_of(world).pk, weeks=4, by=world.manager, now=timezone.now()
        )
    return {"pk": world.extra["sla_replay"].pk}


RULES = {
    "sla:draft_list": Rule(allowed=READERS),
    "sla:draft_detail": Rule(allowed=READERS, kwargs=draft_pk),
    "sla:draft_publish": Rule(allowed=frozenset({MANAGER}), kwargs=draft_pk, ok_statuses=POST_ONLY),
    "sla:draft_discard": Rule(allowed=frozenset({MANAGER}), kwargs=draft_pk, ok_statuses=POST_ONLY),
    "sla:replay_new": Rule(allowed=frozenset({MANAGER}), kwargs=draft_pk, ok_statuses=POST_ONLY),
    "sla:replay_detail": Rule(allowed=READERS, kwargs=replay_pk),
    "sla:replay_body": Rule(allowed=READERS, kwargs=replay_pk),
}
