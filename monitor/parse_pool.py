"""Parsing in other processes, so that a fetch run uses more than one core.

Fetching is I/O and runs in threads; parsing (feedparser, lxml, JSON) is CPU work that, in
threads, holds the one GIL the writes also need. A ``ParsePool`` sends each kind's pure
``parse(result, now)`` to a small process pool and hands the records back to the calling
thread. The pool is started when the run starts, before any fetch thread, so that the start-up
overlaps the first requests: by ``fork`` when the process has no other thread (instant, the
workers inherit the imported kinds), else from a ``forkserver`` that imports the kinds once.

A worker that dies (a payload that exhausts memory) fails only the sources it was parsing, with
a clear error; the rest of the run parses in threads.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import sys
import threading
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from datetime import datetime

from sources.errors import ParseError
from sources.records import CallRecord, FetchResult

logger = logging.getLogger(__name__)
Parse = Callable[[FetchResult, datetime], list[CallRecord]]
PRELOAD = ["sources.registry"]


def default_processes() -> int:
    """Parse processes when the setting is 0 (auto): one per core, none on a single core."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return min(cores or 1, 8) if (cores or 1) > 1 else 0


def start_context() -> multiprocessing.context.BaseContext:
    """``fork`` when this process runs only its main thread (on Linux): forking is then safe
    and instant, the workers inherit the imported kinds. Otherwise a ``forkserver``, which
    imports the kinds once and forks clean workers from itself (forking a threaded process can
    deadlock the child)."""
    if sys.platform == "linux" and threading.active_count() == 1:
        return multiprocessing.get_context("fork")
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(PRELOAD)
    return context


def _ready() -> int:
    return os.getpid()


class ParsePool:
    """A process pool for ``parse``; usable from many threads. Use as a context manager."""

    def __init__(self, processes: int) -> None:
        context = start_context()
        self.processes = processes
        self._executor: ProcessPoolExecutor | None = ProcessPoolExecutor(
            processes, mp_context=context
        )
        self._lock = threading.Lock()
        for _ in range(processes):  # start the workers now, while the first requests wait
            self._executor.submit(_ready)

    def parse(self, parse: Parse, result: FetchResult, now: datetime) -> list[CallRecord]:
        """``parse(result, now)`` in a worker process (in this thread once the pool broke).
        ``parse`` must be a module-level function (it is sent by reference)."""
        executor = self._executor
        if executor is None:
            return parse(result, now)
        try:
            return executor.submit(parse, result, now).result()
        except BrokenProcessPool as exc:
            self._broken()
            raise ParseError(
                "the parser process died while reading this source (out of memory?)",
                hint="The response may be huge or hostile; check it with `sources test`. "
                "The other sources were parsed in the main process.",
            ) from exc

    def _broken(self) -> None:
        with self._lock:
            if self._executor is not None:
                logger.error("parse pool broke; parsing the rest of the run in threads")
                self._executor.shutdown(wait=False, cancel_futures=True)
                self._executor = None

    def close(self) -> None:
        with self._lock:
            if self._executor is not None:
                self._executor.shutdown(wait=True, cancel_futures=True)
                self._executor = None

    def __enter__(self) -> ParsePool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
