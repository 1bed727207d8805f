"""Ingest benchmark: parse + normalise + upsert of >= 12,000 EU topics built from the recorded
payloads, on SQLite and on PostgreSQL.

Runs, per backend, in one process:
  1. first ingest (every call new),
  2. an unchanged re-run (must write 0 call rows and 0 change events),
  3. a re-run where 5% of the topics changed (deadline, budget or title);
  4. 2,000 of the topics from a second source, every call linked to its copy (matching),
     with ``matching.normalise`` as shipped (no cache) and, from a third source, with the
     removed module-level cache put back (issue #13).
Prints calls/s, rows written, wall time and peak RSS. Targets on a 2-core machine: first
ingest <= 5 s, unchanged re-run <= 1 s.

    python bench/ingest.py [--topics 12000] [--pg postgresql://postgres@127.0.0.1:5432/test]
"""

from __future__ import annotations

import argparse
import copy
import functools
import json
import random
import resource
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))


from scratch import pg_database  # noqa: E402  (bench/scratch.py)
from sqlalchemy import func  # noqa: E402
from sqlmodel import select  # noqa: E402

from monitor.store import matching  # noqa: E402
from monitor.store import sources as source_store  # noqa: E402
from monitor.store.calls import upsert_calls  # noqa: E402
from monitor.store.db import Store, open_store  # noqa: E402
from monitor.store.tables import Call, CallChange  # noqa: E402
from sources.eu_ft import parse  # noqa: E402
from sources.records import FetchResult, Page  # noqa: E402

FIXTURES = ROOT / "tests" / "fixtures" / "eu_ft"
NOW = datetime(2026, 6, 27, 12, 50, tzinfo=UTC)


def templates() -> list[dict[str, Any]]:
    hits = []
    for name in (
        "search_open_forthcoming_2026-06-27_subset.json",
        "search_all_legacy_2025-05_pageSize10.json",
    ):
        hits += json.loads((FIXTURES / name).read_text(encoding="utf-8"))["results"]
    return hits


def _shift(value: str, days: int) -> str:
    when = datetime.strptime(value[:19], "%Y-%m-%dT%H:%M:%S") + timedelta(days=days)
    return when.strftime("%Y-%m-%dT%H:%M:%S") + value[19:]


def build_hits(count: int, seed: int = 7) -> list[dict[str, Any]]:
    """``count`` distinct topics: recorded hits with new identifiers and shifted dates."""
    rng = random.Random(seed)
    base = templates()
    hits = []
    for n in range(count):
        hit = copy.deepcopy(base[n % len(base)])
        meta = hit["metadata"]
        ident = f"{meta['identifier'][0]}-B{n:05d}"
        meta["identifier"] = [ident]
        days = rng.randint(-400, 400)
        for key in ("deadlineDate", "startDate"):
            if meta.get(key):
                meta[key] = [_shift(v, days) for v in meta[key]]
        hits.append(hit)
    return hits


def change_some(hits: list[dict[str, Any]], share: float, seed: int = 11) -> int:
    """Alter ``share`` of the topics in place (deadline, title or budget); returns how many."""
    rng = random.Random(seed)
    chosen = rng.sample(range(len(hits)), int(len(hits) * share))
    for i, index in enumerate(chosen):
        meta = hits[index]["metadata"]
        if i % 3 == 0 and meta.get("deadlineDate"):
            meta["deadlineDate"] = [_shift(v, 14) for v in meta["deadlineDate"]]
        elif i % 3 == 1:
            meta["title"] = [meta["title"][0] + " (amended)"]
        else:
            meta["descriptionByte"] = [(meta.get("descriptionByte") or [""])[0] + "<p>Update</p>"]
    return len(chosen)


def pages(hits: list[dict[str, Any]]) -> FetchResult:
    return FetchResult(
        "bench",
        tuple(
            Page(f"p{n}", n, {"results": hits[i : i + 100]})
            for n, i in enumerate(range(0, len(hits), 100), start=1)
        ),
    )


