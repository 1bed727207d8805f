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
    assert store.current_revision() == store.head_revision() == "0001"
    assert store.upgrade() is False
    tables = set(inspect(store.engine).get_table_names())
    assert {"source", "call", "call_change", "fetch_run", "http_cache"} <= tables


def test_first_use_creates_the_schema(tmp_path) -> None:
    store = Store(f"sqlite:///{tmp_path / 'fresh.db'}")
    assert store.current_revision() is None
    assert store.upgrade() is True
    assert store.current_revision() == "0001"
    store.dispose()
