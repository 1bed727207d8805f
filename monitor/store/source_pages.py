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
    calls: int  # stored


def _source_rows_query() -> Any:
    """The dashboard's statement (built once: SQLAlchemy caches its compiled form): each
    source with a correlated subquery per figure, each reading a few index entries (fetch_run
    by source and start, calls by source), so that a page costs the same after a year of runs
    as after a week. Parameters: ``since``; a ``source_id`` clause is added for one source."""
    run, call = FetchRun.__table__.alias("r"), Call.__table__.alias("c")  # type: ignore[attr-defined]
    source = Source.__table__  # type: ignore[attr-defined]
    items = run.c["items"]  # (.items is the collection's method)
    mine = run.c.source_id == source.c.id
    recent_ok = and_(mine, run.c.outcome == "ok", run.c.started_at >= sa.bindparam("since"))
    last_items = (sa.select(items).where(mine, run.c.outcome.in_(("ok", "error")))
                  .order_by(run.c.started_at.desc(), run.c.id.desc()).limit(1))  # fmt: skip
    return sa.select(
        source.c.id, source.c.name, source.c.kind, source.c.enabled, source.c.healthy,
        source.c.health_reason, source.c.last_run_at, source.c.last_outcome,
        source.c.last_error, source.c.consecutive_failures, last_items.scalar_subquery(),
        sa.select(func.count()).select_from(run).where(recent_ok).scalar_subquery(),
        sa.select(func.avg(items)).where(recent_ok).scalar_subquery(),
        sa.select(func.count()).select_from(call).where(call.c.source_id == source.c.id)
        .scalar_subquery(),
    ).order_by(source.c.name)  # fmt: skip


_ALL = _source_rows_query()
_ONE = _ALL.where(Source.__table__.c.id == sa.bindparam("source_id"))  # type: ignore[attr-defined]


def source_rows(store: Store, since: datetime, source_id: int | None = None) -> list[SourceRow]:
    """Every source (or the one of ``source_id``) with its figures, by name; ``ok_runs`` and
    ``average_items`` count the runs started since ``since``."""
    query, given = (_ALL, {"since": since}) if source_id is None else (
        _ONE, {"since": since, "source_id": source_id})  # fmt: skip
    with store.session() as session:
        rows = session.execute(query, given).all()
    return [SourceRow(*row[:11], int(row[11] or 0),  # type: ignore[call-arg]
                      None if row[12] is None else float(row[12]), int(row[13] or 0))
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
