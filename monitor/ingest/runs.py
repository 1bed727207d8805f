"""Run sources and store what they found: one error boundary per source.

Sources are fetched concurrently with threads, not asyncio: every wing's client is synchronous
(httpx.Client, feedparser, lxml), the work is I/O-bound, and a few dozen threads run that code
unchanged. Politeness is enforced underneath, per origin, by the shared HttpClient's limiter;
each source gets a time budget so that one slow source never holds up the run. Writes happen
in the calling thread, one source at a time, as each fetch completes.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from contextlib import nullcontext
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime

import httpx

from monitor.config import Settings
from monitor.errors import MonitorError
from monitor.ingest.parse_pool import ParsePool, parse_isolated
from monitor.store.calls import Listing, upsert_calls, upsert_listings
from monitor.store.db import Store
from monitor.store.source_locks import SourceLocks, lock_all
from monitor.store.sources import (
    OkRun,
    RunCounts,
    StoreCache,
    cached_responses,
    cancel_runs,
    fail_dead_runs,
    finish_ok_runs,
    finish_run,
    running_runs,
    start_runs,
)
from monitor.store.tables import Source
from sources.errors import SourceError
from sources.http import CachedResponse, HttpClient, build_client
from sources.limits import OriginLimiter
from sources.records import CallRecord, FetchResult, SourceConfig
from sources.registry import get_kind
from sources.settings import validate

logger = logging.getLogger(__name__)
BUG_HINT = "This is a bug; please report it with the log."


@dataclass(frozen=True)
class SourceReport:
    """How one source's run went."""

    source: str
    ok: bool
    counts: RunCounts = field(default_factory=RunCounts)
    error: str | None = None
    hint: str | None = None
    warnings: tuple[str, ...] = ()
    seconds: float = 0.0
    items: int = 0
    busy: bool = False  # another process was running this source: left out, health untouched


@dataclass(frozen=True)
class _Collected:
    """What a worker brings back: records and the fetch result, or an error."""

    records: list[CallRecord] = field(default_factory=list)
    result: FetchResult | None = None
    cache: StoreCache | None = None
    error: str | None = None
    hint: str | None = None
    seconds: float = 0.0


def http_client(settings: Settings, client: httpx.Client | None = None) -> HttpClient:
    """The polite client configured from settings (``client`` lets tests hand one in)."""
    raw = client or build_client(user_agent=settings.user_agent, timeout=settings.http_timeout)
    return HttpClient(
        raw,
        max_bytes=settings.http_max_bytes,
        attempts=settings.http_attempts,
        backoff=settings.http_backoff,
        max_wait=settings.http_max_wait,
        limiter=OriginLimiter(settings.fetch_per_origin, settings.fetch_origin_interval),
        request_deadline=settings.http_request_deadline,
    )


def collect(
    store: Store,
    source: Source,
    http: HttpClient,
    now: datetime,
    budget: float | None = None,
    parser: ParsePool | None = None,
    known: Mapping[str, CachedResponse | None] | None = None,
) -> _Collected:
    """Fetch and parse one source (no call rows written). Never raises: a failure comes back
    as an error with a hint. Safe to run in a worker thread."""
    started = time.perf_counter()
    try:
        kind = get_kind(source.kind)
        settings = validate(kind.name, kind.settings, source.settings)
        config = SourceConfig(source.name, source.url, settings, source.state)
        cache = StoreCache(store, known)
        result = kind.fetch(http.with_budget(budget), config, cache)
        records, warnings = parse_isolated(kind.parse, result, now, parser)
        if warnings:
            result = replace(result, warnings=(*result.warnings, *warnings))
    except (SourceError, MonitorError) as exc:
        if isinstance(exc, SourceError):
            exc.with_source(source.name)
        logger.error("fetch failed source=%s error=%s", source.name, exc)
        return _Collected(error=str(exc), hint=exc.hint, seconds=time.perf_counter() - started)
    except Exception as exc:  # job boundary: one source's bug must not stop the others
        logger.exception("fetch crashed source=%s", source.name)
        message = f"source {source.name!r}: internal error: {exc.__class__.__name__}: {exc}"
        return _Collected(error=message, hint=BUG_HINT, seconds=time.perf_counter() - started)
    return _Collected(records, result, cache, seconds=time.perf_counter() - started)


