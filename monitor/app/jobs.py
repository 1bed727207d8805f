"""The work each job does, as functions the command line and the scheduler both call:
``fetch_and_tag`` (`fetch`, then `classify`), ``send_digests`` (`digest send`),
``check_health`` (`health-check`) and ``run_once`` (`run --once`: the first two in turn).

Each returns an ``Outcome``: whether it went well and its figures as key=value words, which is
what the scheduler logs and records as the job's last outcome. Each takes ``stop``: once it is
set the work ends at its next safe point (between sources, tag batches or deliveries), with
everything written so far complete and the rest left for the next run.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from monitor.config import Settings
from monitor.ingest.parse_pool import default_processes
from monitor.ingest.runs import SourceReport, http_client, run_sources
from monitor.store import sources as source_store
from monitor.store.db import Store
from monitor.store.tables import Source
from sources.http import HttpClient, build_client

if TYPE_CHECKING:  # tagging (scikit-learn) and sending (Jinja2…) load when a job needs them,
    # so that `fetch` starts as fast as it can
    from monitor.digests.sending import Outbox, SendReport


@dataclass
class Outcome:
    """How a job went: ``ok``, its figures (``fields``), the errors, and whether ``stop`` cut
    it short."""

    ok: bool = True
    fields: dict[str, object] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    stopped: bool = False
    reports: list[SourceReport] = field(default_factory=list)

    def summary(self) -> str:
        return " ".join(f"{key}={value}" for key, value in self.fields.items())

    def add(self, other: Outcome) -> Outcome:
        """This outcome followed by ``other`` (its figures appended)."""
        return Outcome(self.ok and other.ok, {**self.fields, **other.fields},
                       self.errors + other.errors, self.stopped or other.stopped,
                       self.reports + other.reports)  # fmt: skip


@contextmanager
def polite_http(settings: Settings) -> Iterator[HttpClient]:
    """The one HTTP client of a run or of a serving process: its origin limiter keeps every
    source of one host polite even when their jobs overlap."""
    connections = settings.fetch_workers * settings.fetch_per_origin
    with build_client(user_agent=settings.user_agent, timeout=settings.http_timeout,
                      connections=connections) as raw:  # fmt: skip
        yield http_client(settings, raw)


def fetch_sources(
    store: Store,
    settings: Settings,
    sources: Sequence[Source],
    http: HttpClient,
    *,
    stop: threading.Event | None = None,
    on_done: Callable[[SourceReport], None] | None = None,
) -> list[SourceReport]:
    """`fetch`: run the sources with the settings' concurrency, budget and parse processes."""
    processes = settings.fetch_parse_processes
    return run_sources(
        store, sources, http, workers=settings.fetch_workers, budget=settings.fetch_budget,
        unhealthy_after=settings.unhealthy_after, on_done=on_done, stop=stop,
        parse_processes=default_processes() if processes is None else processes,
    )  # fmt: skip


def fetch_and_tag(
    store: Store,
    settings: Settings,
    sources: Sequence[Source],
    http: HttpClient,
    *,
    stop: threading.Event | None = None,
    tag_lock: AbstractContextManager[object] | None = None,
) -> Outcome:
    """Fetch the sources, then tag what is new or changed (``tag_lock`` keeps two taggings of
    one process from overlapping)."""
    reports = fetch_sources(store, settings, sources, http, stop=stop)
    failed = [r for r in reports if not r.ok and not r.busy]
    fields: dict[str, object] = {
        "sources": len(reports), "failed": len(failed), "busy": sum(r.busy for r in reports),
        **{k: sum(getattr(r.counts, k) for r in reports) for k in ("new", "updated", "unseen")},
    }  # fmt: skip
    outcome = Outcome(not failed, fields, [f"{r.source}: {r.error}" for r in failed],
                      len(reports) < len(sources), reports)  # fmt: skip
    if stop is not None and stop.is_set():
        outcome.stopped = True  # tagging waits for the next run
        return outcome
    from monitor.tagging.classify import classify_stored

    with tag_lock or nullcontext():
        tagged = classify_stored(store, settings, stop=stop)
    outcome.fields["tagged"] = tagged.tagged
    if tagged.warning:
        outcome.errors.append(tagged.warning)
    return outcome


def _sent(report: SendReport, stop: threading.Event | None) -> Outcome:
    fields: dict[str, object] = {"sent": report.sent, "messages": report.messages,
                                 "deferred": report.deferred, "refused": report.failed,
                                 "given_up": report.given_up,
                                 "web_copies_dropped": report.copies_dropped}  # fmt: skip
    return Outcome(not report.errors, fields, list(report.errors),
                   stop is not None and stop.is_set())  # fmt: skip


def send_digests(
    store: Store,
    settings: Settings,
    now: datetime,
    *,
    frequency: str | None = None,
    force: bool = False,
    stop: threading.Event | None = None,
    outbox: Outbox | None = None,
) -> Outcome:
    """`digest send`: plan the notices and the due digests (of one frequency), send them."""
    from monitor.digests.sending import send_due

    report = send_due(store, settings, now, force=force, frequency=frequency, stop=stop,
                      outbox=outbox)  # fmt: skip
    return _sent(report, stop)


def check_health(
    store: Store,
    settings: Settings,
    now: datetime,
    *,
    stop: threading.Event | None = None,
    outbox: Outbox | None = None,
) -> Outcome:
    """`health-check`: plan and send the curators' notices of sources that turned unhealthy,
    are still unhealthy, or recovered. Not ok while an enabled source is unhealthy."""
    from monitor.digests.notices import plan_notices
    from monitor.digests.sending import send_with

    planned = plan_notices(store, settings, now)
    sent = _sent(send_with(store, settings, now, outbox, kind="notice", stop=stop), stop)
    unhealthy = sorted(s.name for s in source_store.list_sources(store, enabled_only=True)
                       if not s.healthy)  # fmt: skip
    fields: dict[str, object] = {"unhealthy": len(unhealthy), "notices": planned}
    if unhealthy:
        fields["sources"] = ",".join(unhealthy)
    return Outcome(sent.ok and not unhealthy, {**fields, **sent.fields},
                   [f"source {name} is unhealthy" for name in unhealthy] + sent.errors,
                   sent.stopped)  # fmt: skip


def run_once(
    store: Store, settings: Settings, *, force: bool = False, stop: threading.Event | None = None
) -> Outcome:
    """`run --once`: fetch every enabled source, tag, then send the digests that are due
    (``force``: every digest, as `digest send --now`). The digests' clock is read after the
    fetch, so that what it just found counts as seen."""
    sources = source_store.list_sources(store, enabled_only=True)
    with polite_http(settings) as http:
        outcome = fetch_and_tag(store, settings, sources, http, stop=stop)
    if stop is not None and stop.is_set():
        return outcome
    return outcome.add(send_digests(store, settings, datetime.now(UTC), force=force, stop=stop))
