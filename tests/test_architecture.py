"""The house's floors as import-linter checks them (the contracts in pyproject.toml): kept by
the code as it is, and broken — failing CI — by an import that crosses a floor."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("monitor", "sources", "classifiers", "notifications")
LINT = str(Path(sys.executable).with_name("lint-imports"))


def lint(where: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [LINT, str(where / "pyproject.toml"), "--no-cache"],
        cwd=where, env={"PYTHONPATH": str(where), "PATH": "/usr/bin:/bin"},
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip


@pytest.fixture()
def house(tmp_path: Path) -> Path:
    """A copy of the packages and the contracts, to break on purpose."""
    for package in PACKAGES:
        skip = shutil.ignore_patterns("__pycache__", "data", "demo_data")
        shutil.copytree(ROOT / package, tmp_path / package, ignore=skip)
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


def test_the_code_keeps_every_contract(house: Path) -> None:
    done = lint(house)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "5 kept, 0 broken" in done.stdout


@pytest.mark.parametrize(
    ("module", "line", "contract"),
    [
        ("sources/text.py", "import monitor.config", "never import the application"),
        ("monitor/cli/calls.py", "import monitor.store.views", "only through the use cases"),
        ("monitor/store/db.py", "import monitor.app.calls", "The application's floors"),
        # classify.py imports training.py: the way back closes a cycle
        ("monitor/tagging/training.py", "import monitor.tagging.classify", "No import cycles"),
    ],
)
def test_an_import_across_a_floor_breaks_a_contract(house: Path, module: str, line: str,
                                                    contract: str) -> None:  # fmt: skip
    path = house / module
    path.write_text(path.read_text() + f"\n{line}  # a crossing\n")
    done = lint(house)
    assert done.returncode == 1
    broken = done.stdout.split("Broken contracts")[-1]
    assert contract in broken, done.stdout
