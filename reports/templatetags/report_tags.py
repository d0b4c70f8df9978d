from __future__ import annotations

from datetime import datetime
from typing import Any

from django import template

from reports.presentation import Column, format_value

register = template.Library()


@register.filter
def cell(row: dict[str, Any], column: Column) -> str:
    """The formatted text of ``column`` in ``row``."""
    return format_value(column.kind, row.get(column.key))


@register.filter
def lookup(mapping: dict[str, Any], key: str) -> Any:
    return mapping.get(key) if mapping else None


@register.filter
def as_datetime(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


@register.filter
def numeric(column: Column) -> bool:
    return column.kind in {"count", "pct", "hours", "days", "score", "signed"}
