"""Web benchmark: the web face as a whole process (`funding-monitor web`, default settings) over
12,000 stored calls, 20 concurrent clients on loopback, on SQLite and on PostgreSQL.

Builds the store from the recorded EU portal payloads (bench/ingest.py's topics, new identifiers
and shifted dates), tags every call with 1-3 priority areas, starts the server, waits for its
first answer (the search index is built then: timed), then has 20 client threads send for
``--seconds`` each: faceted searches (random text, 1-3 facets, a closes-within, a sort, a page)
and call pages, in turns. Prints, per kind, the server's own time (its Server-Timing header)
and the client's, p50 and p95, requests/s, and the server's resident memory after the run.
Targets (issue #14): p95 server time <= 100 ms for a faceted search, <= 50 ms for a call page.

Then the staff pages (issue #15): 200 sources (each with 30 runs, some failing, and health
events; 300 of the calls a second source's copies, linked to the first's), an admin signed in
through the emailed link's page, then 1, 5 and the same 20 clients at once asking for every
staff page in turn, without a pause (the sources dashboard, a source, the audit log, users, and
every other staff page the app serves); per page p50, p95 (target <= 100 ms), and the
server's CPU time per request.

    python bench/web.py [--calls 12000] [--clients 20] [--seconds 15] [--skip-pg]
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from ingest import build_hits, pages  # noqa: E402  (bench/ingest.py)
from scratch import pg_database  # noqa: E402

from monitor.store import sources as source_store  # noqa: E402
from monitor.store import tags as tag_store  # noqa: E402
from monitor.store.calls import upsert_calls  # noqa: E402
from monitor.store.db import open_store  # noqa: E402
from sources.eu_ft import parse  # noqa: E402

WORDS = ["health", "africa", "research", "education", "climate", "digital", "mobility",
         "innovation", "partnership", "vaccine", "training", "HORIZON", "erasmus"]  # fmt: skip
TAGS = ["global-actor", "eu-research-policy", "global-health-lmic", "erasmus-education",
        "associated-countries", "north-america", "visibility", "at-home"]  # fmt: skip


STAFF_AT_ONCE = 5  # staff clients at once beside 1 and --clients: a busy office
COPIES = 300  # of the calls, published by a second source too (linked calls)


def build(url: str, count: int) -> list[int]:
    """``count`` calls in the store at ``url``, tagged (``COPIES`` of them a second source's
    copies of the first's, linked to them); returns their ids."""
    store = open_store(url)
    source = source_store.add_source(store, "eu-portal", "eu-ft", "http://127.0.0.1/", {})
    assert source.id is not None
    now = datetime.now(UTC)
    records = parse(pages(build_hits(count - COPIES)), now)
    upsert_calls(store, source.id, records, now)
    # a second source publishing some of the same calls: stored, and linked to the first's
    mirror = source_store.add_source(store, "eu-mirror", "eu-ft", "http://127.0.0.1/m", {})
    assert mirror.id is not None
    upsert_calls(store, mirror.id, records[:COPIES], now)
    from sqlmodel import select

    from monitor.store.tables import Call

    with store.session() as session:
        ids = [i for i in session.exec(select(Call.id)) if i is not None]
    rng = random.Random(3)
    given = {i: {t: (0.8, "rules", [f'phrase "{t}"']) for t in rng.sample(TAGS, rng.randint(1, 3))}
             for i in ids}  # fmt: skip
    tag_store.replace_call_tags(store, given, "bench", now)
    store.dispose()
    return ids


def add_sources(url: str, count: int) -> list[str]:
    """``count`` - 2 more sources (feeds), each with 30 runs (every seventh source failing for
    its last three) and a health event; an admin; returns the sources' names."""
    from datetime import timedelta

    from monitor.store import staff as staff_store
    from monitor.store.tables import FetchRun, Source, SourceEvent

    store = open_store(url)
    now = datetime.now(UTC)
    names = ["eu-portal", "eu-mirror"]
    runs: list[FetchRun] = []
    events: list[SourceEvent] = []
    sources: list[Source] = []
    for n in range(1, count - 1):
        name = f"feed-{n:03d}"
        row = source_store.add_source(store, name, "feed", f"https://funder{n}.example/rss", {})
        assert row.id is not None
        names.append(name)
        for k in range(30):
            failed = n % 7 == 0 and k >= 27
            at = now - timedelta(hours=6 * (30 - k))
            runs.append(FetchRun(source_id=row.id, started_at=at,
                                 finished_at=at + timedelta(seconds=2),
                                 outcome="error" if failed else "ok", items=0 if failed else 25,
                                 unchanged=0 if failed else 25,
                                 error="HTTP 503 from funder" if failed else None))  # fmt: skip
        events.append(SourceEvent(source_id=row.id, kind="unhealthy" if n % 7 == 0 else "healthy",
                                  reason="2 failed runs in a row" if n % 7 == 0 else "",
                                  at=now - timedelta(hours=12)))  # fmt: skip
        failing = n % 7 == 0  # the source's own record of its last run, as a run leaves it
        row.last_run_at = runs[-1].finished_at
        row.last_outcome, row.consecutive_failures = ("error", 3) if failing else ("ok", 0)
        row.last_error = "HTTP 503 from funder" if failing else None
        row.healthy, row.health_reason = not failing, "2 failed runs in a row" if failing else None
        sources.append(row)
    with store.session() as session:
        session.add_all([*runs, *events])
        for row in sources:
            session.merge(row)
        session.commit()
    staff_store.add(store, "bench.admin@ki.se", "admin", now)
    if store.dialect == "postgresql":  # the statistics autovacuum gathers within a minute
        from sqlalchemy import text

        with store.engine.connect() as conn:
            conn.execute(text("ANALYZE"))
            conn.commit()
    store.dispose()
    return names


def sign_in(base: str, url: str) -> httpx.Client:
    """A client signed in to the staff pages as the admin, through the link's page."""
    import re
    from datetime import timedelta

    from monitor.store import email_links

    store = open_store(url)
    token = email_links.make_link(store, "staff", "bench.admin@ki.se", datetime.now(UTC),
                                  timedelta(minutes=15))  # fmt: skip
    store.dispose()
    http = httpx.Client(base_url=base, timeout=30)
    page = http.get(f"/staff/sign-in?token={token}")
    found = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert found, page.text[:500]
    done = http.post("/staff/sign-in", data={"csrf_token": found.group(1), "token": token})
    assert done.status_code in (200, 303), done.status_code
    return http


def staff_pages(http: httpx.Client, names: list[str]) -> list[str]:
    """Every staff page the app serves (from the menu), plus a source's own page."""
    import re

    home = http.get("/staff")
    assert home.status_code == 200, home.status_code
    found = sorted(set(re.findall(r'href="(/staff/[a-z-]+)"', home.text)) - {"/staff/sign-in"})
    pages = ["/staff", *found]
    if "/staff/sources" in found:
        pages.append(f"/staff/sources/{names[len(names) // 2]}")
    return pages


Timings = dict[str, list[tuple[float, float]]]  # per kind: (server ms, client ms)


def staff_client(http: httpx.Client, pages: list[str], until: float, seed: int, out: Timings,
                 lock: threading.Lock) -> None:  # fmt: skip
    mine: dict[str, list[tuple[float, float]]] = {p: [] for p in pages}
    n = seed
    while time.perf_counter() < until:
        path = pages[n % len(pages)]
        started = time.perf_counter()
        response = http.get(path)
        took = (time.perf_counter() - started) * 1000
        if response.status_code != 200:
            raise SystemExit(f"{path}: {response.status_code}")
        mine[path].append((float(response.headers["server-timing"].split("dur=")[1]), took))
        n += 1
    with lock:
        for path, rows in mine.items():
            out.setdefault(path, []).extend(rows)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def search_url(rng: random.Random) -> str:
    parts = []
    if rng.random() < 0.7:
        parts.append(("q", " ".join(rng.sample(WORDS, rng.randint(1, 2)))))
    for tag in rng.sample(TAGS, rng.randint(1, 3)):
        parts.append(("tag", tag))
    if rng.random() < 0.5:
        parts.append(("status", rng.choice(["open", "forthcoming", "closed"])))
    if rng.random() < 0.3:
        parts.append(("within", str(rng.choice([7, 30, 90]))))
    parts.append(("sort", rng.choice(["relevance", "deadline", "newest"])))
    if rng.random() < 0.3:
        parts.append(("page", str(rng.randint(2, 5))))
    return "/?" + str(httpx.QueryParams(parts))


def client(base: str, ids: list[int], until: float, seed: int,
           out: dict[str, list[tuple[float, float]]], lock: threading.Lock) -> None:  # fmt: skip
    rng = random.Random(seed)
    mine: dict[str, list[tuple[float, float]]] = {"search": [], "call": []}
    with httpx.Client(base_url=base, timeout=30) as http:
        n = 0
        while time.perf_counter() < until:
            kind = "search" if n % 2 == 0 else "call"
            path = search_url(rng) if kind == "search" else f"/calls/{rng.choice(ids)}"
            started = time.perf_counter()
            response = http.get(path)
            took = (time.perf_counter() - started) * 1000
            if response.status_code != 200:
                raise SystemExit(f"{path}: {response.status_code}")
            server = float(response.headers["server-timing"].split("dur=")[1])
            mine[kind].append((server, took))
            n += 1
    with lock:
        for kind, rows in mine.items():
            out[kind] += rows


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * p))]


