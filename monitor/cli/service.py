"""The always-on commands: `serve`, `run --once` and `health-check` (the last two, like
`digest send` and `db copy`, hold the leader lock so that they never act beside a `serve`),
and stopping gracefully on SIGTERM and SIGINT."""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from monitor.app.context import App


logger = logging.getLogger(__name__)
NAMES = ("serve", "run", "health-check")  # they log their progress, on a terminal too


def register(commands: Any) -> None:
    commands.add_parser("serve", help="run the scheduler in the foreground (fetch, tag, send, "
                        "check)").set_defaults(run=serve)  # fmt: skip
    run = commands.add_parser("run", help="the whole pipeline once: fetch, tag, send what is due")
    run.add_argument("--once", action="store_true", required=True,
                     help="run once and exit (for cron)")  # fmt: skip
    run.add_argument("--now", action="store_true",
                     help="treat every digest as due now (as `digest send --now`)")  # fmt: skip
    run.set_defaults(run=run_once)
    commands.add_parser(
        "health-check",
        help="send curators' notices of unhealthy sources; exit 1 while a source is unhealthy",
    ).set_defaults(run=health_check)


@contextmanager
def stopping_on_signals(told: str | None = None) -> Iterator[threading.Event]:
    """An event set by the first SIGTERM or SIGINT: the work ends at its next safe point. A
    second signal ends the process at once (status 1); open transactions roll back. ``told``:
    printed on stderr at the first signal (a command a person waits on)."""
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
        if told:
            print(f"\n{told}", file=sys.stderr, flush=True)
        stop.set()

    previous = {sig: signal.signal(sig, handle) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield stop
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def serve(args: argparse.Namespace, app: App) -> int:
    from monitor.service.scheduler import serve as lead_or_wait

    with stopping_on_signals() as stop:
        return lead_or_wait(app.store(), app.settings, stop)


def run_once(args: argparse.Namespace, app: App) -> int:
    from monitor.app import pipeline

    with stopping_on_signals() as stop:
        return _report("run", pipeline.run(app, force=args.now, stop=stop))


def health_check(args: argparse.Namespace, app: App) -> int:
    from monitor.app import pipeline

    with stopping_on_signals() as stop:
        return _report("health-check", pipeline.health(app, stop=stop))


def _report(name: str, outcome: Any) -> int:
    from monitor.cli import output

    for report in outcome.reports:
        print(output.report_line(report))
    for error in outcome.errors:
        print(f"problem: {error}")
    state = "stopped" if outcome.stopped else "ok" if outcome.ok else "failed"
    print(f"{name}: {state} {outcome.summary()}".rstrip())
    return 0 if outcome.ok or outcome.stopped else 1
