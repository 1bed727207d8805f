"""Parsing in other processes: a payload from outside never runs its parser in this one.

Fetching is I/O and runs in threads; parsing (feedparser, expat, lxml, JSON) reads bytes that
anybody on the internet may have written, and a parser can crash on them (expat overflows its
stack on a long chain of nested entities: SIGSEGV) or exhaust memory. So every payload is
parsed in a child process, on every path (`fetch` of one source or many, `serve`'s jobs,
`sources test`); a crash there costs that one source, with a clear error naming the signal.

- Several sources: a ``ParsePool`` of worker processes, started when the run starts (by
  ``fork`` when the process has no other thread, else from a ``forkserver`` that imports the
  kinds once). When a worker dies, every parse it took down is retried in a process of its
  own, so only the payload that crashes again fails, and the pool is replaced.
- One source: ``parse_alone``, a process of its own.

Children die with their parent (``PR_SET_PDEATHSIG``, and a check of the parent right after),
so a `fetch` killed with SIGKILL leaves no worker behind. What a parser logs at WARNING or
above in the child (an item left out, a value dropped) comes back with the records and joins
the run's warnings. An exception other than a ``SourceError`` raised by a parser on an answer
becomes a ``ParseError`` naming it (the traceback is logged at DEBUG).
"""

from __future__ import annotations

import ctypes
import faulthandler
import importlib.machinery
import logging
import multiprocessing
import multiprocessing.connection
import os
import signal
import sys
import threading
import traceback
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from concurrent.futures.process import BrokenProcessPool
from datetime import datetime
from typing import Any

from sources.errors import ParseError, SourceError
from sources.records import CallRecord, FetchResult

logger = logging.getLogger(__name__)
Parse = Callable[[FetchResult, datetime], list[CallRecord]]
Parsed = tuple[list[CallRecord], tuple[str, ...]]  # records, warnings the parser logged
PRELOAD = ["sources.registry"]
PARSE_TIMEOUT = 300.0  # seconds one answer may take to parse (a 5,000-item feed takes ~1 s)
PR_SET_PDEATHSIG = 1
CRASH_HINT = (
    "The answer may be hostile (an XML entity bomb) or huge; look at it with `sources test`. "
    "The other sources carried on."
)


def default_processes() -> int:
    """Parse processes when the setting is unset: one per core (at most 8); 0 on one core,
    where each payload gets a short-lived process of its own instead of a pool."""
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
    _no_main_for_children()
    return context


def _no_main_for_children() -> None:
    """Spare every child the import of the main script. A child of a forkserver (or of spawn)
    first imports the parent's main module by path when that module has no spec: for the
    `funding-monitor` console script, the whole application, about 1 s per parse (Python
    3.11's forkserver ignores ``__main__`` in its preload list). With a spec named
    ``__main__`` it skips that; the children need nothing from the script (a parse function is
    always a module-level function of a package)."""
    main = sys.modules.get("__main__")
    if main is not None and getattr(main, "__spec__", None) is None:
        main.__spec__ = importlib.machinery.ModuleSpec("__main__", None)


def die_with_parent(forked_by: int | None = None) -> None:
    """End this process when the one that asked for it ends, however it ends.

    Two mechanisms, as each covers the other's blind spot: ``PR_SET_PDEATHSIG`` makes the
    kernel kill a forked worker when its parent dies (then a check, in case the parent died
    before the call); and a thread waits on multiprocessing's parent sentinel, which a
    forkserver's children need, since their kernel parent is the forkserver, which itself
    waits for them to end."""
    if sys.platform == "linux":
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        except (OSError, AttributeError):  # no prctl: the sentinel below still works
            pass
        if forked_by is not None and os.getppid() != forked_by:
            os._exit(1)  # forked, and the parent is gone already (a check that holds at PID 1)
    parent = multiprocessing.parent_process()
    if parent is not None and parent.sentinel is not None:
        threading.Thread(target=_exit_with, args=(parent.sentinel,), daemon=True).start()


def _forker(context: multiprocessing.context.BaseContext) -> int | None:
    """This process's id when ``context`` forks children from it (their kernel parent)."""
    return os.getpid() if context.get_start_method() == "fork" else None


def _exit_with(sentinel: int) -> None:
    multiprocessing.connection.wait([sentinel])  # readable once the parent has gone
    os._exit(1)


