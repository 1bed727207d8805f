"""The Alembic migrations build exactly the schema the models describe, on both backends."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect
from sqlmodel import SQLModel

from monitor.store.db import Store


def test_migrated_schema_matches_the_models(store: Store) -> None:
    with store.engine.connect() as conn:
        differences = compare_metadata(MigrationContext.configure(conn), SQLModel.metadata)
    assert differences == []


def test_upgrade_is_idempotent_and_reports_the_head(store: Store) -> None:
    assert store.current_revision() == store.head_revision() == "0013"
    assert store.upgrade() is False
    tables = set(inspect(store.engine).get_table_names())
    assert {"source", "call", "call_change", "fetch_run", "http_cache"} <= tables


def test_first_use_creates_the_schema(tmp_path) -> None:
    store = Store(f"sqlite:///{tmp_path / 'fresh.db'}")
    assert store.current_revision() is None
    assert store.upgrade() is True
    assert store.current_revision() == "0013"
    store.dispose()


def test_upgrading_from_the_first_schema_keeps_the_data(tmp_path) -> None:
    from alembic import command
    from sqlalchemy import text

    store = Store(f"sqlite:///{tmp_path / 'old.db'}")
    config = store._alembic()
    with store.engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, "0001")
        conn.execute(text(
            "INSERT INTO source (name, kind, url, settings, state, enabled, created_at, "
            "consecutive_failures) VALUES ('eu', 'eu-ft', 'http://x', '{}', '{}', 1, "
            "'2026-01-01 00:00:00', 3)"
        ))  # fmt: skip
    assert store.current_revision() == "0001"
    assert store.upgrade() is True
    with store.engine.connect() as conn:
        row = conn.execute(text("SELECT name, consecutive_failures, healthy FROM source")).one()
    assert tuple(row) == ("eu", 3, 1)
    store.dispose()


def test_the_head_constant_is_alembics_head() -> None:
    """A database at HEAD opens without loading Alembic: HEAD must be the newest migration."""
    from monitor.store.db import HEAD, Store

    assert Store("sqlite://").head_revision() == HEAD
