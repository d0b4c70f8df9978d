"""The Italian catalogue holds every message of the code, translated, and its .mo is fresh.

The messages are extracted the way a developer does it (``makemessages -l it``, Django's own
command over GNU gettext), into a copy of the catalogue in a temporary directory, so a string
added without running makemessages fails here too. GNU gettext's ``msgattrib`` then lists what
has no translation or only a fuzzy one; ``msgfmt`` compiles the committed .po to compare with the
committed .mo (``make messages`` writes both).
"""

from __future__ import annotations

import fcntl
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest
from django.core.management import call_command
from django.test import override_settings

from tests.conftest import require_service

ROOT = Path(__file__).resolve().parents[2]
CATALOGUE = ROOT / "locale" / "it" / "LC_MESSAGES"
# What makemessages leaves out: not code of the product (the same list as ``make messages``).
IGNORED = [".venv/*", "var/*", "tests/*", "bench/*", "node_modules/*"]


def gettext_tools() -> None:
    require_service(bool(shutil.which("msgattrib") and shutil.which("msgfmt")), "GNU gettext")


def msgids(po_text: str) -> list[str]:
    """The msgids of a .po text (joined continuation lines), the header's empty one left out."""
    found = []
    for block in re.split(r"\n\s*\n", po_text):
        match = re.search(r'^msgid ((?:".*"\n?)+)', block, re.M)
        if match:
            text = "".join(re.findall(r'"(.*)"', match.group(1)))
            if text:
                found.append(text)
    return found


# makemessages writes temporary files into the tree (``<template>.py`` beside each template,
# ``locale/django.pot``): parallel test processes (pytest-xdist) take turns, under a file lock.
EXTRACT_LOCK = Path(tempfile.gettempdir()) / "escalation-makemessages.lock"


@pytest.fixture(scope="module")
def extracted(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The Italian catalogue as ``makemessages`` makes it from the code now."""
    gettext_tools()
    locale = tmp_path_factory.mktemp("locale")
    (locale / "it" / "LC_MESSAGES").mkdir(parents=True)
    shutil.copy(CATALOGUE / "django.po", locale / "it" / "LC_MESSAGES" / "django.po")
    with (
        EXTRACT_LOCK.open("w") as lock,
        override_settings(LOCALE_PATHS=[locale]),
        pytest.MonkeyPatch.context() as patch,
    ):
        fcntl.flock(lock, fcntl.LOCK_EX)
        patch.chdir(ROOT)
        call_command(
            "makemessages",
            locale=["it"],
            ignore_patterns=IGNORED,
            add_location="file",
            verbosity=0,
        )
    return locale / "it" / "LC_MESSAGES" / "django.po"


def attrib(po: Path, *flags: str) -> list[str]:
    result = subprocess.run(
        ["msgattrib", "--no-obsolete", "--no-wrap", *flags, str(po)],
        capture_output=True,
        text=True,
        check=True,
    )
    return msgids(result.stdout)


def test_every_message_has_an_italian_translation(extracted: Path) -> None:
    missing = attrib(extracted, "--untranslated")
    assert not missing, (
        f"{len(missing)} messages without Italian (run `make messages`, translate them in "
        f"locale/it/LC_MESSAGES/django.po): {missing[:40]}"
    )


def test_no_italian_translation_is_fuzzy(extracted: Path) -> None:
    fuzzy = attrib(extracted, "--only-fuzzy")
    assert not fuzzy, f"fuzzy (unchecked) Italian translations: {fuzzy[:40]}"


def test_the_committed_catalogue_holds_every_message_of_the_code(extracted: Path) -> None:
    committed = set(msgids((CATALOGUE / "django.po").read_text(encoding="utf-8")))
    new = [m for m in msgids(extracted.read_text(encoding="utf-8")) if m not in committed]
    assert not new, f"messages not yet in the committed .po (run `make messages`): {new[:40]}"


def test_the_italian_placeholders_match_the_english_ones() -> None:
    gettext_tools()
    result = subprocess.run(
        ["msgfmt", "--check", "-o", "/dev/null", str(CATALOGUE / "django.po")],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr


def test_the_compiled_catalogue_is_the_committed_one_compiled(tmp_path: Path) -> None:
    gettext_tools()
    compiled = tmp_path / "django.mo"
    # The command compilemessages runs.
    subprocess.run(
        ["msgfmt", "--check-format", "-o", str(compiled), str(CATALOGUE / "django.po")],
        check=True,
    )
    assert (CATALOGUE / "django.mo").read_bytes() == compiled.read_bytes(), (
        "locale/it/LC_MESSAGES/django.mo is stale: run `make messages`"
    )


def test_the_checks_see_a_missing_translation(tmp_path: Path) -> None:
    gettext_tools()
    po = tmp_path / "django.po"
    po.write_text(
        'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n\n'
        'msgid "Done"\nmsgstr "Fatto"\n\n'
        'msgid "Not yet"\nmsgstr ""\n\n'
        '#, fuzzy\nmsgid "Unsure"\nmsgstr "Incerto"\n',
        encoding="utf-8",
    )
    assert attrib(po, "--untranslated") == ["Not yet"]
    assert attrib(po, "--only-fuzzy") == ["Unsure"]