def counts(store: Store) -> tuple[int, int]:
    with store.session() as session:
        calls = session.exec(select(func.count()).select_from(Call)).one()
        changes = session.exec(select(func.count()).select_from(CallChange)).one()
    return calls, changes


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def decode_baseline(hits: list[dict[str, Any]]) -> float:
    """Seconds to JSON-decode the same pages: the floor any fetch pays, for the ratios."""
    blobs = [json.dumps({"results": hits[i : i + 100]}).encode() for i in range(0, len(hits), 100)]
    started = time.perf_counter()
    for blob in blobs:
        json.loads(blob)
    return time.perf_counter() - started


def run(
    label: str, store: Store, source_id: int, result: FetchResult, when: datetime, baseline: float
) -> None:
    before_calls, before_changes = counts(store)
    started = time.perf_counter()
    records = parse(result, when)
    parsed = time.perf_counter()
    outcome = upsert_calls(store, source_id, records, when)
    done = time.perf_counter()
    calls, changes = counts(store)
    written = outcome.new + outcome.updated + outcome.unseen
    total = done - started
    print(
        f"  {label:<22} {len(records):>6} calls  {total:6.2f} s  "
        f"({len(records) / total:8.0f} calls/s; parse {parsed - started:5.2f} s, "
        f"upsert {done - parsed:5.2f} s)  call rows written {written:>5}  "
        f"change events +{changes - before_changes:<5} new rows +{calls - before_calls:<5} "
        f"peak RSS {peak_rss_mb():6.0f} MB  x{total / baseline:4.2f} of JSON decode"
    )


def bench(url: str, label: str, count: int) -> None:
    store = open_store(url)
    source = source_store.add_source(
        store, f"bench-{uuid.uuid4().hex[:6]}", "eu-ft", "http://127.0.0.1/", {}
    )
    assert source.id is not None
    hits = build_hits(count)
    size = sum(len(json.dumps(h)) for h in hits)
    baseline = decode_baseline(hits)
    print(
        f"{label}: {count} topics, {size / 1e6:.0f} MB of hit JSON; baseline: json.loads of "
        f"those pages {baseline:.2f} s"
    )
    run("first ingest", store, source.id, pages(hits), NOW, baseline)
    for attempt in (1, 2, 3):  # three times: this machine's timings vary by ~30% run to run
        run(f"unchanged re-run #{attempt}", store, source.id, pages(hits), NOW, baseline)
    changed = change_some(hits, 0.05)
    run(f"re-run, {changed} changed", store, source.id, pages(hits), NOW, baseline)
    linking(store, parse(pages(hits), NOW)[:2000])
    store.dispose()


def linking(store: Store, records: list[Any]) -> None:
    """Seconds to store ``records`` from another source, each linked to its copy: with
    ``normalise`` as shipped, then (a third source) with the removed cache put back."""
    plain = matching.normalise
    timings = []
    for label, function in (("as shipped", plain), ("cached", functools.lru_cache(65536)(plain))):
        other = source_store.add_source(store, f"copy-{uuid.uuid4().hex[:6]}", "feed",
                                        "http://127.0.0.1/", {})  # fmt: skip
        assert other.id is not None
        matching.normalise = function
        try:
            started = time.perf_counter()
            outcome = upsert_calls(store, other.id, records, NOW)
            timings.append(time.perf_counter() - started)
        finally:
            matching.normalise = plain
        print(f"  another source, linked ({label:<10}) {outcome.new:>6} calls  "
              f"{timings[-1]:6.2f} s")  # fmt: skip
    print(f"  the removed normalise cache would give {timings[0] / timings[1]:.2f}x")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--topics", type=int, default=12_000)
    parser.add_argument(
        "--pg",
        default="postgresql://postgres@127.0.0.1:5432/test",
        help="admin URL of the PostgreSQL server ('' to skip)",
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        bench(f"sqlite:///{tmp}/bench.db", "SQLite", args.topics)
    if args.pg:
        with pg_database(args.pg) as url:
            bench(url, "PostgreSQL", args.topics)
    return 0


if __name__ == "__main__":
    sys.exit(main())
