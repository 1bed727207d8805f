"""Shared fixtures: pinned time, recorded payloads, loopback servers, and a store on SQLite and
on the PostgreSQL at 127.0.0.1:5432 (a database of its own per test run, dropped afterwards)."""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from monitor.store.db import Store, open_store

FIXTURES = Path(__file__).parent / "fixtures"
# The 2026 recording was captured on 2026-06-27 at 12:50Z: statuses are computed as of then.
CAPTURE_TIME = datetime(2026, 6, 27, 12, 50, tzinfo=UTC)
# What `calls list --json` promises for each call (the interface contract of issue #2).
CALL_JSON_FIELDS = frozenset(
    ("id", "source", "identifier", "title", "summary", "url", "funder", "programme")
    + ("status", "opens", "deadlines", "budget", "tags")
)
PG_ADMIN_URL = os.environ.get("FM_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")


def load_json(relative: str) -> Any:
    return json.loads((FIXTURES / relative).read_text(encoding="utf-8"))


@pytest.fixture
def now() -> datetime:
    return CAPTURE_TIME


@pytest.fixture(scope="session")
def search_2026() -> dict[str, Any]:
    return load_json("eu_ft/search_open_forthcoming_2026-06-27_subset.json")


@pytest.fixture(scope="session")
def search_2025() -> dict[str, Any]:
    return load_json("eu_ft/search_all_legacy_2025-05_pageSize10.json")


def _pg_available() -> str | None:
    """None when the server answers, else why not."""
    try:
        import psycopg

        with psycopg.connect(PG_ADMIN_URL, connect_timeout=3):
            return None
    except Exception as exc:  # any failure means "not available here"
        return f"{exc.__class__.__name__}: {exc}"


@pytest.fixture(scope="session")
def pg_database() -> Iterator[str]:
    """A fresh PostgreSQL database for this test run, migrated once, dropped at the end.

    Skips with the reason when no server answers locally, except in CI (CI=true), where the
    PostgreSQL tests must run and a missing server fails them."""
    problem = _pg_available()
    if problem:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"PostgreSQL at {PG_ADMIN_URL} is required in CI: {problem}")
        pytest.skip(f"no PostgreSQL at {PG_ADMIN_URL}: {problem}")
    with scratch_pg("fm_test") as url:
        store = open_store(url)
        store.dispose()
        yield url


@contextmanager
def scratch_pg(prefix: str) -> Iterator[str]:
    """An empty PostgreSQL database of its own (its SQLAlchemy URL), dropped on the way out."""
    import psycopg

    name = f"{prefix}_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        base = PG_ADMIN_URL.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://")
        yield f"{base}/{name}"
    finally:
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _truncate(store: Store) -> None:
    from sqlalchemy import text
    from sqlmodel import SQLModel

    import monitor.store.tables  # noqa: F401  (every table in the metadata)

    names = ", ".join(
        f'"{name}"' for name in SQLModel.metadata.tables
    )  # every table: none forgotten
    with store.engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database URL with the schema in place and no rows, on each backend."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'test.db'}"
        return
    url = request.getfixturevalue("pg_database")
    store = Store(url)
    _truncate(store)
    store.dispose()
    yield url


@pytest.fixture
def store(db_url: str) -> Iterator[Store]:
    store = open_store(db_url)
    yield store
    store.dispose()
