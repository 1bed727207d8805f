"""A read command on a database that does not exist yet says so and creates nothing; the
writing commands still create it (issue #12, 8)."""

from __future__ import annotations

import sqlite3

import pytest

from monitor.cli import main
from monitor.errors import StoreError
from monitor.store.db import Store, open_store
from tests.conftest import scratch_pg

READS = (
    ("calls", "list"),
    ("calls", "show", "1"),
    ("status",),
    ("sources", "list"),
    ("sources", "export"),
    ("sources", "test", "eu"),
    ("subscribers", "list"),
    ("digest", "preview", "a@ki.se"),
    ("tags", "list"),
)


@pytest.fixture
def missing(tmp_path, monkeypatch):
    path = tmp_path / "nowhere" / "fm.db"
    path.parent.mkdir()
    monkeypatch.setenv("FUNDING_MONITOR_DATABASE_URL", f"sqlite:///{path}")
    monkeypatch.chdir(tmp_path)
    return path


@pytest.mark.parametrize("argv", READS, ids=" ".join)
def test_a_read_command_names_the_missing_database_and_creates_none(missing, capsys,
                                                                    argv) -> None:  # fmt: skip
    code = main(list(argv))
    _, err = capsys.readouterr()
    assert code == 2
    assert f"database {missing} does not exist yet" in err
    assert "funding-monitor init" in err and "FUNDING_MONITOR_DATABASE_URL" in err
    assert "Traceback" not in err
    assert list(missing.parent.iterdir()) == []  # no file, no -wal, no -shm


def test_writing_commands_still_create_it(missing, capsys) -> None:
    assert main(["init"]) == 0
    assert missing.exists()
    assert main(["calls", "list"]) == 0
    assert "no calls match" in capsys.readouterr().out


def test_an_empty_sqlite_file_without_the_schema_is_not_filled_by_a_read(tmp_path) -> None:
    path = tmp_path / "empty.db"
    path.write_bytes(b"")  # an empty file: a database with no tables
    db_url = f"sqlite:///{path}"
    with pytest.raises(StoreError, match="has no funding-monitor tables yet"):
        open_store(db_url, create=False)
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT count(*) FROM sqlite_master").fetchone() == (0,)
    open_store(db_url).dispose()  # the default still creates the schema


def test_an_empty_postgresql_database_is_not_filled_by_a_read(pg_database) -> None:
    from sqlalchemy import inspect

    with scratch_pg("fm_empty") as db_url:
        with pytest.raises(StoreError, match="has no funding-monitor tables yet"):
            open_store(db_url, create=False)
        store = Store(db_url)
        assert inspect(store.engine).get_table_names() == []
        store.dispose()
        open_store(db_url).dispose()  # the default still creates the schema
