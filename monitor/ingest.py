"""Run sources and store what they found: one error boundary per source."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime

import httpx

from monitor.config import Settings
from monitor.errors import MonitorError
from monitor.store.calls import upsert_calls
from monitor.store.db import Store
from monitor.store.sources import RunCounts, StoreCache, finish_run, start_run
from monitor.store.tables import Source
from sources.errors import SourceError
from sources.http import HttpClient, build_client
from sources.records import FetchResult, SourceConfig
from sources.registry import get_kind
from sources.settings import validate

logger = logging.getLogger(__name__)


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


def http_client(settings: Settings, client: httpx.Client | None = None) -> HttpClient:
    """The polite client configured from settings (``client`` lets tests hand one in)."""
    raw = client or build_client(user_agent=settings.user_agent, timeout=settings.http_timeout)
    return HttpClient(
        raw,
        max_bytes=settings.http_max_bytes,
        attempts=settings.http_attempts,
        backoff=settings.http_backoff,
        max_wait=settings.http_max_wait,
    )


def run_source(
    store: Store, source: Source, http: HttpClient, now: datetime | None = None
) -> SourceReport:
    """Fetch, parse and store one source. Never raises for the source's own failures: they are
    recorded on the run and the source (calls already stored are untouched) and returned."""
    started = time.perf_counter()
    now = now or datetime.now(UTC)
    run_id = start_run(store, source, now)
    try:
        counts, result = _fetch_and_store(store, source, http, now, run_id)
    except (SourceError, MonitorError) as exc:
        if isinstance(exc, SourceError):
            exc.with_source(source.name)
        logger.error("fetch failed source=%s error=%s", source.name, exc)
        return _failed(store, run_id, source.name, str(exc), exc.hint, started)
    except Exception as exc:  # job boundary: one source's bug must not stop the others
        logger.exception("fetch crashed source=%s", source.name)
        message = f"source {source.name!r}: internal error: {exc.__class__.__name__}: {exc}"
        hint = "This is a bug; please report it with the log."
        return _failed(store, run_id, source.name, message, hint, started)
    finish_run(store, run_id, counts=counts, warnings=result.warnings, state=result.state)
    seconds = time.perf_counter() - started
    for warning in result.warnings:
        logger.warning("source=%s warning=%s", source.name, warning)
    logger.info(
        "fetched source=%s new=%d updated=%d unchanged=%d unseen=%d ms=%d",
        source.name, counts.new, counts.updated, counts.unchanged, counts.unseen, seconds * 1000,
    )  # fmt: skip
    return SourceReport(source.name, True, counts, warnings=result.warnings, seconds=seconds)


def _fetch_and_store(
    store: Store, source: Source, http: HttpClient, now: datetime, run_id: int
) -> tuple[RunCounts, FetchResult]:
    kind = get_kind(source.kind)
    settings = validate(kind.name, kind.settings, source.settings)
    config = SourceConfig(name=source.name, url=source.url, settings=settings, state=source.state)
    result = kind.fetch(http, config, StoreCache(store))
    records = kind.parse(result, now)
    assert source.id is not None
    return upsert_calls(store, source.id, records, now, run_id), result


def _failed(
    store: Store, run_id: int, name: str, message: str, hint: str | None, started: float
) -> SourceReport:
    finish_run(store, run_id, error=message)
    return SourceReport(
        name, False, error=message, hint=hint, seconds=time.perf_counter() - started
    )


def run_sources(
    store: Store,
    sources: Iterable[Source],
    http: HttpClient,
    now: datetime | None = None,
    on_start: Callable[[Source], None] | None = None,
    on_done: Callable[[SourceReport], None] | None = None,
) -> list[SourceReport]:
    """Run each source in turn; a failure in one does not stop the others."""
    reports = []
    for source in sources:
        if on_start:
            on_start(source)
        report = run_source(store, source, http, now)
        reports.append(report)
        if on_done:
            on_done(report)
    return reports
