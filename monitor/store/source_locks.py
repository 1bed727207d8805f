"""Per-source locks: one run of a source at a time, across every process on one database.

Two `fetch` processes, or `fetch` beside `serve` or `run --once`, must never fetch and write
one source at once (they would record the same change twice). A run takes its sources' locks
before it opens their runs and lets each go once that source's outcome is committed; a source
another process holds is left out of the run and reported *busy*, naming the holder.

The locks also tell the living from the dead: a run still marked ``running`` whose source's
lock is free belongs to a process that died (killed, out of memory); it is closed as failed,
so the source is not due again at once (no crash loop) and its health counts the failure.

PostgreSQL: session advisory locks ``(SOURCE_KEY, source id)`` on one connection of this run's
own, released by the server if the process dies. SQLite: an ``flock`` on
``FILE.locks/source-ID`` beside the database file (per open file, so two runs in one process
exclude each other too), released by the kernel. An in-memory database has no other process.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable
from contextlib import suppress
from datetime import UTC
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import SQLAlchemyError

from monitor.errors import ConfigError, StoreError
from monitor.store.db import Store
from monitor.store.leader import identity, shared, try_flock

logger = logging.getLogger(__name__)
SOURCE_KEY = 0x464D_5352  # "FMSR"; the leader lock uses the one-key form, so they never meet
APPLICATION = "funding-monitor fetch"


class SourceLocks:
    """The source locks one run holds. Use as a context manager; not for several threads
    (the run's calling thread takes and releases them)."""

    def __init__(self, store: Store, holder: str | None = None) -> None:
        self.store, self.holder = store, holder or identity()
        self.dialect = store.dialect if shared(store) else "memory"
        self._conn: Connection | None = None
        self._files: dict[int, int] = {}
        self._held: set[int] = set()

    def acquire(self, source_id: int) -> bool:
        """Take the source's lock if it is free; never waits."""
        if source_id in self._held:
            return True
        if self.dialect == "postgresql":
            query = text("SELECT pg_try_advisory_lock(:k, :id)")
            got = bool(self._pg().execute(query, {"k": SOURCE_KEY, "id": source_id}).scalar_one())
        elif self.dialect == "sqlite":
            got = self._flock(source_id)
        else:
            got = True
        if got:
            self._held.add(source_id)
        return got

    def release(self, source_id: int) -> None:
        if source_id not in self._held:
            return
        self._held.discard(source_id)
        if self.dialect == "postgresql" and self._conn is not None:
            with suppress(SQLAlchemyError):  # a lost connection has released it already
                self._conn.execute(text("SELECT pg_advisory_unlock(:k, :id)"),
                                   {"k": SOURCE_KEY, "id": source_id})  # fmt: skip
        fd = self._files.pop(source_id, None)
        if fd is not None:
            with suppress(OSError):
                os.ftruncate(fd, 0)
            os.close(fd)  # closing the file lets the flock go

    def holder_of(self, source_id: int) -> str:
        """Who holds a source's lock ("host:pid since …"), for the busy message."""
        try:
            if self.dialect == "postgresql":
                row = self._pg().execute(
                    text("SELECT a.application_name, a.backend_start FROM pg_locks l "
                         "JOIN pg_stat_activity a ON a.pid = l.pid WHERE l.locktype = 'advisory' "
                         "AND l.granted AND l.classid = :k AND l.objid = :id AND l.objsubid = 2 "
                         "AND l.database = (SELECT oid FROM pg_database "
                         "WHERE datname = current_database())"),
                    {"k": SOURCE_KEY, "id": source_id},
                ).first()  # fmt: skip
                if row is None:
                    return "another process"
                who = str(row[0]).removeprefix(APPLICATION).strip() or "another process"
                return f"{who} since {row[1].astimezone(UTC).isoformat(timespec='seconds')}"
            if self.dialect == "sqlite":
                return (
                    self._path(source_id).read_text(errors="replace").strip() or "another process"
                )
        except (SQLAlchemyError, OSError):
            pass
        return "another process"

    def close(self) -> None:
        for source_id in list(self._held):
            self.release(source_id)
        if self._conn is not None:
            with suppress(SQLAlchemyError):
                self._conn.invalidate()  # never back to the pool with a lock on it
                self._conn.close()
            self._conn = None

    def __enter__(self) -> SourceLocks:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _pg(self) -> Connection:
        if self._conn is None:
            try:
                conn = self.store.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
                conn.execute(text("SELECT set_config('application_name', :name, false)"),
                             {"name": f"{APPLICATION} {self.holder}"[:63]})  # fmt: skip
            except SQLAlchemyError as exc:
                raise StoreError(f"cannot lock sources in {self.store.safe_url}: "
                                 f"{str(exc).splitlines()[0]}") from exc  # fmt: skip
            self._conn = conn
        return self._conn

    def _path(self, source_id: int) -> Path:
        return Path(f"{self.store.engine.url.database}.locks") / f"source-{source_id}"

    def _flock(self, source_id: int) -> bool:
        path = self._path(source_id)
        try:
            path.parent.mkdir(exist_ok=True)
        except OSError as exc:
            raise ConfigError(
                f"cannot make the source lock directory {path.parent}: {exc.strerror}",
                hint="The directory of the SQLite file must be writable by this user.",
            ) from exc
        fd = try_flock(path, self.holder, "source lock file")
        if fd is None:
            return False
        self._files[source_id] = fd
        return True


def lock_all(locks: SourceLocks, source_ids: Iterable[int]) -> tuple[list[int], dict[int, str]]:
    """Try each source's lock: the ids taken, and the busy ones with their holders."""
    taken, busy = [], {}
    for source_id in source_ids:
        if locks.acquire(source_id):
            taken.append(source_id)
        else:
            busy[source_id] = locks.holder_of(source_id)
    return taken, busy
