"""The timeline's deliveries of customer-facing updates: ``{% update_deliveries events as d %}``
reads them for the whole timeline at once (one query, ``comms.selectors``),
``{{ d|for_event:e.pk }}`` picks one update's, and ``{{ list|still_pending }}`` says whether
the list is to be polled until its mail settles (every ``LIVE_POLL_SECONDS``)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from django import template
from django.conf import settings

from cases.models import CaseEvent
from comms.selectors import DeliveryView, deliveries_by_update

register = template.Library()


@register.simple_tag
def update_deliveries(events: Iterable[CaseEvent]) -> Mapping[int, list[DeliveryView]]:
    return deliveries_by_update(events=events)


@register.filter
def for_event(deliveries: Mapping[int, list[DeliveryView]], event_id: int) -> list[DeliveryView]:
    return deliveries.get(event_id, [])


@register.filter
def still_pending(deliveries: list[DeliveryView]) -> bool:
    return any(d.pending for d in deliveries)


@register.simple_tag
def delivery_poll_seconds() -> int:
    return int(settings.LIVE_POLL_SECONDS)
