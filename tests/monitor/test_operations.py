"""The operator's commands: backing up the SQLite file while it is in use, and moving a
deployment from SQLite to PostgreSQL with every row and the ids going on from there."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from monitor.store import ledger
from monitor.store.db import open_store
from tests.conftest import scratch_pg
from tests.mailserver import Mailbox

AS_OF = "2026-06-27T12:50:00+00:00"


@pytest.fixture
def empty_pg(pg_database: str) -> Iterator[str]:
    """A second, empty PostgreSQL database (the run's own one has the schema and rows)."""
    with scratch_pg("fm_copy") as url:
        yield url


def test_backup_is_a_whole_consistent_copy(cli, portal, db_url: str, tmp_path: Path) -> None:
    if not db_url.startswith("sqlite"):
        code, _, err = cli("db", "backup", "x.db")
        assert code == 2 and "pg_dump" in err
        return
    code, out, _ = cli("db", "backup", "backup.db")
    assert code == 0 and "backed up" in out
    with sqlite3.connect(tmp_path / "backup.db") as copy:
        assert copy.execute("SELECT count(*) FROM call").fetchone() == (11,)
        assert copy.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    code, _, err = cli("db", "backup", "backup.db")
    assert code == 2 and "exists" in err  # never overwrites


def test_a_deployment_moves_to_the_other_backend_with_everything(
    cli, portal, box: Mailbox, db_url: str, request, tmp_path: Path, monkeypatch
) -> None:
    """SQLite → PostgreSQL (the way a deployment grows), and back (PostgreSQL → SQLite)."""
    if db_url.startswith("sqlite"):
        other = request.getfixturevalue("empty_pg")
    else:
        other = f"sqlite:///{tmp_path / 'moved.db'}"
    cli("subscribers", "add", "r@ki.se", "--tag", "global-actor")
    assert cli("digest", "send", "--as-of", AS_OF)[0] == 0
    code, before, _ = cli("calls", "list", "--json")
    code, out, err = cli("db", "copy", "--to", other)
    assert code == 0, err
    assert "call 11," in out and "announcement 8" in out  # the ledger goes too
    monkeypatch.setenv("FUNDING_MONITOR_DATABASE_URL", other)
    code, after, _ = cli("calls", "list", "--json")
    assert json.loads(after) == json.loads(before)
    store = open_store(other)
    assert [d.status for d in ledger.deliveries(store)] == ["sent"]
    if other.startswith("postgresql"):  # analysed at once, not when autovacuum gets to it
        from sqlalchemy import text

        with store.engine.connect() as conn:
            analysed = conn.execute(text("SELECT last_analyze FROM pg_stat_user_tables "
                                         "WHERE relname = 'call'")).scalar_one()  # fmt: skip
        assert analysed is not None
    store.dispose()
    # the ids go on after the copied ones: new rows can be added
    code, out, _ = cli("subscribers", "add", "new@ki.se")
    assert code == 0 and "added subscriber 2" in out
    assert cli("digest", "send", "--as-of", AS_OF)[0] == 0  # the newcomer's first digest only
    assert [m["To"] for m in box.messages] == ["r@ki.se", "new@ki.se"]
    monkeypatch.setenv("FUNDING_MONITOR_DATABASE_URL", db_url)
    code, _, err = cli("db", "copy", "--to", other)
    assert code == 2 and "not empty" in err
