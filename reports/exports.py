"""CSV files of the report's tables."""

from __future__ import annotations

import csv
from typing import Any, Protocol

from reports.presentation import Table, csv_value

# A spreadsheet runs a cell starting with one of these as a formula: user text (titles,
# customer names) gets a leading apostrophe so it stays text.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


class Writable(Protocol):
    def write(self, text: str, /) -> Any: ...


def _cell(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def table_csv(table: Table, out: Writable) -> None:
    writer = csv.writer(out)
    writer.writerow([c.label for c in table.columns])
    for row in table.rows:
        writer.writerow([_cell(csv_value(c.kind, row.get(c.key))) for c in table.columns])
