"""Reports, pause analytics, breach forecasts."""

from __future__ import annotations

from escalation.settings.env import env_int

WEEKLY_REPORT_HOUR = env_int("WEEKLY_REPORT_HOUR", 6)
# Pause analytics (reports.pauses): a pause begun with less than this share of the resolution
# target left is "shortly before a breach"; a case paused this many times has "repeated pauses".
# Both are the page's defaults, which a manager may change in its form.
PAUSES_SHORTLY_PERCENT = env_int("PAUSES_SHORTLY_PERCENT", 20, minimum=1)
PAUSES_REPEATED_MIN = env_int("PAUSES_REPEATED_MIN", 3, minimum=2)
# Breach forecasts (forecasts app): a running clock is "likely to breach" from
# FORECAST_RISK_PERCENT; its owner is warned once per clock cycle. Beat scores every running
# clock each FORECAST_SCORE_SECONDS and retrains daily at FORECAST_TRAIN_HOUR on at most
# FORECAST_MAX_CLOCKS recent finished clocks; with fewer than FORECAST_MIN_EXAMPLES examples
# the explained fallback rule stands in for the model.
FORECAST_RISK_PERCENT = env_int("FORECAST_RISK_PERCENT", 70, minimum=1)
FORECAST_SCORE_SECONDS = env_int("FORECAST_SCORE_SECONDS", 300, minimum=30)
FORECAST_TRAIN_HOUR = env_int("FORECAST_TRAIN_HOUR", 3)
FORECAST_MIN_EXAMPLES = env_int("FORECAST_MIN_EXAMPLES", 200, minimum=1)
FORECAST_MAX_CLOCKS = env_int("FORECAST_MAX_CLOCKS", 200_000, minimum=100)

# --- Report subscriptions by email (issue 17, helper narrative) ---
# Subscribers get last week's PDF this many minutes after the weekly freeze (on Monday at
# WEEKLY_REPORT_HOUR), and the month's contract statements as long after theirs (on the 1st,
# at WEEKLY_REPORT_HOUR:15). Each delivery is logged and sent once (reports.subscriptions).
REPORT_DELIVERY_DELAY_MINUTES = env_int("REPORT_DELIVERY_DELAY_MINUTES", 30, minimum=0)
