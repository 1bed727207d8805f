"""The database handle: engine, sessions and Alembic migrations (run on first use)."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from sqlalchemy import event, text
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError
from sqlmodel import Session, create_engine

from monitor.errors import StoreError

if TYPE_CHECKING:  # Alembic is loaded only when a database needs migrating
    from alembic.config import Config

logger = logging.getLogger(__name__)
MIGRATIONS = Path(__file__).with_name("migrations")
# The newest migration under migrations/versions (a test checks it against Alembic's own
# reading): a database already there is opened without loading Alembic at all.
HEAD = "0013"
T = TypeVar("T")
CHUNK = 500  # values in one IN list or one batched statement: well inside every backend's limit


def chunks(items: Sequence[T], size: int = CHUNK) -> Iterator[Sequence[T]]:
    """``items`` in slices of ``size``."""
    for start in range(0, len(items), size):
        yield items[start : start + size]


class Store:
    """One database. ``Store(url)`` connects lazily; ``upgrade()`` brings the schema to head."""

    def __init__(self, url: str, *, wait: float | None = None) -> None:
        """``wait``: at most so many seconds for a lock (or, on PostgreSQL, a statement) before
        the database error; default 30 s for SQLite's locks, no limit on PostgreSQL."""
        try:
            parsed = make_url(url)
        except ArgumentError as exc:
            raise StoreError(f"invalid database URL: {exc}") from exc
        self.url = url
        self.safe_url = parsed.render_as_string(hide_password=True)
        self.dialect = parsed.get_backend_name()
        # JSON columns keep non-ASCII text as is, so that searching keywords works everywhere.
        kwargs: dict[str, object] = {"json_serializer": _json_dumps}
        if self.dialect == "sqlite":
            kwargs["connect_args"] = {"timeout": 30 if wait is None else wait}
        else:  # fetch threads read the HTTP cache while the main thread writes: room for both
            kwargs.update(pool_size=10, max_overflow=40, pool_pre_ping=True)
            if wait is not None and self.dialect == "postgresql":
                ms = max(1, int(wait * 1000))
                kwargs["connect_args"] = {"connect_timeout": max(1, round(wait)),
                                          "options": f"-c lock_timeout={ms} "
                                                     f"-c statement_timeout={ms}"}  # fmt: skip
                kwargs["pool_timeout"] = wait
        try:
            self.engine: Engine = create_engine(url, **kwargs)
        except (ArgumentError, ImportError) as exc:
            raise StoreError(f"cannot use database {self.safe_url}: {exc}") from exc
        if self.dialect == "sqlite":
            event.listen(self.engine, "connect", _sqlite_pragmas)

    def _alembic(self) -> Config:
        from alembic.config import Config

        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS))
        return config

    def current_revision(self) -> str | None:
        """The schema revision recorded in the database (Alembic's table), or None."""
        with self._connect() as conn:
            if not self.engine.dialect.has_table(conn, "alembic_version"):
                return None
            rows = conn.execute(text("SELECT version_num FROM alembic_version")).all()
        return rows[0][0] if len(rows) == 1 else None

    def head_revision(self) -> str | None:
        """The newest revision, as Alembic reads it from the migration scripts."""
        from alembic.script import ScriptDirectory

        return ScriptDirectory.from_config(self._alembic()).get_current_head()

    def upgrade(self) -> bool:
        """Migrate to the newest schema; True when anything was applied."""
        if self.current_revision() == HEAD:
            return False
        from alembic import command

        config = self._alembic()
        try:
            with self.engine.begin() as conn:
                config.attributes["connection"] = conn
                command.upgrade(config, "head")
        except SQLAlchemyError as exc:
            raise StoreError(f"migrating {self.safe_url} failed: {exc}") from exc
        logger.info("migrated database=%s to=%s", self.safe_url, self.head_revision())
        return True

    @contextmanager
    def _connect(self) -> Iterator[Connection]:
        try:
            with self.engine.connect() as conn:
                yield conn
        except SQLAlchemyError as exc:
            raise StoreError(
                f"cannot reach database {self.safe_url}: {exc.__class__.__name__}: "
                f"{str(exc).splitlines()[0]}"
            ) from exc

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session that commits on success and rolls back on error; database errors become
        StoreError."""
        session = Session(self.engine, expire_on_commit=False)
        try:
            yield session
            session.commit()
        except SQLAlchemyError as exc:
            session.rollback()
            first = str(exc).splitlines()[0] if str(exc) else exc.__class__.__name__
            raise StoreError(f"database {self.safe_url}: {first}") from exc
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    @contextmanager
    def joined(self, session: Session | None) -> Iterator[Session]:
        """``session`` when the caller already has one open (its transaction), else a new
        session of its own."""
        if session is not None:
            yield session
            return
        with self.session() as own:
            yield own

    def dispose(self) -> None:
        self.engine.dispose()


def _json_dumps(value: object) -> str:
    return json.dumps(value, ensure_ascii=False)


def _sqlite_pragmas(dbapi_connection: object, _record: object) -> None:
    cursor = dbapi_connection.cursor()  # type: ignore[attr-defined]
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    # In WAL mode NORMAL is safe against application crashes (only a power cut can lose the
    # last commit) and saves an fsync per transaction: a run commits once per source.
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def open_store(url: str, *, create: bool = True, wait: float | None = None) -> Store:
    """A Store, migrated to head (first use creates the schema).

    With ``create=False`` (the read commands) a database that does not exist yet is not made:
    a SQLite file that is missing, or a database without the schema, raises StoreError naming
    it, and nothing is written. ``wait``: as for ``Store``."""
    store = Store(url, wait=wait)
    if not create:
        _must_exist(store)
    store.upgrade()
    return store


_MISSING_HINT = (
    "Create it with `funding-monitor init` (or a `sources add` / `fetch`), or point "
    "FUNDING_MONITOR_DATABASE_URL at the database you meant."
)


def _must_exist(store: Store) -> None:
    parsed = make_url(store.url)
    path = parsed.database or ""
    in_memory = path in ("", ":memory:") or path.startswith("file::memory:")
    if store.dialect == "sqlite" and not in_memory and not Path(path).exists():
        store.dispose()
        raise StoreError(f"database {Path(path).resolve()} does not exist yet", hint=_MISSING_HINT)
    if not in_memory and store.current_revision() is None:
        store.dispose()
        raise StoreError(f"database {store.safe_url} has no funding-monitor tables yet",
                         hint=_MISSING_HINT)  # fmt: skip
