"""Reading and writing sources, fetch runs and the HTTP cache."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import bindparam, delete, func, insert, update
from sqlmodel import Session, col, select

from monitor.errors import ConfigError
from monitor.redaction import redact
from monitor.store.db import Store
from monitor.store.tables import Call, FetchRun, HttpCacheEntry, Source, SourceEvent
from sources.values import http_url, shown_url

if TYPE_CHECKING:
    from sources.http import CachedResponse

NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,59}")


@dataclass(frozen=True, slots=True)
class RunCounts:
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    unseen: int = 0


def check_name(name: str) -> str:
    """``name`` when it is a source name: 1 to 60 ASCII letters, digits, '-' and '_', starting
    with a letter or digit (it appears in log lines, file names and commands). ConfigError
    otherwise."""
    if not NAME.fullmatch(name):
        raise ConfigError(
            f"source name {name[:80]!r} is not valid: use 1 to 60 letters, digits, '-' and '_', "
            "starting with a letter or digit", hint="For example: edctp3-calls",
        )  # fmt: skip
    return name


def check_url(url: str, what: str = "URL") -> str:
    """``url`` when it is an absolute http(s) URL without whitespace or control characters;
    ConfigError naming ``what`` (e.g. ``--url``) and the URL, credentials masked, otherwise."""
    try:
        return http_url(url)
    except ValueError as exc:
        raise ConfigError(f"{what} {shown_url(url)[:200]!r} is not usable: {exc}",
                          hint="Give the full address, e.g. https://funder.example/calls.rss"
                          ) from None  # fmt: skip


def add_source(
    store: Store,
    name: str,
    kind: str,
    url: str,
    settings: Mapping[str, Any],
    *,
    enabled: bool = True,
    info: Mapping[str, Any] | None = None,
    every: int | None = None,
) -> Source:
    """Create a source; ConfigError if the name is taken or is not a name (``check_name``), or
    the URL is not usable (``check_url``)."""
    check_name(name)
    check_url(url)
    with store.session() as session:
        if session.exec(select(Source).where(Source.name == name)).first():
            raise ConfigError(
                f"a source named {name!r} already exists",
                hint="Pick another name, or `sources remove` the old one first.",
            )
        source = Source(name=name, kind=kind, url=url, settings=dict(settings), enabled=enabled,
                        info=dict(info or {}), every=every,
                        created_at=datetime.now(UTC))  # fmt: skip
        session.add(source)
        session.flush()
        session.refresh(source)
        return source


def get_source(store: Store, name: str) -> Source:
    """The source called ``name``; ConfigError listing the names when there is none."""
    source = find_source(store, name)
    if source is None:
        with store.session() as session:
            names = ", ".join(session.exec(select(Source.name).order_by(Source.name)))
        raise ConfigError(
            f"no source named {name!r}",
            hint=f"Known sources: {names}" if names else "Add one with `sources add`.",
        )
    return source


def find_source(store: Store, name: str) -> Source | None:
    """The source called ``name``, None when there is none."""
    with store.session() as session:
        return session.exec(select(Source).where(Source.name == name)).first()


def list_sources(store: Store, *, enabled_only: bool = False,
                 kind: str | None = None) -> list[Source]:  # fmt: skip
    """The sources by name: only the enabled ones, or only those of ``kind``, when asked."""
    with store.session() as session:
        query = select(Source).order_by(Source.name)
        if enabled_only:
            query = query.where(col(Source.enabled).is_(True))
        if kind is not None:
            query = query.where(Source.kind == kind)
        return list(session.exec(query))


def remove_source(store: Store, name: str) -> int:
    """Delete a source with its calls, changes and runs; returns how many calls went."""
    source = get_source(store, name)
    with store.session() as session:
        calls = session.exec(select(func.count()).where(Call.source_id == source.id)).one()
        session.execute(delete(Source).where(col(Source.id) == source.id))
        return int(calls)


def set_enabled(store: Store, name: str, enabled: bool) -> None:
    source = get_source(store, name)
    with store.session() as session:
        row = session.get(Source, source.id)
        assert row is not None
        row.enabled = enabled


def call_counts(store: Store) -> dict[int, int]:
    """Calls stored per source id."""
    with store.session() as session:
        rows = session.exec(select(Call.source_id, func.count()).group_by(col(Call.source_id)))
        return {source_id: count for source_id, count in rows}


def start_run(store: Store, source: Source, now: datetime) -> int:
    return start_runs(store, [source], now)[0]


def _id(source: Source) -> int:
    assert source.id is not None
    return source.id


def start_runs(store: Store, sources: Sequence[Source], now: datetime) -> list[int]:
    """Open a run for each source (one transaction, one batched insert); their ids, in order."""
    rows = [{"source_id": _id(source), "started_at": now, "outcome": "running", "warnings": [],
             "new": 0, "updated": 0, "unchanged": 0, "unseen": 0, "items": 0}
            for source in sources]  # fmt: skip
    if not rows:
        return []
    with store.session() as session:
        statement = insert(FetchRun).returning(col(FetchRun.id), sort_by_parameter_order=True)
        return [run_id for (run_id,) in session.execute(statement, rows)]


def cancel_runs(store: Store, run_ids: Sequence[int], now: datetime) -> None:
    """Close runs that never started (the process is shutting down); health is untouched."""
    if not run_ids:
        return
    runs = FetchRun.__table__  # type: ignore[attr-defined]
    with store.session() as tx:
        tx.execute(update(runs).where(runs.c.id.in_(run_ids))
                   .values(finished_at=now, outcome="cancelled"))  # fmt: skip


DEAD_RUN = (
    "the process fetching this source died before the run finished (killed, crashed or out "
    "of memory); nothing of that run was stored"
)


def running_runs(store: Store, source_ids: Sequence[int] | None = None) -> list[tuple[int, int]]:
    """(run id, source id) of the runs still marked running, of ``source_ids`` or of all."""
    runs = FetchRun.__table__  # type: ignore[attr-defined]
    query = select(runs.c.id, runs.c.source_id).where(runs.c.outcome == "running")
    if source_ids is not None:
        query = query.where(runs.c.source_id.in_(list(source_ids)))
    with store.session() as tx:
        return [(run_id, source_id) for run_id, source_id in tx.execute(query.order_by(runs.c.id))]


def fail_dead_runs(store: Store, run_ids: Sequence[int], unhealthy_after: int = 2) -> None:
    """Close runs whose process died as failed: the failure counts for the source's health,
    and its last run is now, so a scheduler does not fetch it again at once (a payload that
    kills every process reading it would otherwise be retried in a loop)."""
    for run_id in run_ids:
        finish_run(store, run_id, error=DEAD_RUN, unhealthy_after=unhealthy_after)


def finish_run(
    store: Store,
    run_id: int,
    *,
    counts: RunCounts | None = None,
    items: int = 0,
    error: str | None = None,
    warnings: tuple[str, ...] = (),
    state: Mapping[str, Any] | None = None,
    unhealthy_after: int = 2,
    session: Session | None = None,
) -> None:
    """Close a run and update its source's health; ``error`` marks it failed. In the caller's
    transaction when ``session`` is given. A change of health is recorded as a SourceEvent."""
    now = datetime.now(UTC)
    counts = counts or RunCounts()
    outcome = "error" if error else "ok"
    error = redact(error) if error else error  # an error may quote what a server echoed
    run_values = {
        "finished_at": now, "outcome": outcome, "error": error, "warnings": list(warnings),
        "new": counts.new, "updated": counts.updated, "unchanged": counts.unchanged,
        "unseen": counts.unseen, "items": items,
    }  # fmt: skip
    source_values: dict[str, Any] = {
        "last_run_at": now, "last_outcome": outcome, "last_error": error,
    }  # fmt: skip
    if error:
        source_values["consecutive_failures"] = Source.__table__.c.consecutive_failures + 1  # type: ignore[attr-defined]
    else:
        source_values.update(consecutive_failures=0, last_success_at=now)
        if state is not None:
            source_values["state"] = dict(state)
    runs, sources = FetchRun.__table__, Source.__table__  # type: ignore[attr-defined]
    with store.joined(session) as tx:  # Core statements: no ORM state to keep in step
        source_id = tx.execute(
            update(runs).where(runs.c.id == run_id).values(**run_values).returning(runs.c.source_id)
        ).scalar_one()
        source = tx.execute(
            update(sources)
            .where(sources.c.id == source_id)
            .values(**source_values)
            .returning(sources.c.consecutive_failures, sources.c.last_error, sources.c.healthy)
        ).one()
        previous = _previous_items(tx, source_id, run_id) if not error and items == 0 else None
        reason = health_problem(
            source.consecutive_failures, source.last_error, None if error else items, previous,
            unhealthy_after,
        )  # fmt: skip
        if (reason is None) != source.healthy:
            _set_health(tx, source_id, reason, now)


@dataclass(frozen=True)
class OkRun:
    """A successful run to close: what ``finish_run`` is given for one without an error."""

    run_id: int
    source_id: int
    counts: RunCounts
    items: int
    warnings: tuple[str, ...]
    state: Mapping[str, Any]


def finish_ok_runs(tx: Session, done: Sequence[OkRun], unhealthy_after: int = 2) -> None:
    """``finish_run`` for many successful runs at once, in the caller's transaction: two
    executemany updates, one read of the sources' health, and writes only where it changes."""
    if not done:
        return
    now = datetime.now(UTC)
    runs, sources = FetchRun.__table__, Source.__table__  # type: ignore[attr-defined]
    tx.execute(
        update(runs).where(runs.c.id == bindparam("b_id")).values(
            finished_at=now, outcome="ok", error=None, warnings=bindparam("b_warnings"),
            new=bindparam("b_new"), updated=bindparam("b_updated"),
            unchanged=bindparam("b_unchanged"), unseen=bindparam("b_unseen"),
            items=bindparam("b_items"),
        ),
        [{"b_id": d.run_id, "b_warnings": list(d.warnings), "b_new": d.counts.new,
          "b_updated": d.counts.updated, "b_unchanged": d.counts.unchanged,
          "b_unseen": d.counts.unseen, "b_items": d.items} for d in done],
    )  # fmt: skip
    tx.execute(
        update(sources).where(sources.c.id == bindparam("b_id")).values(
            last_run_at=now, last_outcome="ok", last_error=None, consecutive_failures=0,
            last_success_at=now, state=bindparam("b_state"),
        ),
        [{"b_id": d.source_id, "b_state": dict(d.state)} for d in done],
    )  # fmt: skip
    ids = [d.source_id for d in done]
    query = select(sources.c.id, sources.c.healthy).where(sources.c.id.in_(ids))
    healthy = {source_id: ok for source_id, ok in tx.execute(query)}
    for d in done:
        previous = _previous_items(tx, d.source_id, d.run_id) if d.items == 0 else None
        reason = health_problem(0, None, d.items, previous, unhealthy_after)
        if (reason is None) != healthy[d.source_id]:
            _set_health(tx, d.source_id, reason, now)


