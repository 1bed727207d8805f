"""APScheduler wiring only: every job calls a function of ``monitor/app/jobs.py`` that a command
calls too.

Jobs (stable ids; one instance at a time; missed runs coalesced; ``MISFIRE_GRACE`` seconds of
grace):

- ``fetch:NAME``: fetch one enabled source every ``Source.every`` seconds (else
  ``FETCH_EVERY``), then tag what changed. Its first run is due one interval after the source's
  last run, so a restart neither refetches everything nor forgets an overdue source.
- ``digest:weekly`` and ``digest:daily``: plan and send the digests of that frequency at
  ``DIGEST_WEEKDAY``/``DIGEST_TIME`` in ``TIMEZONE``; each also runs once at start, so digests
  due while no process was leader go out then (the ledger never sends a period twice).
- ``health``: the daily health check at ``HEALTH_TIME``.

Every minute the main thread adds, drops or reschedules fetch jobs after the curators' changes
and records every job's next run for `status`. Only the main thread touches the scheduler:
APScheduler's ``shutdown(wait=True)`` holds the job store's lock while it waits for running
jobs, so a job that looked up a job would never finish.

Fetch jobs run in a pool of ``FETCH_WORKERS`` threads; digest and health jobs share one thread
(the ledger's jobs never overlap). ``serve`` holds the leader lock (``monitor/store/leader.py``)
while it schedules; a standby waits for it.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from classifiers.errors import ClassifierError
from monitor.app.jobs import Outcome, check_health, fetch_and_tag, polite_http, send_digests
from monitor.config import Settings, every_text
from monitor.errors import MonitorError, StoreError
from monitor.ingest.runs import close_dead_runs
from monitor.store import jobs as job_store
from monitor.store import sources as source_store
from monitor.store.db import Store
from monitor.store.leader import LeaderLock, current_leader, leader_lock
from monitor.store.tables import Source
from notifications.errors import DeliveryError
from sources.errors import SourceError
from sources.http import HttpClient

logger = logging.getLogger(__name__)
DAY = 86400
FREQUENCIES = {"weekly": 7 * DAY, "daily": DAY}  # and the grace of their late runs
SYNC_SECONDS = 60
KNOWN_ERRORS = (MonitorError, SourceError, ClassifierError, DeliveryError)


@dataclass
class Context:
    """What every job of one leader shares. ``halt`` is set when the process stops or loses
    the lock: jobs then end at their next safe point."""

    store: Store
    settings: Settings
    http: HttpClient | None
    lock: LeaderLock
    halt: threading.Event = field(default_factory=threading.Event)
    tag_lock: threading.Lock = field(default_factory=threading.Lock)
    scheduler: BackgroundScheduler | None = None


def hh_mm(text: str) -> tuple[int, int]:
    hour, minute = text.split(":")
    return int(hour), int(minute)


def digest_trigger(frequency: str, settings: Settings) -> CronTrigger:
    hour, minute = hh_mm(settings.digest_time)
    days = settings.digest_weekday[:3] if frequency == "weekly" else "*"
    return CronTrigger(day_of_week=days, hour=hour, minute=minute, timezone=settings.zone)


def health_trigger(settings: Settings) -> CronTrigger:
    hour, minute = hh_mm(settings.health_time)
    return CronTrigger(hour=hour, minute=minute, timezone=settings.zone)


def fetch_every(source: Source, settings: Settings) -> int:
    return source.every or settings.fetch_every_seconds


def first_fetch(source: Source, every: int, now: datetime) -> datetime:
    """One interval after the source's last run, or now if that is past (or it never ran)."""
    if source.last_run_at is None:
        return now
    return max(now, source.last_run_at + timedelta(seconds=every))


