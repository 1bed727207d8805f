"""Fetch benchmark: 200 feed sources over 40 loopback origins, each answering after 300 ms.

Measures, in one process:
  1. a sequential baseline: the 200 sources one after another (one worker),
  2. a concurrent first run (fetch_workers, 2 requests at a time per origin),
  3. an unchanged concurrent re-run, where conditional GETs should get 304s.
Prints wall time, speed-up over the baseline, requests, 304s, body bytes sent and peak RSS.
The origins run in a child process, so serving does not compete with the measured client.
Targets: >= 30x faster than sequential; the re-run moves <= 5% of the first run's bytes.

    python bench/fetch.py [--sources 200] [--origins 40] [--delay 0.3] [--workers 80]
"""

from __future__ import annotations

import argparse
import hashlib
import multiprocessing
import resource
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from multiprocessing.connection import Connection
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from monitor.ingest.parse_pool import default_processes  # noqa: E402
from monitor.ingest.runs import run_sources  # noqa: E402
from monitor.store import sources as source_store  # noqa: E402
from monitor.store.db import open_store  # noqa: E402
from sources.http import HttpClient, build_client  # noqa: E402
from sources.limits import OriginLimiter  # noqa: E402

FEEDS = [ROOT / "tests/fixtures/feeds/edctp3/calls_rss_trimmed.xml",
         ROOT / "tests/fixtures/feeds/ukri/ukri_opportunity_feed_excerpt.xml"]  # fmt: skip
NOW = datetime(2026, 6, 27, 12, 50, tzinfo=UTC)


class Counters:
    """Request, 304 and byte counts, shared with the server process."""

    def __init__(self) -> None:
        context = multiprocessing.get_context("fork")
        self.lock = context.Lock()
        self.values = context.Array("q", 3)  # requests, 304s, body bytes

    def add(self, sent: int, not_modified: bool) -> None:
        with self.lock:
            self.values[0] += 1
            self.values[1] += int(not_modified)
            self.values[2] += sent

    def reset(self) -> tuple[int, int, int]:
        with self.lock:
            out = (self.values[0], self.values[1], self.values[2])
            self.values[0] = self.values[1] = self.values[2] = 0
            return out


def feed_body(n: int) -> bytes:
    """A recorded feed, varied per source so that every source has its own items: distinct
    ids, titles and links (200 real funders do not link to one another's documents, and
    items sharing a link and a title would rightly be linked as one call)."""
    raw = FEEDS[n % len(FEEDS)].read_bytes().decode("utf-8")
    for host in ("https://www.global-health-edctp3.europa.eu/", "https://www.ukri.org/"):
        raw = raw.replace(host, f"{host}s{n}/")
    return raw.replace("<title>", f"<title>[{n}] ").encode()


def _serve(count: int, bodies: dict[str, bytes], delay: float, counters: Counters,
           pipe: Connection) -> None:  # fmt: skip
    """The origins, run in a process of their own so that serving costs the measured process
    nothing (real servers are elsewhere)."""

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:  # noqa: A002
            pass

        def do_GET(self) -> None:  # noqa: N802
            time.sleep(delay)
            body = bodies.get(self.path)
            if body is None:
                self.send_response(404)
                self.end_headers()
                return
            etag = '"' + hashlib.sha1(body).hexdigest()[:16] + '"'
            if self.headers.get("If-None-Match") == etag:
                self.send_response(304)
                self.send_header("ETag", etag)
                self.end_headers()
                counters.add(0, True)
                return
            self.send_response(200)
            self.send_header("Content-Type", "application/rss+xml; charset=utf-8")
            self.send_header("ETag", etag)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            counters.add(len(body), False)

    urls = []
    for _ in range(count):
        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        server.daemon_threads = True
        threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
        urls.append(f"http://127.0.0.1:{server.server_address[1]}")
    pipe.send(urls)
    pipe.recv()  # until the parent says stop (or goes away)


@contextmanager
def origins(count: int, bodies: dict[str, bytes], delay: float, counters: Counters
            ) -> Iterator[list[str]]:  # fmt: skip
    context = multiprocessing.get_context("fork")
    parent, child = context.Pipe()
    process = context.Process(target=_serve, args=(count, bodies, delay, counters, child),
                              daemon=True)  # fmt: skip
    process.start()
    try:
        yield parent.recv()
    finally:
        parent.send("stop")
        process.join(timeout=5)
        if process.is_alive():
            process.terminate()


def measure(label: str, store, sources, workers: int, processes: int, counters: Counters,
            baseline: float | None) -> float:  # fmt: skip
    limiter = OriginLimiter(per_origin=2, min_interval=0.0)
    with build_client(timeout=30, connections=max(workers * 2, 10)) as raw:
        http = HttpClient(raw, limiter=limiter)
        started = time.perf_counter()
        reports = run_sources(store, sources, http, NOW, workers=workers, budget=120,
                              parse_processes=processes if workers > 1 else 0)  # fmt: skip
        took = time.perf_counter() - started
    requests, not_modified, sent = counters.reset()
    ok = sum(r.ok for r in reports)
    items = sum(r.items for r in reports)
    ratio = f"  {baseline / took:5.1f}x the sequential baseline" if baseline else ""
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"  {label:<26} {took:6.2f} s  sources ok {ok}/{len(reports)}  items {items:>5}  "
          f"requests {requests:>4}  304s {not_modified:>4}  body bytes {sent:>9,}  "
          f"peak per-origin {max(limiter.peak.values(), default=0)}  peak RSS {rss:4.0f} MB"
          f"{ratio}")  # fmt: skip
    return took


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sources", type=int, default=200)
    parser.add_argument("--origins", type=int, default=40)
    parser.add_argument("--delay", type=float, default=0.3)
    parser.add_argument("--workers", type=int, default=80)
    parser.add_argument(
        "--parse-processes",
        type=int,
        default=default_processes(),
        help="processes parsing in the concurrent runs (0: in the threads)",
    )
    parser.add_argument(
        "--skip-baseline",
        type=float,
        metavar="SECONDS",
        help="skip the sequential run and use this figure from an earlier one",
    )
    args = parser.parse_args()
    processes = args.parse_processes
    counters = Counters()
    bodies = {f"/feed/{n}": feed_body(n) for n in range(args.sources)}
    with (
        tempfile.TemporaryDirectory() as tmp,
        origins(args.origins, bodies, args.delay, counters) as urls,
    ):
        print(f"{args.sources} feed sources on {args.origins} loopback origins, "
              f"{args.delay * 1000:.0f} ms per answer, {args.workers} workers, "
              f"{processes} parse processes")  # fmt: skip
        results = {}
        if args.skip_baseline:
            results["sequential baseline"] = args.skip_baseline
        for label, workers in (("sequential baseline", 1), ("concurrent", args.workers)):
            if label in results:
                continue
            store = open_store(f"sqlite:///{tmp}/{label[:3]}.db")
            for n in range(args.sources):
                url = f"{urls[n % len(urls)]}/feed/{n}"
                source_store.add_source(store, f"feed-{n}", "feed", url, {})
            sources = source_store.list_sources(store)
            results[label] = measure(f"{label}, first run", store, sources, workers, processes,
                                     counters, results.get("sequential baseline"))  # fmt: skip
            if workers > 1:
                first_bytes = sum(len(b) for b in bodies.values())
                measure("concurrent, unchanged", store, source_store.list_sources(store),
                        workers, processes, counters, results["sequential baseline"])  # fmt: skip
                print(f"  (first run moved {first_bytes:,} body bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
