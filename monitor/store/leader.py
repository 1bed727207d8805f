"""The leader lock: of all the processes sharing one database, only its holder runs the jobs.

PostgreSQL: a session advisory lock, held by one dedicated connection. The server releases it
the moment that connection ends, so a process that dies (even by SIGKILL, or with its machine)
frees it for a standby at once. SQLite: an exclusive ``flock`` on ``FILE.leader`` beside the
database file; the kernel releases it when the process dies. A standby tries again every
``LEADER_POLL`` seconds, so it takes over within that time of the leader's death.
"""

from __future__ import annotations

import fcntl
import logging
import os
import socket
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import SQLAlchemyError

from monitor.errors import BusyError, ConfigError
from monitor.store.db import Store

logger = logging.getLogger(__name__)
LOCK_KEY = 0x46_4D_4C_44  # "FMLD": one key per database (advisory locks are per database)
APPLICATION = "funding-monitor leader"


def identity() -> str:
    """This process, as operators see it in `status`: host:pid."""
    return f"{socket.gethostname()}:{os.getpid()}"


class LeaderLock(Protocol):
    holder: str

    def acquire(self) -> bool:
        """Take the lock if it is free; never waits."""

    def holding(self) -> bool:
        """Whether this process still holds it (the connection or file may have gone)."""

    def release(self) -> None: ...


class AdvisoryLock:
    """PostgreSQL's session advisory lock on a connection of its own."""

    def __init__(self, store: Store, holder: str) -> None:
        self.store, self.holder = store, holder
        self.conn: Connection | None = None

    def acquire(self) -> bool:
        try:
            conn = self.conn or self.store.engine.connect().execution_options(
                isolation_level="AUTOCOMMIT"
            )
            self.conn = conn
            name = f"{APPLICATION} {self.holder}"[:63]
            conn.execute(text("SELECT set_config('application_name', :name, false)"),
                         {"name": name})  # fmt: skip
            got = bool(conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": LOCK_KEY})
                       .scalar_one())  # fmt: skip
        except SQLAlchemyError as exc:
            logger.warning("leader lock unavailable error=%s", str(exc).splitlines()[0])
            self._drop()
            return False
        return got

    def holding(self) -> bool:
        if self.conn is None:
            return False
        try:
            held = self.conn.execute(
                text("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted "
                     "AND classid = 0 AND objid = :k AND objsubid = 1 AND pid = pg_backend_pid()"),
                {"k": LOCK_KEY},
            ).scalar_one()  # fmt: skip
        except SQLAlchemyError as exc:
            logger.error("leader lock lost error=%s", str(exc).splitlines()[0])
            self._drop()
            return False
        return bool(held)

    def release(self) -> None:
        if self.conn is not None:
            with suppress(SQLAlchemyError):  # closing the connection releases it anyway
                self.conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": LOCK_KEY})
        self._drop()

    def _drop(self) -> None:
        if self.conn is not None:
            with suppress(SQLAlchemyError):
                self.conn.invalidate()  # never back to the pool: the lock dies with it
                self.conn.close()
        self.conn = None


def try_flock(path: Path, holder: str, what: str) -> int | None:
    """An exclusive ``flock`` on ``path`` (created if need be), which then names ``holder``:
    its file descriptor, or None when another open file holds it. Never waits. ConfigError
    naming ``what`` when the file cannot be opened."""
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as exc:
        raise ConfigError(
            f"cannot open the {what} {path}: {exc.strerror}",
            hint="The directory of the SQLite file must be writable by this user.",
        ) from exc
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(fd)
        return None
    os.ftruncate(fd, 0)
    os.write(fd, f"{holder} since {datetime.now(UTC).isoformat(timespec='seconds')}\n".encode())
    return fd


class FileLock:
    """An exclusive flock on a file beside the SQLite database; the file names its holder."""

    def __init__(self, path: Path, holder: str) -> None:
        self.path, self.holder = path, holder
        self.fd: int | None = None

    def acquire(self) -> bool:
        self.fd = try_flock(self.path, self.holder, "leader lock file")
        return self.fd is not None

    def holding(self) -> bool:
        """Held, and the file at the path is still ours (a deleted lock file would let a second
        process lock a new one)."""
        if self.fd is None:
            return False
        try:
            return os.stat(self.path).st_ino == os.fstat(self.fd).st_ino
        except OSError:
            return False

    def release(self) -> None:
        if self.fd is not None:
            os.ftruncate(self.fd, 0)
            os.close(self.fd)  # closing releases the flock
            self.fd = None


def shared(store: Store) -> bool:
    """Whether other processes can open this database (not an in-memory one)."""
    database = store.engine.url.database or ""
    return store.dialect != "sqlite" or database not in ("", ":memory:")


def lock_path(store: Store) -> Path:
    if not shared(store):
        raise ConfigError(
            "the scheduler needs a database file or PostgreSQL, not an in-memory database",
            hint="Set FUNDING_MONITOR_DATABASE_URL to sqlite:///FILE or postgresql+psycopg://…",
        )
    return Path(str(store.engine.url.database) + ".leader")


def leader_lock(store: Store, holder: str | None = None) -> LeaderLock:
    holder = holder or identity()
    if store.dialect == "postgresql":
        return AdvisoryLock(store, holder)
    return FileLock(lock_path(store), holder)


def current_leader(store: Store) -> str | None:
    """Who holds the lock now ("host:pid since …"), or None when nobody does (never anybody
    for an in-memory database)."""
    if not shared(store):
        return None
    try:
        return _holder(store)
    except SQLAlchemyError as exc:
        return f"(unknown: {str(exc).splitlines()[0]})"


def _holder(store: Store) -> str | None:
    if store.dialect == "postgresql":
        with store.engine.connect() as conn:
            row = conn.execute(
                text("SELECT a.application_name, a.backend_start FROM pg_locks l "
                     "JOIN pg_stat_activity a ON a.pid = l.pid WHERE l.locktype = 'advisory' "
                     "AND l.granted AND l.classid = 0 AND l.objid = :k AND l.objsubid = 1 "
                     "AND l.database = (SELECT oid FROM pg_database "
                     "WHERE datname = current_database())"),
                {"k": LOCK_KEY},
            ).first()  # fmt: skip
        if row is None:
            return None
        holder = str(row[0]).removeprefix(APPLICATION).strip() or "(unknown)"
        return f"{holder} since {row[1].astimezone(UTC).isoformat(timespec='seconds')}"
    path = lock_path(store)
    if not path.exists():
        return None
    with open(path, encoding="utf-8", errors="replace") as handle:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_SH | fcntl.LOCK_NB)
        except OSError:
            return handle.read().strip() or "(unknown)"
    return None  # we could lock it: nobody holds it (closing the file let go again)


@contextmanager
def leading(store: Store) -> Iterator[None]:
    """Hold the leader lock for a one-off run (`run --once`, `digest send`); BusyError naming
    the holder if another process has it. An in-memory database has no other process."""
    if not shared(store):
        yield
        return
    lock = leader_lock(store)
    if not lock.acquire():
        raise BusyError(f"another process holds the leader lock: {current_leader(store)}")
    try:
        yield
    finally:
        lock.release()
