"""What moved most since the week before: pure functions over the breakdown rows.

Changes of different kinds are ranked on one scale, *cases*: a count changes by its difference
(3 more breaches = 3); a compliance rate by the deadlines the change amounts to at this week's
volume (a rate up 10 points over 40 deadlines = 4 more deadlines met). Whether a change is an
improvement depends on the measure (fewer breaches is better, higher compliance is better), and
the report says which in words ("better: 3 fewer breaches"), never by a sign alone.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop, ngettext

from reports.numbers import localized


@dataclass(frozen=True)
class Measure:
    # The label and counts stay English in the frozen payload; the page translates them.
    key: str
    label: str
    higher_is_better: bool
    met: str | None = None
    missed: str | None = None
    # What the change counts, one and many: "1 fewer breach", "3 more breaches".
    counts: tuple[str, str] = ("case", "cases")

    @property
    def is_rate(self) -> bool:
        return self.met is not None


HIGHLIGHT_MEASURES: tuple[Measure, ...] = (
    Measure(
        "breaches",
        gettext_noop("SLA breaches"),
        higher_is_better=False,
        counts=("breach", "breaches"),
    ),
    Measure(
        "backlog",
        gettext_noop("Open at the end of the week"),
        higher_is_better=False,
        counts=("case open at the end", "cases open at the end"),
    ),
    Measure(
        "response_compliance",
        gettext_noop("First-response SLA compliance"),
        higher_is_better=True,
        met="response_met",
        missed="response_missed",
        counts=("deadline met", "deadlines met"),
    ),
    Measure(
        "resolution_compliance",
        gettext_noop("Resolution SLA compliance"),
        higher_is_better=True,
        met="resolution_met",
        missed="resolution_missed",
        counts=("deadline met", "deadlines met"),
    ),
)

MEASURES_BY_KEY = {m.key: m for m in HIGHLIGHT_MEASURES}


def change_effect(measure: Measure, now: Mapping[str, Any], before: Mapping[str, Any]) -> float:
    """The change of ``measure`` in cases; positive = better. 0 when it cannot be compared."""
    after_value, before_value = now.get(measure.key), before.get(measure.key)
    if after_value is None or before_value is None:
        return 0.0
    if measure.is_rate:
        decided = now[measure.met] + now[measure.missed]  # type: ignore[index]
        raw = (after_value - before_value) / 100 * decided
    else:
        raw = after_value - before_value
    return float(raw if measure.higher_is_better else -raw)


def highlights(
    breakdowns: Mapping[str, Sequence[Mapping[str, Any]]],
    *,
    titles: Mapping[str, str],
    limit: int = 5,
) -> dict[str, list[dict[str, Any]]]:
    """The ``limit`` largest improvements and regressions over all breakdown groups."""
    items = []
    for dimension, rows in breakdowns.items():
        for row in rows:
            for measure in HIGHLIGHT_MEASURES:
                effect = round(change_effect(measure, row, row["previous"]), 1)
                if effect == 0:
                    continue
                items.append(
                    {
                        "dimension": titles[dimension],
                        "group": row["label"],
                        # Where the figure comes from, for its drill-down link.
                        "dimension_key": dimension,
                        "group_key": row["key"],
                        "measure": measure.label,
                        "key": measure.key,
                        "rate": measure.is_rate,
                        "before": row["previous"][measure.key],
                        "after": row[measure.key],
                        "effect": effect,
                    }
                )

    def order(item: dict[str, Any]) -> tuple[Any, ...]:
        return (-abs(item["effect"]), item["dimension"], item["group"], item["measure"])

    return {
        "improvements": sorted((i for i in items if i["effect"] > 0), key=order)[:limit],
        "regressions": sorted((i for i in items if i["effect"] < 0), key=order)[:limit],
    }


def _counted(measure: Measure, n: int) -> str:
    """What the change of ``measure`` counts, one or many, in the active language."""
    if measure.key == "breaches":
        return ngettext("breach", "breaches", n)
    if measure.key == "backlog":
        return ngettext("case open at the end", "cases open at the end", n)
    if measure.is_rate:
        return ngettext("deadline met", "deadlines met", n)
    return measure.counts[0 if n == 1 else 1]


def change_text(item: Mapping[str, Any]) -> str:
    """A highlight's change in words, the verdict first: "better: 3 fewer breaches", "worse: 5.0
    points lower, 2 fewer deadlines met" (the deadlines the rate's change amounts to)."""
    measure = MEASURES_BY_KEY[item["key"]]
    effect = item["effect"]
    verdict = _("better: %(change)s") if effect > 0 else _("worse: %(change)s")
    rose = item["after"] > item["before"]
    size = abs(effect)
    amount = localized(f"{size:,.0f}" if float(size).is_integer() else f"{size:,.1f}")
    what = _counted(measure, 1 if size == 1 else 2)
    counted = (_("%(size)s more %(what)s") if rose else _("%(size)s fewer %(what)s")) % {
        "size": amount,
        "what": what,
    }
    if measure.is_rate:
        points = abs(item["after"] - item["before"])
        moved = _("%(size)s points higher") if rose else _("%(size)s points lower")
        counted = f"{moved % {'size': localized(f'{points:.1f}')}}, {counted}"
    return verdict % {"change": counted}