def build_scheduler(ctx: Context, now: datetime | None = None) -> BackgroundScheduler:
    """A scheduler holding every job (not started)."""
    settings = ctx.settings
    now = now or datetime.now(UTC)
    scheduler = BackgroundScheduler(
        timezone=settings.zone,
        executors={
            "default": ThreadPoolExecutor(settings.fetch_workers),
            "ledger": ThreadPoolExecutor(1),
        },  # fmt: skip
        job_defaults={
            "coalesce": True,
            "max_instances": 1,
            "misfire_grace_time": settings.misfire_grace,
        },  # fmt: skip
    )
    ctx.scheduler = scheduler
    # A late digest or health check is worth running until its next regular run (the ledger
    # knows what is due), so their grace is their period; fetches have MISFIRE_GRACE.
    for frequency, period in FREQUENCIES.items():
        _add(scheduler, ctx, f"digest:{frequency}", digest_trigger(frequency, settings),
             _digests(frequency), executor="ledger", next_run_time=now,
             misfire_grace_time=period)  # fmt: skip
    _add(scheduler, ctx, "health", health_trigger(settings), _health, executor="ledger",
         misfire_grace_time=DAY)  # fmt: skip
    sync_sources(ctx, now, record=False)
    return scheduler


def _add(
    scheduler: BackgroundScheduler,
    ctx: Context,
    job_id: str,
    trigger: BaseTrigger,
    work: Callable[[Context], Outcome],
    **options: object,
) -> None:
    scheduler.add_job(run_job, trigger, args=(ctx, job_id, work), id=job_id, name=job_id,
                      replace_existing=True, **options)  # fmt: skip


def _digests(frequency: str) -> Callable[[Context], Outcome]:
    def work(ctx: Context) -> Outcome:
        return send_digests(ctx.store, ctx.settings, datetime.now(UTC), frequency=frequency,
                            stop=ctx.halt)  # fmt: skip

    return work


def _health(ctx: Context) -> Outcome:
    return check_health(ctx.store, ctx.settings, datetime.now(UTC), stop=ctx.halt)


def _fetch(name: str) -> Callable[[Context], Outcome]:
    def work(ctx: Context) -> Outcome:
        source = source_store.get_source(ctx.store, name)
        if not source.enabled:  # disabled since the last sync: its job goes at the next
            return Outcome(True, {"skipped": "disabled"})
        assert ctx.http is not None
        return fetch_and_tag(ctx.store, ctx.settings, [source], ctx.http, stop=ctx.halt,
                             tag_lock=ctx.tag_lock)  # fmt: skip

    return work


def sync_sources(ctx: Context, now: datetime | None = None, *, record: bool = True) -> None:
    """Make the fetch jobs match the enabled sources and their intervals; record the jobs."""
    scheduler = ctx.scheduler
    assert scheduler is not None
    now = now or datetime.now(UTC)
    wanted = {f"fetch:{s.name}": s
              for s in source_store.list_sources(ctx.store, enabled_only=True)}  # fmt: skip
    for job in scheduler.get_jobs():
        if job.id.startswith("fetch:") and job.id not in wanted:
            scheduler.remove_job(job.id)
            logger.info("job removed job=%s", job.id)
    for job_id, source in wanted.items():
        every = fetch_every(source, ctx.settings)
        job = scheduler.get_job(job_id)
        if job is not None and job.trigger.interval == timedelta(seconds=every):
            continue
        trigger = IntervalTrigger(seconds=every, timezone=ctx.settings.zone)
        if job is None:
            _add(scheduler, ctx, job_id, trigger, _fetch(source.name),
                 next_run_time=first_fetch(source, every, now))  # fmt: skip
            logger.info("job added job=%s every=%s", job_id, every_text(every))
        else:
            job.reschedule(trigger)
            logger.info("job rescheduled job=%s every=%s", job_id, every_text(every))
    if record:
        record_jobs(ctx)


def describe(trigger: BaseTrigger) -> str:
    if isinstance(trigger, IntervalTrigger):
        return f"every {every_text(int(trigger.interval.total_seconds()))}"
    if isinstance(trigger, CronTrigger):
        fields = {f.name: str(f) for f in trigger.fields}
        days = "" if fields["day_of_week"] == "*" else f"{fields['day_of_week']} "
        when = f"{int(fields['hour']):02d}:{int(fields['minute']):02d}"
        return f"{'weekly' if days else 'daily'} {days}{when} {trigger.timezone}"
    return str(trigger)


