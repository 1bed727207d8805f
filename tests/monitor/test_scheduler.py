"""The scheduler's wiring: which jobs, on which triggers, in which time zone; the per-source
intervals and their reconciliation; and one job's boundary (outcome recorded, lock checked)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from monitor.app.jobs import Outcome
from monitor.config import load_settings, seconds_of
from monitor.errors import ConfigError, StoreError
from monitor.service.scheduler import Context, build_scheduler, run_job, sync_sources
from monitor.store import jobs as job_store
from monitor.store import sources as source_store
from monitor.store.db import Store
from monitor.store.leader import leader_lock

NOW = datetime(2026, 10, 24, 12, 0, tzinfo=UTC)  # a Saturday; Sweden leaves summer time on the 25th


@pytest.fixture
def context(store: Store) -> Iterator[Context]:
    lock = leader_lock(store)
    assert lock.acquire()
    yield Context(store, load_settings(), None, lock)
    lock.release()


def started(ctx: Context) -> Any:
    scheduler = build_scheduler(ctx, NOW)
    scheduler.start(paused=True)  # jobs get their defaults and next runs; nothing runs
    return scheduler


def test_every_job_has_a_stable_id_its_trigger_and_the_defaults(context: Context) -> None:
    source_store.add_source(context.store, "eu", "eu-ft", "http://127.0.0.1:9/x", {})
    source_store.add_source(context.store, "off", "feed", "http://127.0.0.1:9/y", {},
                            enabled=False)  # fmt: skip
    scheduler = started(context)
    try:
        jobs = {job.id: job for job in scheduler.get_jobs()}
        assert set(jobs) == {"digest:weekly", "digest:daily", "health", "fetch:eu"}
        for job in jobs.values():
            assert job.coalesce is True and job.max_instances == 1
        assert jobs["fetch:eu"].misfire_grace_time == context.settings.misfire_grace == 3600
        # a late digest still goes out until the next one is due; a late check the same day
        assert jobs["digest:weekly"].misfire_grace_time == 7 * 86400
        assert jobs["digest:daily"].misfire_grace_time == jobs["health"].misfire_grace_time == 86400
        assert jobs["digest:weekly"].executor == jobs["health"].executor == "ledger"
        assert jobs["fetch:eu"].executor == "default"
        # the digests run once at start (catch-up), the never-fetched source too
        assert jobs["digest:weekly"].next_run_time == jobs["fetch:eu"].next_run_time == NOW
        assert jobs["fetch:eu"].trigger.interval == timedelta(days=1)
    finally:
        scheduler.shutdown(wait=False)


def test_digests_are_due_monday_0800_in_stockholm_across_the_clock_change(context) -> None:
    scheduler = started(context)
    try:
        weekly = scheduler.get_job("digest:weekly").trigger
        daily = scheduler.get_job("digest:daily").trigger
        health = scheduler.get_job("health").trigger
    finally:
        scheduler.shutdown(wait=False)
    assert isinstance(weekly, CronTrigger) and str(weekly.timezone) == "Europe/Stockholm"
    # Monday 26 October 2026, 08:00 CET = 07:00 UTC (summer time ended the day before) …
    after = weekly.get_next_fire_time(None, NOW)
    assert after.astimezone(UTC) == datetime(2026, 10, 26, 7, 0, tzinfo=UTC)
    # … and a week earlier 08:00 CEST = 06:00 UTC
    before = weekly.get_next_fire_time(None, NOW - timedelta(days=7))
    assert before.astimezone(UTC) == datetime(2026, 10, 19, 6, 0, tzinfo=UTC)
    assert daily.get_next_fire_time(None, NOW).astimezone(UTC) == datetime(
        2026, 10, 25, 7, 0, tzinfo=UTC)  # fmt: skip
    assert health.get_next_fire_time(None, NOW).astimezone(UTC) == datetime(
        2026, 10, 25, 6, 30, tzinfo=UTC)  # fmt: skip


def test_the_digest_day_time_and_zone_follow_the_settings(store: Store, monkeypatch) -> None:
    monkeypatch.setenv("FUNDING_MONITOR_DIGEST_WEEKDAY", "friday")
    monkeypatch.setenv("FUNDING_MONITOR_DIGEST_TIME", "09:15")
    monkeypatch.setenv("FUNDING_MONITOR_TIMEZONE", "America/New_York")
    lock = leader_lock(store)
    ctx = Context(store, load_settings(), None, lock)
    scheduler = build_scheduler(ctx, NOW)
    scheduler.start(paused=True)
    try:
        trigger = scheduler.get_job("digest:weekly").trigger
    finally:
        scheduler.shutdown(wait=False)
    fire = trigger.get_next_fire_time(None, NOW)
    assert fire.astimezone(UTC) == datetime(2026, 10, 30, 13, 15, tzinfo=UTC)  # EDT: UTC-4


def test_a_fetch_is_first_due_one_interval_after_the_sources_last_run(context) -> None:
    store = context.store
    for name, every in (("fresh", None), ("recent", "6h"), ("overdue", "1h")):
        source_store.add_source(store, name, "feed", f"http://127.0.0.1:9/{name}", {},
                                every=seconds_of(every) if every else None)  # fmt: skip
    with store.session() as session:
        from sqlmodel import select

        from monitor.store.tables import Source

        for source in session.exec(select(Source)):
            if source.name != "fresh":
                source.last_run_at = NOW - timedelta(hours=2)
                session.add(source)
    scheduler = started(context)
    try:
        due = {job.id: job.next_run_time for job in scheduler.get_jobs()}
        interval = scheduler.get_job("fetch:recent").trigger.interval
    finally:
        scheduler.shutdown(wait=False)
    assert due["fetch:fresh"] == NOW  # never fetched: now
    assert due["fetch:recent"] == NOW + timedelta(hours=4)  # ran 2 h ago, every 6 h
    assert due["fetch:overdue"] == NOW  # ran 2 h ago, every hour: overdue, so now
    assert interval == timedelta(hours=6)


def test_sync_follows_the_curators_changes_and_records_the_jobs(context) -> None:
    store = context.store
    source_store.add_source(store, "a", "feed", "http://127.0.0.1:9/a", {})
    source_store.add_source(store, "b", "feed", "http://127.0.0.1:9/b", {})
    scheduler = started(context)
    try:
        source_store.set_enabled(store, "a", False)
        source_store.update_source(store, "b", every=seconds_of("30m"))
        source_store.add_source(store, "c", "feed", "http://127.0.0.1:9/c", {})
        sync_sources(context, NOW)
        fetches = {j.id: j.trigger for j in scheduler.get_jobs() if j.id.startswith("fetch:")}
    finally:
        scheduler.shutdown(wait=False)
    assert set(fetches) == {"fetch:b", "fetch:c"}
    assert isinstance(fetches["fetch:b"], IntervalTrigger)
    assert fetches["fetch:b"].interval == timedelta(minutes=30)
    recorded = {row.id: row.trigger for row in job_store.list_jobs(store)}
    assert recorded == {"digest:weekly": "weekly mon 08:00 Europe/Stockholm",
                        "digest:daily": "daily 08:00 Europe/Stockholm",
                        "health": "daily 07:30 Europe/Stockholm",
                        "fetch:b": "every 30m", "fetch:c": "every 1d"}  # fmt: skip


def test_a_job_records_its_outcome_and_a_crash_stays_inside_it(context, caplog) -> None:
    caplog.set_level("INFO", logger="monitor.service.scheduler")
    run_job(context, "health", lambda ctx: Outcome(True, {"unhealthy": 0, "notices": 2}))
    run_job(context, "digest:daily", lambda ctx: 1 / 0)  # type: ignore[arg-type, return-value]

    def down(ctx: Context) -> Outcome:
        raise StoreError("database gone")

    run_job(context, "digest:weekly", down)
    rows = {row.id: row for row in job_store.list_jobs(context.store)}
    assert rows["health"].last_outcome == "ok" and rows["health"].last_summary == (
        "unhealthy=0 notices=2")  # fmt: skip
    assert rows["health"].holder == context.lock.holder
    assert rows["digest:daily"].last_outcome == "crashed"
    assert "ZeroDivisionError" in (rows["digest:daily"].last_summary or "")
    assert rows["digest:weekly"].last_outcome == "failed"
    lines = [r.getMessage() for r in caplog.records if r.name == "monitor.service.scheduler"]
    assert any(line.startswith("job done job=health outcome=ok ") for line in lines)
    assert any("job=digest:daily outcome=crashed" in line for line in lines)


def test_a_job_never_runs_without_the_lock(store: Store) -> None:
    ctx = Context(store, load_settings(), None, leader_lock(store))  # never acquired
    ran: list[str] = []
    run_job(ctx, "health", lambda c: ran.append("ran") or Outcome())  # type: ignore[func-returns-value]
    assert ran == [] and ctx.halt.is_set()
    assert job_store.list_jobs(store) == []


def test_intervals_are_read_strictly() -> None:
    assert seconds_of("1d12h") == 36 * 3600 and seconds_of("90m") == 5400
    for bad in ("10s", "daily", "1w", "", "6 hours"):
        with pytest.raises(ConfigError):
            seconds_of(bad)


def test_sources_carry_their_interval_through_the_cli_and_the_toml(cli, tmp_path) -> None:
    code, out, _ = cli("sources", "add", "w", "--kind", "feed", "--url", "https://x.org/rss",
                       "--every", "6h")  # fmt: skip
    assert code == 0
    code, out, _ = cli("sources", "list")
    assert "6h" in out
    code, out, err = cli("sources", "add", "z", "--kind", "feed", "--url", "https://x.org/z",
                         "--every", "5s")  # fmt: skip
    assert code == 2 and "under a minute" in err
    assert cli("sources", "export", "--output", "s.toml")[0] == 0
    assert 'every = "6h"' in (tmp_path / "s.toml").read_text()
    code, out, _ = cli("sources", "update", "w", "--every", "default")
    assert code == 0 and "every=default" in out
    assert cli("sources", "import", "s.toml", "--replace")[0] == 0
    code, out, _ = cli("sources", "list", "--json")
    assert '"every": 21600' in out


def test_a_new_leader_closes_the_runs_of_a_dead_process_as_failed(store: Store) -> None:
    """Two runs left running: one of a source whose lock another process holds (alive), one
    whose lock is free (its process died). Only the dead one is closed, as a failure."""
    from monitor.ingest.runs import close_dead_runs
    from monitor.store.source_locks import SourceLocks
    from monitor.store.tables import FetchRun

    dead = source_store.add_source(store, "dead", "eu-ft", "http://127.0.0.1:9/x", {})
    alive = source_store.add_source(store, "alive", "eu-ft", "http://127.0.0.1:9/y", {})
    dead_run, alive_run = source_store.start_runs(store, [dead, alive], NOW)
    with SourceLocks(store, "other:1") as other:
        assert other.acquire(alive.id)  # type: ignore[arg-type]
        assert close_dead_runs(store) == 1
    with store.session() as session:
        closed = session.get(FetchRun, dead_run)
        assert closed is not None and closed.outcome == "error"
        assert "died before the run finished" in (closed.error or "")
        assert session.get(FetchRun, alive_run).outcome == "running"  # type: ignore[union-attr]
    health = source_store.get_source(store, "dead")
    assert health.consecutive_failures == 1 and health.last_run_at is not None
    assert source_store.get_source(store, "alive").consecutive_failures == 0


def test_a_lock_file_that_cannot_be_made_is_a_clear_error(tmp_path) -> None:
    from monitor.store.leader import FileLock

    with pytest.raises(ConfigError, match="cannot open the leader lock file") as caught:
        FileLock(tmp_path / "missing" / "db.sqlite.leader", "me:1").acquire()
    assert "writable" in caught.value.hint
    first, second = FileLock(tmp_path / "x.leader", "a:1"), FileLock(tmp_path / "x.leader", "b:2")
    assert first.acquire() and not second.acquire()  # one holder, even within one process
    first.release()
    assert second.acquire() and second.holding()
    (tmp_path / "x.leader").unlink()
    assert not second.holding()  # a deleted lock file is a lost lock
    second.release()