def _previous_items(tx: Session, source_id: int, run_id: int) -> int | None:
    """Items of the source's last successful run before ``run_id`` (only an empty listing
    needs it: a source that had items and now has none is unhealthy)."""
    runs = FetchRun.__table__  # type: ignore[attr-defined]
    return tx.execute(
        select(runs.c["items"])
        .where(runs.c.source_id == source_id, runs.c.outcome == "ok", runs.c.id < run_id)
        .order_by(runs.c.id.desc())
        .limit(1)
    ).scalar()


def _set_health(tx: Session, source_id: int, reason: str | None, now: datetime) -> None:
    sources = Source.__table__  # type: ignore[attr-defined]
    tx.execute(
        update(sources).where(sources.c.id == source_id).values(healthy=reason is None,
                                                                 health_reason=reason)
    )  # fmt: skip
    tx.add(SourceEvent(source_id=source_id, kind="healthy" if reason is None else "unhealthy",
                       reason=reason or "recovered", at=now))  # fmt: skip


def health_problem(
    failures: int, error: str | None, items: int | None, previous_items: int | None,
    unhealthy_after: int,
) -> str | None:  # fmt: skip
    """Why a source is unhealthy after a run, or None. ``items`` is None for a failed run."""
    if failures >= unhealthy_after:
        return f"{failures} failed runs in a row; last error: {error}"
    if items == 0 and previous_items:
        return f"returned no items (it had {previous_items} before): a changed page or feed?"
    return None


