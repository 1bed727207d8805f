"""Reads for the curators' source pages: each source's dashboard line with its run figures,
a source's run history, recent calls and health events, and what removing a source takes with
it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy import and_, func
from sqlmodel import col, select

from monitor.store.db import Store
from monitor.store.tables import Call, Feedback, FetchRun, Label, Source, SourceEvent


def runs_of(store: Store, source_id: int, limit: int = 20) -> list[FetchRun]:
    """The source's latest runs, newest first (running and cancelled ones too)."""
    query = (select(FetchRun).where(FetchRun.source_id == source_id)
             .order_by(col(FetchRun.id).desc()).limit(limit))  # fmt: skip
    with store.session() as session:
        return list(session.exec(query))


@dataclass(frozen=True)
class SourceRow:
    """What the health dashboard shows of one source, read in one query with its figures."""

    id: int
    name: str
    kind: str
    enabled: bool
    healthy: bool
    health_reason: str | None
    last_run_at: datetime | None
    last_outcome: str | None
    last_error: str | None
    consecutive_failures: int
    last_items: int | None  # of its latest finished run (ok or error)
    ok_runs: int  # successful runs started since ``since``
    average_items: float | None  # their average items (failed runs count none: left out)
    calls: int | None  # stored; read for one source's page only (None on the dashboard)


def _source_rows_query() -> Any:
    """The dashboard's columns (built once): each source with a correlated subquery per
    figure, each reading a few index entries (fetch_run by source and start), so that a page
    costs the same after a year of runs as after a week, and only for the rows it shows.
    Parameter: ``since``."""
    run = FetchRun.__table__.alias("r")  # type: ignore[attr-defined]
    items = run.c["items"]  # (.items is the collection's method)
    mine = run.c.source_id == _SOURCE.c.id
    recent_ok = and_(mine, run.c.outcome == "ok", run.c.started_at >= sa.bindparam("since"))
    last_items = (sa.select(items).where(mine, run.c.outcome.in_(("ok", "error")))
                  .order_by(run.c.started_at.desc(), run.c.id.desc()).limit(1))  # fmt: skip
    return sa.select(
        *(_SOURCE.c[name] for name in ("id", "name", "kind", "enabled", "healthy",
                                       "health_reason", "last_run_at", "last_outcome",
                                       "last_error", "consecutive_failures")),
        last_items.scalar_subquery(),
        sa.select(func.count()).select_from(run).where(recent_ok).scalar_subquery(),
        sa.select(func.avg(items)).where(recent_ok).scalar_subquery(),
    )  # fmt: skip


_SOURCE = Source.__table__  # type: ignore[attr-defined]
_COLUMNS = _source_rows_query()
SORTS = ("health", "name", "last_run", "failures")


@dataclass(frozen=True)
class Tally:
    """How many sources there are of each kind, healthy or not: the dashboard's counts, the
    kinds its filter offers, and how many a filter keeps."""

    groups: dict[tuple[str, bool], int]  # (kind, healthy) -> sources

    @property
    def kinds(self) -> list[str]:
        return sorted({kind for kind, _ in self.groups})

    @property
    def total(self) -> int:
        return sum(self.groups.values())

    @property
    def unhealthy(self) -> int:
        return self.matching(healthy=False)

    def matching(self, kind: str = "", healthy: bool | None = None) -> int:
        """The sources of ``kind``, healthy or not, when given."""
        return sum(n for (k, h), n in self.groups.items()
                   if kind in ("", k) and healthy in (None, h))  # fmt: skip


def tally(store: Store) -> Tally:
    query = sa.select(_SOURCE.c.kind, _SOURCE.c.healthy, func.count()).group_by(
        _SOURCE.c.kind, _SOURCE.c.healthy)  # fmt: skip
    with store.session() as session:
        return Tally({(kind, bool(healthy)): n for kind, healthy, n in session.execute(query)})


