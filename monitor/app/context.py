"""``App``: what every use case stands on — the settings, and the store opened once."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from monitor.config import Settings

if TYPE_CHECKING:  # the store (SQLAlchemy) is loaded only by a use case that opens it
    from monitor.store.db import Store


class App:
    """The settings and the store of one process (a command, the web server, ``serve``)."""

    def __init__(
        self,
        settings: Settings,
        *,
        wait: float | None = None,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        """``wait``: at most so many seconds for a database lock (the store's default else);
        ``clock``: what "now" is for the pages (the demo pins it to its recording's day)."""
        self.settings = settings
        self.clock = clock
        self.wait = wait
        self._store: Store | None = None
        self._opening = threading.Lock()  # the web face's threads may ask at the same time
        # What a use case keeps between calls in a long-lived process (the search index), by
        # the use case's own key; a command's process ends before it matters.
        self.kept: dict[str, object] = {}

    def now(self) -> datetime:
        return self.clock() if self.clock else datetime.now(UTC)

    def store(self, *, create: bool = True) -> Store:
        """The store, migrated to the newest schema on first use. ``create=False`` (a read) does
        not make a database that does not exist: StoreError with a hint instead."""
        with self._opening:
            if self._store is None:
                from monitor.store.db import open_store

                url = self.settings.database_url
                self._store = open_store(url, create=create, wait=self.wait)
            return self._store

    def close(self) -> None:
        if self._store is not None:
            self._store.dispose()
            self._store = None