def store_collected(
    store: Store,
    source: Source,
    run_id: int,
    collected: _Collected,
    now: datetime,
    unhealthy_after: int = 2,
) -> SourceReport:
    """Write one source's records and close its run; failures are recorded, not raised."""
    started = time.perf_counter() - collected.seconds
    error, hint = collected.error, collected.hint
    if error is None and collected.result is not None:
        try:
            assert source.id is not None
            result = collected.result
            with store.session() as session:  # the calls and the run's outcome: one commit
                counts = upsert_calls(store, source.id, collected.records, now, run_id, session)
                finish_run(store, run_id, counts=counts, items=len(collected.records),
                           warnings=result.warnings, state=result.state,
                           unhealthy_after=unhealthy_after, session=session)  # fmt: skip
                if collected.cache is not None:
                    collected.cache.save(session)
        except MonitorError as exc:
            error, hint = f"source {source.name!r}: {exc}", exc.hint
        except Exception as exc:  # job boundary, as in collect()
            logger.exception("store crashed source=%s", source.name)
            error = f"source {source.name!r}: internal error: {exc.__class__.__name__}: {exc}"
            hint = BUG_HINT
    if error is not None or collected.result is None:
        message = error or "no result"
        finish_run(store, run_id, error=message, unhealthy_after=unhealthy_after)
        return SourceReport(source.name, False, error=message, hint=hint,
                            seconds=time.perf_counter() - started)  # fmt: skip
    return _report(source, replace(collected, seconds=time.perf_counter() - started), counts)


def store_batch(
    store: Store,
    batch: list[tuple[Source, int, _Collected]],
    now: datetime,
    unhealthy_after: int = 2,
) -> list[SourceReport]:
    """Write the sources whose fetches completed together in one transaction (a handful of
    statements for all of them). Failed fetches are recorded one by one; if the joint write
    fails, each source is written on its own, so one bad listing never costs the others."""
    ok = [(s, r, c) for s, r, c in batch if c.error is None and c.result is not None]
    reports = {id(s): store_collected(store, s, r, c, now, unhealthy_after)
               for s, r, c in batch if c.error is not None or c.result is None}  # fmt: skip
    if len(ok) == 1:
        source, run_id, collected = ok[0]
        reports[id(source)] = store_collected(store, source, run_id, collected, now,
                                              unhealthy_after)  # fmt: skip
    elif ok:
        try:
            reports.update(_store_together(store, ok, now, unhealthy_after))
        except Exception:  # job boundary: fall back to one transaction per source
            logger.exception("joint write failed; writing sources=%d one by one", len(ok))
            for source, run_id, collected in ok:
                reports[id(source)] = store_collected(store, source, run_id, collected, now,
                                                      unhealthy_after)  # fmt: skip
    return [reports[id(s)] for s, _, _ in batch]


def _store_together(
    store: Store, ok: list[tuple[Source, int, _Collected]], now: datetime, unhealthy_after: int
) -> dict[int, SourceReport]:
    listings = [Listing(_source_id(s), c.records, r) for s, r, c in ok]
    with store.session() as session:
        counts = upsert_listings(store, listings, now, session)
        finish_ok_runs(session, [
            OkRun(r, _source_id(s), n, len(c.records), c.result.warnings, c.result.state)  # type: ignore[union-attr]
            for (s, r, c), n in zip(ok, counts, strict=True)
        ], unhealthy_after)  # fmt: skip
        caches = StoreCache(store)  # every source's new cache entries: one statement
        for _, _, collected in ok:
            caches.pending.update(collected.cache.pending if collected.cache else {})
        caches.save(session)
    reports = {}
    for (source, _, collected), n in zip(ok, counts, strict=True):
        assert collected.result is not None
        reports[id(source)] = _report(source, collected, n)
    return reports


def _source_id(source: Source) -> int:
    assert source.id is not None
    return source.id


def _report(source: Source, collected: _Collected, counts: RunCounts) -> SourceReport:
    """The report of a stored source, logged (warnings, then one line of counts)."""
    assert collected.result is not None
    warnings = collected.result.warnings
    for warning in warnings:
        logger.warning("source=%s warning=%s", source.name, warning)
    logger.info(
        "fetched source=%s items=%d new=%d updated=%d unchanged=%d unseen=%d ms=%d",
        source.name, len(collected.records), counts.new, counts.updated, counts.unchanged,
        counts.unseen, collected.seconds * 1000,
    )  # fmt: skip
    return SourceReport(source.name, True, counts, warnings=warnings,
                        seconds=collected.seconds, items=len(collected.records))  # fmt: skip


def run_source(
    store: Store, source: Source, http: HttpClient, now: datetime | None = None
) -> SourceReport:
    """Fetch, parse and store one source in this thread (see ``run_sources``)."""
    return run_sources(store, [source], http, now)[0]


