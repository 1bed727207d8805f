"""The README keeps its promises: the newcomer commands and every setting are there."""

from __future__ import annotations

from pathlib import Path

from monitor.config import describe
from sources.registry import all_kinds

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_every_setting_is_in_the_readme_table() -> None:
    for variable, _default, description in describe():
        assert f"| `{variable}` |" in README, variable
        assert description, f"{variable} has no description"


def test_every_source_setting_is_in_the_readme() -> None:
    for kind in all_kinds():
        for name, _default, _description in kind.setting_help():
            assert f"| `{name}` |" in README, (kind.name, name)


def test_the_two_newcomer_commands_are_there() -> None:
    assert "pip install . && .venv/bin/funding-monitor demo" in README
    assert "pip install '.[test]' && .venv/bin/python -m pytest -q" in README


def test_ci_runs_the_readme_test_command() -> None:
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "python -m pytest -q" in ci and "'.[test]'" in ci
