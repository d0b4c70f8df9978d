"""The apps depend one way (README, "How the apps depend on each other"): the import-linter
contracts of pyproject.toml hold for the code base, and they do refuse an import against the
direction (checked on a scratch copy of the layout, so the real code never has to break)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")
PACKAGES = [
    "escalation",
    "cases",
    "sla",
    "forecasts",
    "alerts",
    "comms",
    "reviews",
    "incidents",
    "reports",
    "contracts",
    "demo",
]
OTHER = {"apps-layers": "plumbing-below-apps", "plumbing-below-apps": "apps-layers"}


def lint_imports(where: Path, *options: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache", "--config", str(where / "pyproject.toml"), *options],
        cwd=where,
        env={"PYTHONPATH": str(where), "PATH": ""},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_every_import_follows_the_direction_of_the_layers() -> None:
    result = lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


@pytest.mark.parametrize(
    ("module", "imports", "contract"),
    [
        ("cases.services", "sla", "apps-layers"),
        ("sla.services", "reviews.services", "apps-layers"),
        ("sla.outbox", "comms", "apps-layers"),
        ("comms.outgoing", "reviews.services", "apps-layers"),
        ("reports.views", "demo", "apps-layers"),
        ("demo.seeding", "escalation.urls", "apps-layers"),
        ("escalation.text", "cases.models", "plumbing-below-apps"),
    ],
)
def test_an_import_against_the_direction_breaks_a_contract(
    tmp_path: Path, module: str, imports: str, contract: str
) -> None:
    (tmp_path / "pyproject.toml").write_text((ROOT / "pyproject.toml").read_text())
    for package in PACKAGES:
        (tmp_path / package).mkdir()
        (tmp_path / package / "__init__.py").write_text("")
    for name in ("escalation.urls", "cases.models", "reviews.services"):
        (tmp_path / f"{name.replace('.', '/')}.py").write_text("")
    (tmp_path / "escalation" / "urls.py").write_text("import cases\nimport demo\n")  # allowed
    (tmp_path / f"{module.replace('.', '/')}.py").write_text(f"import {imports}\n")
    assert lint_imports(tmp_path, "--contract", contract).returncode == 1
    others = lint_imports(tmp_path, "--contract", OTHER[contract])
    assert others.returncode == 0, others.stdout + others.stderr
    result = lint_imports(tmp_path)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Contracts: 1 kept, 1 broken." in result.stdout
    assert f"{module} -> {imports}" in result.stdout
