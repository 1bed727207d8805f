"""``App``: what every use case stands on — the settings, and the store opened once."""

from __future__ import annotations

from typing import TYPE_CHECKING

from monitor.config import Settings

if TYPE_CHECKING:  # the store (SQLAlchemy) is loaded only by a use case that opens it
    from monitor.store.db import Store


class App:
    """The settings and the store of one process (a command, the web server, ``serve``)."""

    def __init__(self, settings: Settings, *, wait: float | None = None) -> None:
        """``wait``: at most so many seconds for a database lock (the store's default else)."""
        self.settings = settings
        self.wait = wait
        self._store: Store | None = None

    def store(self, *, create: bool = True) -> Store:
        """The store, migrated to the newest schema on first use. ``create=False`` (a read) does
        not make a database that does not exist: StoreError with a hint instead."""
        if self._store is None:
            from monitor.store.db import open_store

            self._store = open_store(self.settings.database_url, create=create, wait=self.wait)
        return self._store

    def close(self) -> None:
        if self._store is not None:
            self._store.dispose()
            self._store = None
