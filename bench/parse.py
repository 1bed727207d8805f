"""What parsing in a child process costs: each payload parsed in this thread (the baseline,
unsafe: a parser crash would end the process), in a process of its own (`parse_alone`: one
source, `sources test`, a `serve` job) by fork and from a forkserver, and in a pool (a run of
several sources). Also the time to contain a crash: expat meeting a 100,000-entity chain.

    python bench/parse.py [--rounds 40]

Prints milliseconds per parse (median over the rounds), the ratio to the baseline and the
bytes and calls parsed, for the recorded EDCTP3 feed (13 calls) and a 5,000-item feed.
"""

from __future__ import annotations

import argparse
import multiprocessing
import statistics
import sys
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from monitor.ingest import parse_pool  # noqa: E402
from monitor.ingest.parse_pool import ParsePool, parse_alone, parse_capturing  # noqa: E402
from sources import feed  # noqa: E402
from sources.errors import ParseError  # noqa: E402
from sources.records import FetchResult, Page  # noqa: E402
from sources.settings import validate  # noqa: E402
from tests.hostile import entity_chain, expat_bomb  # noqa: E402

NOW = datetime(2026, 6, 27, 12, 50, tzinfo=UTC)
EDCTP3 = (ROOT / "tests/fixtures/feeds/edctp3/calls_rss_trimmed.xml").read_bytes()


def result(body: bytes) -> FetchResult:
    page = Page("http://127.0.0.1/rss", 1, {"content": body, "headers": {
        "content-type": "application/rss+xml"}})  # fmt: skip
    return FetchResult("bench", (page,), settings=validate("feed", feed.KIND.settings, {}))


def big_feed(items: int) -> bytes:
    entries = "".join(
        f"<item><title>Call {i}</title><link>https://f.example/c/{i}</link><guid>g{i}</guid>"
        f"<description>Deadline: 15 March 2027. Text {i}</description></item>"
        for i in range(items)
    )
    return f'<rss version="2.0"><channel><title>Big</title>{entries}</channel></rss>'.encode()


def timed(run: Callable[[], object], rounds: int) -> float:
    samples = []
    for _ in range(rounds):
        started = time.perf_counter()
        run()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples) * 1000


def with_context(method: str, run: Callable[[], object]) -> Callable[[], object]:
    """``run`` with parse_pool's start method pinned (a thread forces the forkserver)."""

    def pinned() -> object:
        chosen = parse_pool.start_context
        parse_pool.start_context = lambda: (  # type: ignore[assignment]
            multiprocessing.get_context("fork") if method == "fork" else chosen()
        )
        try:
            return run()
        finally:
            parse_pool.start_context = chosen  # type: ignore[assignment]

    return pinned


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=40)
    args = parser.parse_args()
    keep = threading.Event()  # a second thread: the forkserver path, as in `serve`
    threading.Thread(target=keep.wait, daemon=True).start()
    for name, body in (("EDCTP3 feed", EDCTP3), ("5,000-item feed", big_feed(5_000))):
        payload = result(body)
        calls = len(feed.parse(payload, NOW))
        rounds = args.rounds if len(body) < 100_000 else max(3, args.rounds // 8)
        print(f"{name}: {len(body):,} bytes, {calls:,} calls, median of {rounds} parses")
        base = timed(lambda p=payload: parse_capturing(feed.parse, p, NOW), rounds)
        print(f"  {'in this thread (baseline)':<34} {base:8.1f} ms")
        with ParsePool(2) as pool:
            pool.parse(feed.parse, payload, NOW)  # workers up
            rows = {
                "own process, fork": with_context(
                    "fork", lambda p=payload: parse_alone(feed.parse, p, NOW)
                ),  # fmt: skip
                "own process, forkserver": with_context(
                    "forkserver", lambda p=payload: parse_alone(feed.parse, p, NOW)
                ),  # fmt: skip
                "pool of 2 (forkserver)": lambda p=payload: pool.parse(feed.parse, p, NOW),
            }
            rows["own process, forkserver"]()  # the forkserver starts once per process
            for label, run in rows.items():
                took = timed(run, rounds)
                print(f"  {label:<34} {took:8.1f} ms  {took / base:5.2f}x")
    bomb = result(entity_chain(100_000))
    started = time.perf_counter()
    try:
        parse_alone(expat_bomb, bomb, NOW)
    except ParseError as exc:
        print(
            f"entity bomb ({len(entity_chain(100_000)):,} bytes) in a child, unguarded: "
            f"contained in {(time.perf_counter() - started) * 1000:.0f} ms: {exc.reason}"
        )
    started = time.perf_counter()
    try:
        feed.parse(bomb, NOW)
    except ParseError as exc:
        print(
            f"the same bomb through the feed kind's guard: refused in "
            f"{(time.perf_counter() - started) * 1000:.1f} ms: {exc.reason[:60]}…"
        )
    keep.set()
    return 0


if __name__ == "__main__":
    sys.exit(main())
