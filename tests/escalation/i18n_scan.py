"""Find the words of a template that do not go through translation.

The template is read with Django's own ``Lexer``: ``{% translate %}`` and the text inside
``{% blocktranslate %}`` are translated; comments, ``{% comment %}`` and ``{% verbatim %}``
are not shown to anyone. Every other text token is HTML: each ``{{ variable }}`` and ``{% tag %}``
is replaced by a placeholder, the HTML is parsed (``html.parser``) and what remains is looked at:
text between tags, and the attributes people read (``title``, ``aria-label``, ``placeholder``,
``alt``, a button's ``value``, ``label``, ``data-confirm``). Inside ``<script>`` and ``<style>``
nothing is language.

Literal strings inside tags are language too when they are a filter's fallback text
(``|default:"No team"``) or an ``{% include ... with label="Severity" %}`` argument that looks like
words (a capital letter or a space; lowercase codes like ``value="severity"`` are not): they
must be ``_("...")``.

Run ``python -m tests.escalation.i18n_scan`` to list what is left in every template.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

from django.template.base import Lexer, TokenType

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
PLACEHOLDER = "\ue000"
LETTERS = re.compile(r"[^\W\d_]", re.UNICODE)
# Words that are not language: the product's name (a brand, the same in every language).
NOT_LANGUAGE = {"Escalation"}
READ_ATTRIBUTES = {"title", "aria-label", "placeholder", "alt", "label", "data-confirm"}
FALLBACK_FILTERS = re.compile(r"\|(?:default|default_if_none)\s*:\s*(\"[^\"]*\"|'[^']*')")
WITH_LITERAL = re.compile(r"\b[\w.]+=(\"[^\"]*\"|'[^']*')")
SKIP_BLOCKS = {"comment": "endcomment", "verbatim": "endverbatim"}
# ``{% block container %}container-fluid{% endblock %}``: blocks that hold CSS classes.
CLASS_BLOCKS = {"container"}


@dataclass(frozen=True)
class Literal:
    path: str
    line: int
    text: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.text!r}"


def _is_language(text: str) -> bool:
    words = text.replace(PLACEHOLDER, " ").split()
    return any(LETTERS.search(word) and word not in NOT_LANGUAGE for word in words)


def _looks_like_words(literal: str) -> bool:
    """A literal argument that is words, not a code or a CSS class: a capital or a space."""
    return _is_language(literal) and (" " in literal.strip() or literal != literal.lower())


class _Reader(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[int, str]] = []
        self._raw = 0  # inside <script> or <style>

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in {"script", "style"}:
            self._raw += 1
        names = dict(attrs)
        for name, value in attrs:
            wanted = name in READ_ATTRIBUTES or (
                name == "value"
                and tag == "input"
                and names.get("type") in {"submit", "button", "reset"}
            )
            if wanted and value and _is_language(value):
                self.found.append((self.getpos()[0], f"{name}={value.strip()}"))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag in {"script", "style"}:
            self._raw -= 1

    def handle_endtag(self, tag: str) -> None:
        if tag in {"script", "style"} and self._raw:
            self._raw -= 1

    def handle_data(self, data: str) -> None:
        if not self._raw and _is_language(data):
            # The line of the first word, not of the whitespace before it.
            line = self.getpos()[0] + data[: len(data) - len(data.lstrip())].count("\n")
            self.found.append((line, " ".join(data.split())))


def template_literals(source: str, path: str = "") -> list[Literal]:
    """The untranslated language of one template's source."""
    found: list[Literal] = []
    html: list[str] = []
    skip_until: str | None = None
    in_blocktranslate = False
    blocks: list[str] = []
    for token in Lexer(source).tokenize():
        contents = token.contents
        if token.token_type == TokenType.BLOCK:
            name = contents.split()[0] if contents else ""
            if skip_until:
                if name == skip_until:
                    skip_until = None
                html.append(_hole(contents))
                continue
            if name in SKIP_BLOCKS:
                skip_until = SKIP_BLOCKS[name]
                html.append(_hole(contents))
                continue
            if name == "block":
                blocks.append(contents.split()[1])
            elif name == "endblock" and blocks:
                blocks.pop()
            elif name in {"blocktranslate", "blocktrans"}:
                in_blocktranslate = True
            elif name in {"endblocktranslate", "endblocktrans"}:
                in_blocktranslate = False
            elif name not in {"translate", "trans"}:
                for literal in WITH_LITERAL.findall(contents):
                    if _looks_like_words(literal[1:-1]):
                        found.append(Literal(path, token.lineno, f"{{% {contents} %}}"))
            html.append(_hole(contents))
        elif token.token_type == TokenType.VAR:
            if not skip_until:  # (a variable inside a comment block is only text)
                for literal in FALLBACK_FILTERS.findall(contents):
                    if _looks_like_words(literal[1:-1]):
                        found.append(Literal(path, token.lineno, f"{{{{ {contents} }}}}"))
                html.append(_hole(contents))
        elif token.token_type == TokenType.TEXT:
            hidden = skip_until or in_blocktranslate or (blocks and blocks[-1] in CLASS_BLOCKS)
            html.append(_hole(contents) if hidden else contents)
        else:  # a {# comment #}
            html.append(_hole(contents))
    reader = _Reader()
    reader.feed("".join(html))
    reader.close()
    found.extend(Literal(path, line, text) for line, text in reader.found)
    return sorted(found, key=lambda literal: literal.line)


def _hole(contents: str) -> str:
    """A placeholder for what is not HTML, with its newlines, so that the parser's line
    numbers are the template's."""
    return PLACEHOLDER + "\n" * contents.count("\n")


def all_literals(root: Path = TEMPLATES) -> list[Literal]:
    found: list[Literal] = []
    for template in sorted(root.rglob("*.html")) + sorted(root.rglob("*.txt")):
        found.extend(
            template_literals(template.read_text(encoding="utf-8"), str(template.relative_to(root)))
        )
    return found


if __name__ == "__main__":
    prefixes = tuple(sys.argv[1:])
    for literal in all_literals():
        if not prefixes or literal.path.startswith(prefixes):
            print(literal)
