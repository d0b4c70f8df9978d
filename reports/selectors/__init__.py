"""Reads of the reports app: every aggregation runs in the database."""

from reports.definitions import (
    COUNT_KEYS,
    DIMENSIONS,
    METRICS,
    Dimension,
    Metric,
    ReportFilters,
    open_at,
    with_rates,
)
from reports.selectors.drilldown import (
    NO_GROUP,
    DrillDown,
    DrillDownPage,
    DrillDownRow,
    PageOutOfRange,
    drilldown_page,
    drilldown_rows,
    frozen_figure,
)
from reports.selectors.figures import (
    AGE_BUCKETS,
    PeriodFigures,
    dimension_labels,
    period_counts,
    period_figures,
)
from reports.selectors.lists import longest_open, root_causes, strategic_breaches, top_customers
from reports.selectors.satisfaction import satisfaction_series
from reports.selectors.snapshots import (
    WeekList,
    WeekListRow,
    first_case_week,
    snapshot_breakdowns,
    snapshot_get,
    snapshot_headlines,
    snapshot_summaries,
    week_list,
)

__all__ = [
    "AGE_BUCKETS",
    "COUNT_KEYS",
    "DIMENSIONS",
    "Dimension",
    "DrillDown",
    "DrillDownPage",
    "DrillDownRow",
    "METRICS",
    "Metric",
    "NO_GROUP",
    "PageOutOfRange",
    "PeriodFigures",
    "ReportFilters",
    "WeekList",
    "WeekListRow",
    "dimension_labels",
    "drilldown_page",
    "drilldown_rows",
    "first_case_week",
    "frozen_figure",
    "longest_open",
    "open_at",
    "period_counts",
    "period_figures",
    "root_causes",
    "satisfaction_series",
    "snapshot_breakdowns",
    "snapshot_get",
    "snapshot_headlines",
    "snapshot_summaries",
    "strategic_breaches",
    "top_customers",
    "week_list",
    "with_rates",
]