def run(url: str, label: str, count: int, clients: int, seconds: float, sources: int) -> None:
    started = time.perf_counter()
    ids = build(url, count)
    names = add_sources(url, sources)
    print(f"{label}: {len(ids)} calls stored and tagged, {len(names)} sources, in "
          f"{time.perf_counter() - started:.1f} s")  # fmt: skip
    command = shutil.which("funding-monitor", path=str(Path(sys.executable).parent))
    assert command, "funding-monitor is not installed beside this Python"
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("FUNDING_MONITOR_")}
    env.update(FUNDING_MONITOR_DATABASE_URL=url, FUNDING_MONITOR_LOG_LEVEL="WARNING",
               FUNDING_MONITOR_SECRET_KEY="bench-secret-key-0123456789")  # fmt: skip
    server = subprocess.Popen([command, "web", "--port", str(port)], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        began = time.perf_counter()
        while True:
            try:
                first = httpx.get(base + "/", timeout=120)
                break
            except httpx.TransportError:
                if server.poll() is not None:
                    why = server.stderr.read().decode() if server.stderr else "died"
                    raise SystemExit(why) from None
                time.sleep(0.1)
        took = time.perf_counter() - began
        print(f"  first answer (start-up, building the index) {took:.1f} s, {first.status_code}")
        out: dict[str, list[tuple[float, float]]] = {"search": [], "call": []}
        lock = threading.Lock()
        until = time.perf_counter() + seconds
        threads = [threading.Thread(target=client, args=(base, ids, until, n, out, lock))
                   for n in range(clients)]  # fmt: skip
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        total = sum(len(v) for v in out.values())
        print(f"  {clients} clients for {seconds:.0f} s: {total} requests, {total / seconds:.0f}/s")
        for kind, target in (("search", 100), ("call", 50)):
            server_ms = [s for s, _ in out[kind]]
            client_ms = [c for _, c in out[kind]]
            p95 = pct(server_ms, 0.95)
            verdict = "met" if p95 <= target else "MISSED"
            print(f"  {kind:<7} n={len(server_ms):>5}  server p50 "
                  f"{statistics.median(server_ms):6.1f} ms  p95 {p95:6.1f} ms  (target <= "
                  f"{target} ms: {verdict})   client p50 {statistics.median(client_ms):6.1f} ms"
                  f"  p95 {pct(client_ms, 0.95):6.1f} ms")  # fmt: skip
        for count in sorted({1, STAFF_AT_ONCE, clients}):
            staff(base, url, names, count, seconds, server.pid)
        import psutil

        rss = psutil.Process(server.pid).memory_info().rss
        print(f"  server resident memory after the run {rss / 2**20:.0f} MB")
    finally:
        server.terminate()
        server.wait(timeout=30)


def staff(base: str, url: str, names: list[str], clients: int, seconds: float,
          pid: int) -> None:  # fmt: skip
    """The staff pages asked for by ``clients`` at once, without a pause, each signed in as
    the admin; with the server's CPU time per request (what saturates it)."""
    import psutil

    sessions = [sign_in(base, url) for _ in range(clients)]
    pages = staff_pages(sessions[0], names)
    out: dict[str, list[tuple[float, float]]] = {}
    lock = threading.Lock()
    cpu = psutil.Process(pid).cpu_times()
    until = time.perf_counter() + seconds
    threads = [threading.Thread(target=staff_client, args=(http, pages, until, n, out, lock))
               for n, http in enumerate(sessions)]  # fmt: skip
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    total = sum(len(v) for v in out.values())
    after = psutil.Process(pid).cpu_times()
    used = after.user - cpu.user + after.system - cpu.system
    print(f"  staff pages, {clients} client{'s' if clients > 1 else ''} at once for "
          f"{seconds:.0f} s: {total} requests, {total / seconds:.0f}/s, server CPU "
          f"{used * 1000 / max(total, 1):.1f} ms a request")  # fmt: skip
    for path in pages:
        server_ms = [s for s, _ in out.get(path, [])]
        if not server_ms:
            continue
        p95 = pct(server_ms, 0.95)
        verdict = "met" if p95 <= 100 else "MISSED"
        shown = "/staff/sources/NAME" if path.startswith("/staff/sources/") else path
        print(f"  {shown:<22} n={len(server_ms):>5}  server p50 {statistics.median(server_ms):6.1f}"
              f" ms  p95 {p95:6.1f} ms  (target <= 100 ms: {verdict})")  # fmt: skip
    for http in sessions:
        http.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=12_000)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument("--sources", type=int, default=200)
    parser.add_argument("--pg", default="postgresql://postgres@127.0.0.1:5432/test")
    parser.add_argument("--skip-pg", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as work:
        run(
            f"sqlite:///{work}/web.db",
            "SQLite",
            args.calls,
            args.clients,
            args.seconds,
            args.sources,
        )
    if not args.skip_pg:
        with pg_database(args.pg) as url:
            run(url, "PostgreSQL", args.calls, args.clients, args.seconds, args.sources)


if __name__ == "__main__":
    main()