def source_events(store: Store, name: str | None = None) -> list[tuple[str, SourceEvent]]:
    """Health events, newest first, with the source's name."""
    query = select(Source.name, SourceEvent).join(Source, col(Source.id) == SourceEvent.source_id)
    if name:
        query = query.where(Source.name == name)
    with store.session() as session:
        rows = session.exec(query.order_by(col(SourceEvent.id).desc()))
        return [(source_name, event) for source_name, event in rows]


def last_runs(store: Store) -> dict[int, FetchRun]:
    """The latest finished run per source id (cancelled ones left aside)."""
    with store.session() as session:
        latest = (
            select(FetchRun.source_id, func.max(FetchRun.id).label("run_id"))
            .where(col(FetchRun.outcome).in_(["ok", "error"]))
            .group_by(col(FetchRun.source_id))
            .subquery()
        )
        rows = session.exec(select(FetchRun).join(latest, col(FetchRun.id) == latest.c.run_id))
        return {run.source_id: run for run in rows}


def cached_responses(store: Store, urls: Iterable[str]) -> dict[str, CachedResponse | None]:
    """The HTTP cache entries of ``urls`` (None where there is none), read in a few queries:
    a run reads its sources' own URLs ahead instead of one query per fetch thread."""
    from sources.http import CachedResponse  # the HTTP client (httpx): loaded to fetch only

    wanted = sorted(set(urls))
    found: dict[str, CachedResponse | None] = dict.fromkeys(wanted)
    with store.session() as session:
        for start in range(0, len(wanted), 500):
            query = select(HttpCacheEntry).where(
                col(HttpCacheEntry.url).in_(wanted[start : start + 500])
            )
            for row in session.exec(query):
                found[row.url] = CachedResponse(row.etag, row.last_modified, row.content,
                                                row.content_type)  # fmt: skip
    return found


