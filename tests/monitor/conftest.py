"""Fixtures for the application's tests."""

from __future__ import annotations

import pytest

from monitor.cli import main


@pytest.fixture
def cli(db_url, monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("FUNDING_MONITOR_DATABASE_URL", db_url)
    monkeypatch.setenv("FUNDING_MONITOR_FETCH_ORIGIN_INTERVAL", "0")
    monkeypatch.chdir(tmp_path)

    def run(*argv: str) -> tuple[int, str, str]:
        code = main(list(argv))
        out, err = capsys.readouterr()
        return code, out, err

    return run