def _kept(source_id: int | None, kind: str, healthy: bool | None) -> list[Any]:
    kept = []
    if source_id is not None:
        kept.append(_SOURCE.c.id == source_id)
    if kind:
        kept.append(_SOURCE.c.kind == kind)
    if healthy is not None:
        kept.append(_SOURCE.c.healthy == healthy)
    return kept


def source_rows(store: Store, since: datetime, *, source_id: int | None = None, kind: str = "",
                healthy: bool | None = None, sort: str = "name", descending: bool = False,
                offset: int = 0, limit: int | None = None) -> list[SourceRow]:  # fmt: skip
    """The sources (the one of ``source_id``, with its stored calls counted; only those of
    ``kind``; only the healthy or unhealthy ones) with their figures, ``ok_runs`` and
    ``average_items`` counting the runs started since ``since``; sorted by ``sort`` (one of
    SORTS: unhealthy first, A first, the earliest run first (never run before all), the
    fewest failures first; ``descending`` turns it), ties by name; ``limit`` of them from
    ``offset``."""
    name = func.lower(_SOURCE.c.name)
    keys = {"health": _SOURCE.c.healthy, "name": name, "last_run": _SOURCE.c.last_run_at,
            "failures": _SOURCE.c.consecutive_failures}  # fmt: skip
    key = keys[sort if sort in SORTS else "name"]
    first = key.desc().nulls_last() if descending else key.asc().nulls_first()
    query = (_COLUMNS.where(*_kept(source_id, kind, healthy))
             .order_by(first, name, _SOURCE.c.id).offset(offset).limit(limit))  # fmt: skip
    calls = None
    with store.session() as session:
        rows = session.execute(query, {"since": since}).all()
        if source_id is not None:  # its own query: planned for this source's share of calls
            # (correlated, per row, PostgreSQL plans for the average source: a scan of every
            # call once it knows one source holds most of them)
            count = select(func.count()).select_from(Call).where(Call.source_id == source_id)
            calls = int(session.execute(count).scalar_one())
    return [SourceRow(*row[:11], int(row[11] or 0),  # type: ignore[call-arg]
                      None if row[12] is None else float(row[12]), calls)
            for row in rows]  # fmt: skip


def recent_calls(store: Store, source_id: int, limit: int = 20) -> list[Call]:
    """The source's calls, the most recently first seen first."""
    query = (select(Call).where(Call.source_id == source_id)
             .order_by(col(Call.first_seen).desc(), col(Call.id).desc()).limit(limit))  # fmt: skip
    with store.session() as session:
        return list(session.exec(query))


def events_of(store: Store, source_id: int, limit: int = 20) -> list[SourceEvent]:
    """The source's latest health events, newest first."""
    query = (select(SourceEvent).where(SourceEvent.source_id == source_id)
             .order_by(col(SourceEvent.id).desc()).limit(limit))  # fmt: skip
    with store.session() as session:
        return list(session.exec(query))


@dataclass(frozen=True)
class Removal:
    """What deleting a source deletes (its rows cascade) and what stays."""

    calls: int  # its calls, deleted with their changes and tags
    labels: int  # admins' labels on those calls, deleted
    feedback: int  # readers' feedback on those calls, deleted
    runs: int
    events: int  # health events
    copies_elsewhere: int  # other sources' calls linked to its calls: they stay, unlinked


def removal(store: Store, source_id: int) -> Removal:
    """Counts of what ``remove_source`` would delete and of the linked calls that stay."""
    own = select(Call.id).where(Call.source_id == source_id)

    def count(query: object) -> int:
        return int(session.exec(query).one())  # type: ignore[call-overload]

    with store.session() as session:
        return Removal(
            calls=count(select(func.count()).where(Call.source_id == source_id)),
            labels=count(select(func.count()).where(col(Label.call_id).in_(own))),
            feedback=count(select(func.count()).where(col(Feedback.call_id).in_(own))),
            runs=count(select(func.count()).where(FetchRun.source_id == source_id)),
            events=count(select(func.count()).where(SourceEvent.source_id == source_id)),
            copies_elsewhere=count(select(func.count()).where(
                Call.source_id != source_id, col(Call.same_as_id).in_(own))),
        )  # fmt: skip
