"""The database as an operator handles it: create or migrate, show the revision, back up,
copy into another database."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from monitor.app.context import App
from monitor.store import copying
from monitor.store.db import Store
from monitor.store.leader import leading


@dataclass(frozen=True)
class Revision:
    url: str  # secrets blanked
    current: str | None
    head: str | None
    changed: bool = False  # migrated by this call


def upgrade(app: App) -> Revision:
    """Create the schema, or migrate it to the newest revision."""
    store = Store(app.settings.database_url)
    changed = store.upgrade()
    return Revision(store.safe_url, store.current_revision(), store.head_revision(), changed)


def revision(app: App) -> Revision:
    """The schema revision of the database and the newest one this version knows."""
    store = Store(app.settings.database_url)
    return Revision(store.safe_url, store.current_revision(), store.head_revision())


def backup(app: App, file: Path) -> tuple[str, int]:
    """Copy the SQLite file, safely while it is in use: (database shown, bytes written)."""
    store = Store(app.settings.database_url)
    return store.safe_url, copying.backup_sqlite(store, file)


def copy(app: App, target_url: str) -> tuple[str, str, dict[str, int]]:
    """Copy every row into another, empty database, holding the leader lock so that nothing
    writes the source meanwhile: (from, to, rows per table)."""
    store, target = Store(app.settings.database_url), Store(target_url)
    with leading(store):
        counts = copying.copy_rows(store, target)
    return store.safe_url, target.safe_url, counts
