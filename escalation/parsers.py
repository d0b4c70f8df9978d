"""The API's request parsers (settings ``REST_FRAMEWORK["DEFAULT_PARSER_CLASSES"]``). A module
of its own: DRF imports the classes named in the settings while ``rest_framework.views`` is still
loading, so this module must not import it."""

from __future__ import annotations

from typing import Any

from rest_framework import exceptions, parsers


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser, answering 400 for a document nested deeper than Python's decoder can
    read (it raises RecursionError, which would otherwise be a 500)."""

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise exceptions.ParseError(
                "JSON parse error - the document is nested too deeply."
            ) from None
