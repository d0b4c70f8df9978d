"""SLA clocks, live pages, reviews."""

from __future__ import annotations

from escalation.settings.env import env_int

SLA_SWEEP_SECONDS = env_int("SLA_SWEEP_SECONDS", 30, minimum=1)
# A due clock handed to a worker this long ago and still due is handed out again (its task was
# lost: a worker killed before the broker would redeliver). Keep it well under the visibility
# timeout and above the longest backlog.
SLA_REDISPATCH_SECONDS = env_int("SLA_REDISPATCH_SECONDS", 300, minimum=1)
# The live pages (queue, dashboard, notification bell) ask whether anything changed this often
# while their tab is visible (README "Live pages": the cost of an idle open tab).
LIVE_POLL_SECONDS = env_int("LIVE_POLL_SECONDS", 15, minimum=1)
# A post-resolution review falls due this many days after the case is resolved.
REVIEW_DUE_DAYS = env_int("REVIEW_DUE_DAYS", 5)
# A customer's satisfaction link stops working this many days after it was emailed.
SATISFACTION_LINK_DAYS = env_int("SATISFACTION_LINK_DAYS", 14, minimum=1)
