"""Numbers in the active language: the report formats them the Python way, then swaps the
separators, so English output stays exactly as it was ("1,234.5") and Italian reads "1.234,5"."""

from __future__ import annotations

from django.utils import formats


def localized(text: str) -> str:
    """A number written the Python way ("1,234.5") in the active language's separators."""
    decimal = str(formats.get_format("DECIMAL_SEPARATOR"))
    thousands = str(formats.get_format("THOUSAND_SEPARATOR"))
    return text.translate({ord("."): "\0", ord(","): thousands}).replace("\0", decimal)
