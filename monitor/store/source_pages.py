"""Reads for the curators' source pages: a source's run history and recent calls, each source's
run figures (how many runs, their average items), and what removing a source takes with it."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func
from sqlmodel import col, select

from monitor.store.db import Store
from monitor.store.tables import Call, Feedback, FetchRun, Label, SourceEvent


def runs_of(store: Store, source_id: int, limit: int = 20) -> list[FetchRun]:
    """The source's latest runs, newest first (running and cancelled ones too)."""
    query = (select(FetchRun).where(FetchRun.source_id == source_id)
             .order_by(col(FetchRun.id).desc()).limit(limit))  # fmt: skip
    with store.session() as session:
        return list(session.exec(query))


def run_figures(store: Store) -> dict[int, tuple[int, float]]:
    """Per source id: (successful runs, their average items). Failed runs count no items, so
    they are left out of the average."""
    query = (select(FetchRun.source_id, func.count(), func.avg(FetchRun.items))
             .where(FetchRun.outcome == "ok").group_by(col(FetchRun.source_id)))  # fmt: skip
    with store.session() as session:
        return {source_id: (int(runs), float(average or 0))
                for source_id, runs, average in session.exec(query)}  # fmt: skip


def recent_calls(store: Store, source_id: int, limit: int = 20) -> list[Call]:
    """The source's calls, the most recently first seen first."""
    query = (select(Call).where(Call.source_id == source_id)
             .order_by(col(Call.first_seen).desc(), col(Call.id).desc()).limit(limit))  # fmt: skip
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
