"""Whole-database operations: an online backup of a SQLite file, and copying every row of one
store into another (from SQLite to PostgreSQL when a deployment is shared)."""

from __future__ import annotations

import logging
import sqlite3
from pathlib import Path

from sqlalchemy import Integer, func, insert, select, text
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import SQLModel

from monitor.errors import ConfigError, StoreError
from monitor.store import tables  # noqa: F401 - registers every table on SQLModel.metadata
from monitor.store.db import Store

logger = logging.getLogger(__name__)
BATCH = 2000


def backup_sqlite(store: Store, target: Path) -> int:
    """Copy the SQLite database to ``target`` with SQLite's online backup (consistent even
    while `serve` writes); returns the size in bytes."""
    database = store.engine.url.database or ""
    if store.dialect != "sqlite" or database in ("", ":memory:"):
        raise ConfigError(
            "`db backup` copies a SQLite file; this database is not one",
            hint="Back PostgreSQL up with pg_dump (see Operations in README.md).",
        )
    if target.exists():
        raise ConfigError(f"{target} exists; give a new file name")
    try:
        with sqlite3.connect(database) as source, sqlite3.connect(target) as copy:
            source.backup(copy)
    except sqlite3.Error as exc:
        target.unlink(missing_ok=True)
        raise StoreError(f"backup of {database} to {target} failed: {exc}") from exc
    return target.stat().st_size


def copy_rows(source: Store, target: Store) -> dict[str, int]:
    """Copy every row of every table from ``source`` into the empty ``target`` (migrated to
    the newest schema first), parents before children and in key order, in one transaction;
    PostgreSQL's id sequences are moved past the copied ids and its statistics gathered
    (ANALYZE). Returns rows per table."""
    source.upgrade()
    target.upgrade()
    ordered = SQLModel.metadata.sorted_tables
    counts: dict[str, int] = {}
    try:
        with source.engine.connect() as src, target.engine.begin() as dst:
            filled = [t.name for t in ordered
                      if dst.execute(select(func.count()).select_from(t)).scalar_one()]  # fmt: skip
            if filled:
                raise ConfigError(
                    f"the target database is not empty ({', '.join(filled)} have rows)",
                    hint="Copy into a new, empty database.",
                )
            for table in ordered:
                rows = src.execution_options(stream_results=True).execute(
                    select(table).order_by(*table.primary_key.columns)
                )
                counts[table.name] = 0
                for chunk in rows.partitions(BATCH):
                    dst.execute(insert(table), [dict(row._mapping) for row in chunk])
                    counts[table.name] += len(chunk)
            if target.dialect == "postgresql":
                _move_sequences(dst)
    except SQLAlchemyError as exc:
        first = str(exc).splitlines()[0] if str(exc) else exc.__class__.__name__
        raise StoreError(f"copying {source.safe_url} to {target.safe_url} failed: {first}") from exc
    logger.info("copied database from=%s to=%s rows=%d", source.safe_url, target.safe_url,
                sum(counts.values()))  # fmt: skip
    if target.dialect == "postgresql":
        _analyse(target)
    return counts


def _analyse(target: Store) -> None:
    """The planner's statistics for the copied rows, before autovacuum gets to them: the first
    pages plan with the real sizes. The copy stands if this fails (autovacuum will do it)."""
    try:
        with target.engine.connect() as conn:
            conn.execute(text("ANALYZE"))
            conn.commit()
    except SQLAlchemyError as exc:
        first = str(exc).splitlines()[0] if str(exc) else exc.__class__.__name__
        logger.warning("statistics of %s not gathered (autovacuum will): %s",
                       target.safe_url, first)  # fmt: skip


def _move_sequences(conn: object) -> None:
    for table in SQLModel.metadata.sorted_tables:
        column = table.columns.get("id")
        if column is None or not isinstance(column.type, Integer):
            continue
        conn.execute(  # type: ignore[attr-defined]
            text(f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                 f"COALESCE((SELECT MAX(id) FROM {table.name}), 0) + 1, false)")
        )  # fmt: skip