def record_jobs(ctx: Context) -> None:
    """Write every job's trigger and next run where `status` can read them."""
    assert ctx.scheduler is not None
    planned = [job_store.Planned(job.id, describe(job.trigger), job.next_run_time)
               for job in ctx.scheduler.get_jobs()]  # fmt: skip
    try:
        job_store.sync_jobs(ctx.store, planned)
    except StoreError as exc:
        logger.error("job state not recorded error=%s", exc)


def run_job(ctx: Context, job_id: str, work: Callable[[Context], Outcome]) -> None:
    """One job's boundary: check the lock, run, log one line with the outcome, record it."""
    if ctx.halt.is_set():
        return
    if not ctx.lock.holding():
        logger.error('job skipped job=%s reason="leader lock lost"', job_id)
        ctx.halt.set()
        return
    started = datetime.now(UTC)
    clock = time.perf_counter()
    try:
        job_store.job_started(ctx.store, job_id, started, ctx.lock.holder)
    except StoreError as exc:
        logger.error("job state not recorded job=%s error=%s", job_id, exc)
    errors: list[str] = []
    try:
        outcome = work(ctx)
        state = "stopped" if outcome.stopped else "ok" if outcome.ok else "failed"
        summary, errors = outcome.summary(), outcome.errors
    except KNOWN_ERRORS as exc:
        state, summary = "failed", f'error="{exc}"'
    except Exception as exc:  # job boundary: log the traceback, the other jobs carry on
        logger.exception("job crashed job=%s", job_id)
        state, summary = "crashed", f'error="{exc.__class__.__name__}: {exc}"'
    seconds = time.perf_counter() - clock
    level = logging.INFO if state in ("ok", "stopped") else logging.WARNING
    logger.log(level, "job done job=%s outcome=%s seconds=%.1f %s", job_id, state, seconds,
               summary)  # fmt: skip
    for error in errors[:20]:
        logger.warning('job problem job=%s problem="%s"', job_id, error)
    try:
        job_store.job_finished(ctx.store, job_id, datetime.now(UTC), state, summary)
    except StoreError as exc:
        logger.error("job state not recorded job=%s error=%s", job_id, exc)


def lead(store: Store, settings: Settings, lock: LeaderLock, stop: threading.Event) -> None:
    """Run the jobs while this process holds the lock and is not told to stop; then let the
    running jobs reach a safe point and end."""
    dead = close_dead_runs(store, settings.unhealthy_after)
    if dead:  # before the jobs are planned: those sources are not due again at once
        logger.warning("fetch runs of dead processes closed as failed runs=%d", dead)
    with polite_http(settings) as http:
        ctx = Context(store, settings, http, lock)
        scheduler = build_scheduler(ctx)
        scheduler.start()
        try:
            record_jobs(ctx)
            synced = time.monotonic()
            while not stop.wait(min(settings.leader_poll, 5.0)):
                if not lock.holding():
                    logger.error("leader lock lost holder=%s; stopping the jobs", lock.holder)
                    break
                if time.monotonic() - synced >= SYNC_SECONDS:
                    synced = time.monotonic()
                    try:
                        sync_sources(ctx)
                    except MonitorError as exc:  # the database may be back next minute
                        logger.error("jobs not synced with the sources error=%s", exc)
        finally:
            ctx.halt.set()
            scheduler.shutdown(wait=True)


def serve(store: Store, settings: Settings, stop: threading.Event) -> int:
    """Lead while holding the lock; stand by (trying every ``LEADER_POLL`` s) while another
    process holds it. Returns 0 once ``stop`` is set and the running jobs have ended."""
    lock = leader_lock(store)
    waiting = False
    while not stop.is_set():
        if not lock.acquire():
            if not waiting:
                logger.info("standby holder=%s leader=\"%s\" retry_seconds=%s", lock.holder,
                            current_leader(store), settings.leader_poll)  # fmt: skip
                waiting = True
            stop.wait(settings.leader_poll)
            continue
        waiting = False
        logger.info("leader holder=%s", lock.holder)
        try:
            lead(store, settings, lock, stop)
        except MonitorError as exc:  # say, the database went away: let go, try again later
            logger.error("leading failed error=%s; retrying in %ss", exc, settings.leader_poll)
            stop.wait(settings.leader_poll)
        finally:
            lock.release()
    logger.info("serve stopped holder=%s", lock.holder)
    return 0
