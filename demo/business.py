"""Business time over epoch seconds for the demo: `sla.clock_index.BusinessTime` (it lives in the
SLA app, which the what-if replay needs it in, below the demo in the layers)."""

from __future__ import annotations

from sla.clock_index import DAY, BusinessTime

__all__ = ["DAY", "BusinessTime"]
