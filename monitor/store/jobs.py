"""The scheduled jobs as the leader last saw them (``status`` reads them from another process)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, col, delete, select

from monitor.redaction import redact
from monitor.store.db import Store
from monitor.store.tables import JobState


@dataclass(frozen=True)
class Planned:
    """A job the scheduler holds: its id, its trigger in words, and its next run."""

    id: str
    trigger: str
    next_run_at: datetime | None


def _ensure(session: Session, ids: Sequence[str]) -> None:
    """Insert the rows that do not exist yet (jobs of one leader record concurrently)."""
    if not ids:
        return
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    rows = [{"id": job_id, "trigger": ""} for job_id in ids]
    session.execute(insert(JobState).values(rows).on_conflict_do_nothing())


def _update(store: Store, job_id: str, **values: object) -> None:
    with store.session() as session:
        _ensure(session, [job_id])
        session.execute(update(JobState).where(col(JobState.id) == job_id).values(**values))


def sync_jobs(store: Store, jobs: Iterable[Planned]) -> None:
    """Record the scheduler's jobs; forget the rows of jobs it no longer has (a removed
    source), keep the last outcome of the others."""
    jobs = list(jobs)
    with store.session() as session:
        session.execute(delete(JobState).where(col(JobState.id).not_in([j.id for j in jobs])))
        _ensure(session, [j.id for j in jobs])
        for job in jobs:
            session.execute(update(JobState).where(col(JobState.id) == job.id)
                            .values(trigger=job.trigger, next_run_at=job.next_run_at))  # fmt: skip


def job_started(store: Store, job_id: str, at: datetime, holder: str) -> None:
    _update(store, job_id, last_started_at=at, holder=holder)


def job_finished(store: Store, job_id: str, at: datetime, outcome: str, summary: str) -> None:
    _update(store, job_id, last_finished_at=at, last_outcome=outcome,
            last_summary=redact(summary))  # fmt: skip


def list_jobs(store: Store) -> list[JobState]:
    with store.session() as session:
        return list(session.exec(select(JobState).order_by(col(JobState.id))))
