"""The state of the service: who leads the scheduler, its jobs, and each source's health."""

from __future__ import annotations

from dataclasses import dataclass

from monitor.app.context import App
from monitor.store import jobs as job_store
from monitor.store import sources as source_store
from monitor.store.leader import current_leader
from monitor.store.tables import FetchRun, JobState, Source


@dataclass(frozen=True)
class Status:
    leader: str | None  # "host:pid since …", or None when no `serve` holds the lock
    jobs: list[JobState]
    sources: list[Source]  # unhealthy first, then by name
    runs: dict[int, FetchRun]  # source id → its last run


def status(app: App, *, unhealthy_only: bool = False) -> Status:
    store = app.store(create=False)
    sources = sorted(source_store.list_sources(store), key=lambda s: (s.healthy, s.name))
    if unhealthy_only:
        sources = [s for s in sources if not s.healthy]
    return Status(current_leader(store), job_store.list_jobs(store), sources,
                  source_store.last_runs(store))  # fmt: skip