def run_sources(
    store: Store,
    sources: Iterable[Source],
    http: HttpClient,
    now: datetime | None = None,
    on_start: Callable[[Source], None] | None = None,
    on_done: Callable[[SourceReport], None] | None = None,
    workers: int = 1,
    budget: float | None = None,
    unhealthy_after: int = 2,
    parse_processes: int = 0,
    stop: threading.Event | None = None,
) -> list[SourceReport]:
    """Run every source, ``workers`` fetching at once; a failure in one never stops the others.
    Every payload is parsed in another process (``monitor.ingest.parse_pool``): with more than one
    source and ``parse_processes``, a pool of that many; else a process of its own each.
    Each source is locked for the run (``monitor.store.source_locks``): one that another process is
    running is reported busy and left out; a run of a taken source still marked running is a
    dead process's and is closed as failed first. Once ``stop`` is set, sources not yet
    started are left out (their runs closed as ``cancelled``, health untouched) and those
    under way finish. Reports come back in the order of ``sources``, without the left-out
    ones."""
    now = now or datetime.now(UTC)
    sources = list(sources)
    reports: dict[int, SourceReport] = {}
    # The pool starts before any lock is taken: a forked worker would otherwise inherit the
    # lock files and hold every source's lock until the whole run ends.
    parser = ParsePool(parse_processes) if parse_processes and len(sources) > 1 else None
    with parser or nullcontext(), SourceLocks(store) as locks:
        taken, busy = lock_all(locks, [_source_id(source) for source in sources])
        for source in sources:
            if source.id in busy:
                reports[id(source)] = _busy(source, busy[source.id])
                if on_done:
                    on_done(reports[id(source)])
        dead = [run_id for run_id, _ in running_runs(store, taken)] if taken else []
        if dead:
            logger.warning("fetch runs of dead processes closed as failed runs=%d", len(dead))
            fail_dead_runs(store, dead, unhealthy_after)
        runnable = [source for source in sources if source.id not in busy]
        reports.update(_run_locked(
            store, runnable, http, now, locks, on_start, on_done, workers, budget,
            unhealthy_after, parser, stop,
        ))  # fmt: skip
    return [reports[id(source)] for source in sources if id(source) in reports]


def close_dead_runs(store: Store, unhealthy_after: int = 2) -> int:
    """Close as failed every run still marked running whose source nobody holds: its process
    died. Returns how many (``serve`` calls it when it starts to lead)."""
    with SourceLocks(store) as locks:
        dead = [run for run, source_id in running_runs(store) if locks.acquire(source_id)]
        fail_dead_runs(store, dead, unhealthy_after)
    return len(dead)


def _busy(source: Source, holder: str) -> SourceReport:
    logger.warning("source busy source=%s holder=%s", source.name, holder)
    return SourceReport(
        source.name, False, busy=True,
        error=f"source {source.name!r}: busy: {holder} is running it; left out of this run",
        hint="Another fetch of this source is under way (`status` shows serve's jobs); it "
        "will be stored by that run. Try again when it is done.",
    )  # fmt: skip


def _run_locked(
    store: Store,
    sources: list[Source],
    http: HttpClient,
    now: datetime,
    locks: SourceLocks,
    on_start: Callable[[Source], None] | None,
    on_done: Callable[[SourceReport], None] | None,
    workers: int,
    budget: float | None,
    unhealthy_after: int,
    parser: ParsePool | None,
    stop: threading.Event | None,
) -> dict[int, SourceReport]:
    """``run_sources`` for the sources this run holds the locks of; each lock goes as soon as
    its source's outcome is committed."""
    if not sources:
        return {}
    runs = dict(zip(map(id, sources), start_runs(store, sources, now), strict=True))
    known = cached_responses(store, [source.url for source in sources])
    reports: dict[int, SourceReport] = {}
    with ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix="fetch") as pool:
        futures: dict[Future[_Collected], Source] = {}
        for source in sources:
            if on_start:
                on_start(source)
            futures[pool.submit(collect, store, source, http, now, budget, parser, known)] = source
        pending = set(futures)
        while pending:  # write whatever completed meanwhile, together
            done, pending = wait(pending, timeout=1.0, return_when=FIRST_COMPLETED)
            if stop is not None and stop.is_set():
                cancelled = {f for f in pending if f.cancel()}
                cancel_runs(store, [runs[id(futures[f])] for f in cancelled], now)
                pending -= cancelled
            batch = [(futures[f], runs[id(futures[f])], f.result()) for f in done]
            for (source, _, _), report in zip(
                batch, store_batch(store, batch, now, unhealthy_after), strict=True
            ):
                locks.release(_source_id(source))
                reports[id(source)] = report
                if on_done:
                    on_done(report)
    return reports