class _Capture(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def parse_capturing(parse: Parse, result: FetchResult, now: datetime) -> Parsed:
    """``parse(result, now)`` with the warnings the sources wing logs meanwhile (in a child
    process: the parent logs them, so they do not go to this process's handlers too)."""
    wing = logging.getLogger("sources")
    capture = _Capture()
    wing.addHandler(capture)
    propagate, wing.propagate = wing.propagate, False
    try:
        return parse(result, now), tuple(capture.messages)
    except SourceError:
        raise
    except Exception as exc:  # an answer the parser could not cope with: name it
        logger.debug("parser raised source=%s\n%s", result.source, traceback.format_exc())
        raise ParseError(
            f"the answer could not be read ({exc.__class__.__name__}: {str(exc)[:300]})",
            hint="The answer is malformed in a way the parser did not expect; look at it with "
            "`sources test`. If it looks valid, please report it with the output of `-v`.",
        ) from None
    finally:
        wing.removeHandler(capture)
        wing.propagate = propagate


def _worker_start(forked_by: int | None = None) -> None:
    die_with_parent(forked_by)
    faulthandler.disable()  # a crash here is reported by the parent, not with its stacks
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle


def _ready() -> int:
    return os.getpid()


def _child(conn: Any, parse: Parse, result: FetchResult, now: datetime,
           forked_by: int | None) -> None:  # fmt: skip
    """Body of ``parse_alone``'s process: send back (True, parsed) or (False, error)."""
    _worker_start(forked_by)
    try:
        message: tuple[bool, Any] = (True, parse_capturing(parse, result, now))
    except SourceError as exc:
        message = (False, exc)
    except BaseException as exc:  # carried to the parent, which raises it
        message = (False, RuntimeError(f"{exc.__class__.__name__}: {exc}"))
    try:
        conn.send(message)
    finally:
        conn.close()


def crash_error(exitcode: int | None) -> ParseError:
    """The error of a parse whose process ended without an answer."""
    if exitcode is not None and exitcode < 0:
        try:
            how = f"was killed by {signal.Signals(-exitcode).name}"
        except ValueError:
            how = f"was killed by signal {-exitcode}"
    else:
        how = f"exited with status {exitcode}"
    cause = " (out of memory?)" if exitcode in (-signal.SIGKILL, 1, None) else ""
    return ParseError(f"the parser process {how} while reading this answer{cause}",
                      hint=CRASH_HINT)  # fmt: skip


def too_slow(seconds: float) -> ParseError:
    return ParseError(
        f"the parser took more than {seconds:g} s over this answer and was stopped",
        hint="The answer may be hostile (built to make the parser loop) or far too large; "
        "look at it with `sources test`. The other sources carried on.",
    )


def parse_alone(
    parse: Parse, result: FetchResult, now: datetime, timeout: float = PARSE_TIMEOUT
) -> Parsed:
    """Parse in a short-lived process of its own. Raises the parser's ``SourceError``, or a
    ``ParseError`` naming the signal when the process dies, or when it has not answered
    within ``timeout`` seconds (it is then killed). ``parse`` must be a module-level function
    (it may be sent by reference)."""
    context = start_context()
    receive, send = context.Pipe(duplex=False)
    process = context.Process(  # type: ignore[attr-defined]
        target=_child, args=(send, parse, result, now, _forker(context)), daemon=True
    )
    process.start()
    send.close()
    try:
        if not receive.poll(timeout):
            process.kill()
            raise too_slow(timeout)
        answer: tuple[bool, Any] | None = receive.recv()
    except EOFError:  # the child died before it could answer
        answer = None
    finally:
        receive.close()
        process.join()
    if answer is None:
        raise crash_error(process.exitcode)
    ok, value = answer
    if ok:
        return value  # type: ignore[no-any-return]
    raise value


class ParsePool:
    """A process pool for ``parse``; usable from many threads. Use as a context manager."""

    def __init__(self, processes: int, timeout: float = PARSE_TIMEOUT) -> None:
        self.processes, self.timeout = processes, timeout
        self._lock = threading.Lock()
        self._executor: ProcessPoolExecutor | None = self._start()

    def _start(self) -> ProcessPoolExecutor:
        context = start_context()
        executor = ProcessPoolExecutor(
            self.processes, mp_context=context, initializer=_worker_start,
            initargs=(_forker(context),),
        )  # fmt: skip
        for _ in range(self.processes):  # start the workers now, while the first requests wait
            executor.submit(_ready)
        return executor

    def parse(self, parse: Parse, result: FetchResult, now: datetime) -> Parsed:
        """``parse(result, now)`` in a worker process, with the warnings it logged. A worker
        that dies breaks every parse under way in the pool: each is then tried again in a
        process of its own (``parse_alone``), so only the payload that crashes it fails."""
        with self._lock:
            executor = self._executor
        if executor is None:
            return parse_alone(parse, result, now, self.timeout)
        try:
            future = executor.submit(parse_capturing, parse, result, now)
            return future.result(self.timeout)
        except BrokenProcessPool:
            self._replace(executor)
            logger.warning("parse worker died; parsing source=%s again on its own",
                           result.source)  # fmt: skip
            return parse_alone(parse, result, now, self.timeout)
        except FutureTimeout:  # a worker stuck on this answer: the pool is replaced
            self._replace(executor, kill=True)
            raise too_slow(self.timeout) from None

    def _replace(self, broken: ProcessPoolExecutor, *, kill: bool = False) -> None:
        """A new pool for a broken one. ``kill``: end the old one's workers first (one is
        stuck); the parses they held then break and are tried again on their own."""
        with self._lock:
            if self._executor is broken:
                if kill:
                    for process in list(getattr(broken, "_processes", {}).values()):
                        process.kill()
                broken.shutdown(wait=False, cancel_futures=True)
                self._executor = self._start()

    def close(self) -> None:
        with self._lock:
            if self._executor is not None:
                self._executor.shutdown(wait=True, cancel_futures=True)
                self._executor = None

    def __enter__(self) -> ParsePool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def parse_isolated(
    parse: Parse, result: FetchResult, now: datetime, pool: ParsePool | None = None
) -> Parsed:
    """Parse in ``pool`` when there is one, else in a process of its own."""
    return pool.parse(parse, result, now) if pool is not None else parse_alone(parse, result, now)
