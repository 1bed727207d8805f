"""The always-on commands: `serve`, `run --once` and `health-check` (the last two, like
`digest send` and `db copy`, hold the leader lock so that they never act beside a `serve`),
and stopping gracefully on SIGTERM and SIGINT."""

from __future__ import annotations

import argparse
import logging
import os
import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from types import FrameType
from typing import Any

from monitor.app.jobs import Outcome, check_health, run_once
from monitor.cli import output
from monitor.config import Settings
from monitor.service.scheduler import serve
from monitor.store import jobs as job_store
from monitor.store.db import Store, open_store
from monitor.store.leader import current_leader, leading
from monitor.store.tables import JobState

logger = logging.getLogger(__name__)


def add_parsers(sub: Any) -> None:
    sub.add_parser("serve", help="run the scheduler in the foreground (fetch, tag, send, check)")
    run = sub.add_parser("run", help="the whole pipeline once: fetch, tag, send what is due")
    run.add_argument("--once", action="store_true", required=True,
                     help="run once and exit (for cron)")  # fmt: skip
    run.add_argument("--now", action="store_true",
                     help="treat every digest as due now (as `digest send --now`)")  # fmt: skip
    sub.add_parser("health-check", help="send curators' notices of unhealthy sources; "
                   "exit 1 while a source is unhealthy")  # fmt: skip


def handlers() -> dict[str, Callable[[argparse.Namespace, Settings], int]]:
    return {"serve": cmd_serve, "run": cmd_run, "health-check": cmd_health_check}


@contextmanager
def stopping_on_signals() -> Iterator[threading.Event]:
    """An event set by the first SIGTERM or SIGINT: the work ends at its next safe point. A
    second signal ends the process at once (status 1); open transactions roll back."""
    stop = threading.Event()

    def handle(signum: int, _frame: FrameType | None) -> None:
        name = signal.Signals(signum).name
        if stop.is_set():
            logger.warning("stopping now signal=%s", name)
            os._exit(1)
        # Not stop.set() here: the handler runs in the main thread, which may be inside that
        # very Event's wait() holding its (non-reentrant) lock. A thread sets it instead.
        threading.Thread(target=stopping, args=(name,), name="stop").start()

    def stopping(name: str) -> None:
        logger.info("stopping signal=%s: the running jobs finish or stop at a safe point", name)
        stop.set()

    previous = {sig: signal.signal(sig, handle) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield stop
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def cmd_serve(args: argparse.Namespace, settings: Settings) -> int:
    store = open_store(settings.database_url)
    with stopping_on_signals() as stop:
        return serve(store, settings, stop)


def cmd_run(args: argparse.Namespace, settings: Settings) -> int:
    store = open_store(settings.database_url)
    with stopping_on_signals() as stop, leading(store):
        outcome = run_once(store, settings, force=args.now, stop=stop)
    return _report("run", outcome)


def cmd_health_check(args: argparse.Namespace, settings: Settings) -> int:
    store = open_store(settings.database_url)
    with stopping_on_signals() as stop, leading(store):  # it sends from the ledger too
        outcome = check_health(store, settings, datetime.now(UTC), stop=stop)
    return _report("health-check", outcome)


def _report(name: str, outcome: Outcome) -> int:
    for report in outcome.reports:
        print(output.report_line(report))
    for error in outcome.errors:
        print(f"problem: {error}")
    state = "stopped" if outcome.stopped else "ok" if outcome.ok else "failed"
    print(f"{name}: {state} {outcome.summary()}".rstrip())
    return 0 if outcome.ok or outcome.stopped else 1


def scheduler_status(store: Store) -> tuple[str | None, list[JobState]]:
    """Who leads now ("host:pid since …", or None), and the jobs as the leader last recorded
    them."""
    return current_leader(store), job_store.list_jobs(store)
