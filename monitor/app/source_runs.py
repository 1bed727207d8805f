"""Run now: one source fetched and stored in a background thread of a long-lived process (the
web face), as `fetch --source NAME` runs it — under the source's lock, through the polite HTTP
client, its run and health recorded — while its progress is read (``progress``).

One run of a source at a time: a second ``start`` while it runs answers ``already``; a source
whose lock another process holds (the scheduler's `serve`, a `fetch`) answers ``busy`` with the
holder, and so does a run that loses the lock to one between the start and the fetch."""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from monitor.app import audit, fetching
from monitor.app.context import App
from monitor.app.source_shown import hint, masked, target
from monitor.ingest.runs import SourceReport
from monitor.store.source_locks import SourceLocks
from monitor.store.tables import Source

logger = logging.getLogger(__name__)
KEPT = "source-runs"  # App.kept's key
SHOWN_FOR = 600.0  # seconds a finished run's outcome stays to be read


@dataclass(frozen=True)
class Progress:
    """A run now: ``running``, then ``done`` (stored), ``failed`` (the run's error and hint)
    or ``busy`` (another process ran it: nothing done)."""

    name: str
    state: str
    started_at: datetime
    finished_at: datetime | None = None
    seconds: float = 0.0  # so far, or in all
    items: int = 0
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    unseen: int = 0
    error: str | None = None  # masked
    hint: str | None = None

    @property
    def running(self) -> bool:
        return self.state == "running"


@dataclass(frozen=True)
class Started:
    """What ``start`` did: ``started``, ``already`` (running; its progress) or ``busy``
    (``holder``: who holds the lock)."""

    outcome: str
    progress: Progress | None = None
    holder: str = ""


class _Runs:
    """The runs of one App (``App.kept``): the latest of each source, by name."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.latest: dict[str, tuple[Progress, float]] = {}  # name → (progress, monotonic start)


def _runs(app: App) -> _Runs:
    found = app.kept.setdefault(KEPT, _Runs())
    assert isinstance(found, _Runs)
    return found


def start(app: App, name: str) -> Started:
    """Run the source now in a thread of this process; ConfigError for no such source or a
    built-in kind's (never fetched). Kept in the audit log (``source.run``) when started."""
    [source] = fetching.due(app, name)
    runs = _runs(app)
    with runs.lock:
        known = runs.latest.get(name)
        if known is not None and known[0].running:
            return Started("already", _now(*known))
        holder = _holder(app, source)
        if holder:
            return Started("busy", holder=holder)
        progress = Progress(name, "running", datetime.now(UTC))
        runs.latest[name] = (progress, time.monotonic())
    audit.record(app, "source.run", target(source), {}, {"run": "started"})
    threading.Thread(target=_run, args=(app, source, runs), name=f"run-now-{name}",
                     daemon=True).start()  # fmt: skip
    return Started("started", progress)


def progress(app: App, name: str) -> Progress | None:
    """The source's run now, while it runs and for SHOWN_FOR seconds after; else None."""
    runs = _runs(app)
    with runs.lock:
        known = runs.latest.get(name)
    if known is None:
        return None
    shown = _now(*known)
    if not shown.running and time.monotonic() - known[1] - shown.seconds > SHOWN_FOR:
        return None
    return shown


def wait(app: App, name: str, timeout: float = 60.0) -> Progress | None:
    """The source's run now once it has ended (or as it is after ``timeout`` seconds)."""
    ends = time.monotonic() + timeout
    while (found := progress(app, name)) is not None and found.running:
        if time.monotonic() > ends:
            break
        time.sleep(0.05)
    return found


def _now(progress: Progress, started: float) -> Progress:
    """A running run's progress with its seconds so far."""
    return replace(progress, seconds=time.monotonic() - started) if progress.running else progress


def _holder(app: App, source: Source) -> str:
    """Who holds the source's lock, or "" when it is free (taken and let go at once)."""
    assert source.id is not None
    with SourceLocks(app.store()) as locks:
        return "" if locks.acquire(source.id) else locks.holder_of(source.id)


def _run(app: App, source: Source, runs: _Runs) -> None:
    """The thread: the fetch, then its outcome kept for ``progress``."""
    with runs.lock:
        progress, started = runs.latest[source.name]
    try:
        reports = fetching.fetch(app, [source])
        done = _outcome(progress, reports[0]) if reports else replace(progress, state="failed")
    except Exception as exc:  # the thread's error boundary: the page must learn of it
        logger.exception("run now crashed source=%s", source.name)
        done = replace(
            progress,
            state="failed",
            error=masked(f"internal error: {exc}"),
            hint=hint("internal error"),
        )
    done = replace(done, finished_at=datetime.now(UTC), seconds=time.monotonic() - started)
    with runs.lock:
        runs.latest[source.name] = (done, started)


def _outcome(progress: Progress, report: SourceReport) -> Progress:
    c = report.counts
    state = "done" if report.ok else "busy" if report.busy else "failed"
    return replace(progress, state=state, items=report.items, new=c.new, updated=c.updated,
                   unchanged=c.unchanged, unseen=c.unseen,
                   error=masked(report.error) if report.error else None,
                   hint=hint(report.error))  # fmt: skip