class StoreCache:
    """The HTTP client's ResponseCache port, kept in the database.

    ``get`` reads the table; ``put`` only remembers the entry, and ``save`` writes what was
    remembered, in the caller's transaction. Fetch threads thus never write to the database
    (SQLite would make them queue behind each other's locks); the thread that stores a
    source's calls saves its cache entries in the same commit."""

    def __init__(
        self, store: Store, known: Mapping[str, CachedResponse | None] | None = None
    ) -> None:
        self.store = store
        self.pending: dict[str, CachedResponse] = {}
        self.known = known or {}  # entries read ahead for a whole run (None: not cached)

    def get(self, url: str) -> CachedResponse | None:
        if url in self.pending:
            return self.pending[url]
        if url in self.known:
            return self.known[url]
        with self.store.session() as session:
            row = session.get(HttpCacheEntry, url)
            if row is None:
                return None
        from sources.http import CachedResponse

        return CachedResponse(row.etag, row.last_modified, row.content, row.content_type)

    def put(self, url: str, entry: CachedResponse) -> None:
        self.pending[url] = entry

    def save(self, session: Session | None = None) -> None:
        """Write the remembered entries (upserts by URL) and forget them."""
        if not self.pending:
            return
        now = datetime.now(UTC)
        rows = [
            {"url": url, "etag": entry.etag, "last_modified": entry.last_modified,
             "content": entry.content, "content_type": entry.content_type, "stored_at": now}
            for url, entry in self.pending.items()
        ]  # fmt: skip
        table = HttpCacheEntry.__table__  # type: ignore[attr-defined]
        if self.store.dialect == "postgresql":  # the dialect in use only: each costs start-up
            from sqlalchemy.dialects.postgresql import insert as upsert
        else:
            from sqlalchemy.dialects.sqlite import insert as upsert  # type: ignore[assignment]
        statement = upsert(table).values(rows)
        statement = statement.on_conflict_do_update(
            index_elements=[table.c.url],
            set_={name: statement.excluded[name] for name in rows[0] if name != "url"},
        )
        with self.store.joined(session) as tx:
            tx.execute(statement)
        self.pending.clear()


def update_source(
    store: Store,
    name: str,
    *,
    url: str | None = None,
    settings: Mapping[str, Any] | None = None,
    every: int | None = None,
) -> Source:
    """Change a source's URL, settings and/or fetch interval (``every`` 0: back to the
    default). ConfigError for a URL that is not usable (``check_url``)."""
    if url is not None:
        check_url(url)
    source = get_source(store, name)
    with store.session() as session:
        row = session.get(Source, source.id)
        assert row is not None
        if url is not None:
            row.url = url
        if settings is not None:
            row.settings = dict(settings)
        if every is not None:
            row.every = every or None
        session.add(row)
        session.flush()
        session.refresh(row)
        return row
