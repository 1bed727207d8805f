"""The offline demo: replay recorded portal data on loopback and run the real fetch path."""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, datetime
from importlib.resources import files
from typing import Any

from monitor import output
from monitor.commands import report_line
from monitor.config import Settings
from monitor.errors import ConfigError
from monitor.ingest import http_client, run_source
from monitor.replay import SEARCH_PATH, PortalReplay, serve
from monitor.store import sources as source_store
from monitor.store.db import Store, open_store
from monitor.store.tables import Source
from monitor.store.views import list_calls
from monitor.tagging import classify_stored
from sources.http import build_client

DEMO_SOURCE = "eu-ft-demo"
SEARCH_FILE = "search_open_forthcoming_2026-06-27_subset.json"
DETAILS_FILES = ("topicDetails_DIGITAL-2026-SKILLS-10-EDTECH.json",)


def load_replay() -> PortalReplay:
    """The bundled recorded payloads (see monitor/demo_data/README.md for provenance)."""
    data = files("monitor") / "demo_data"
    hits = json.loads((data / SEARCH_FILE).read_text(encoding="utf-8"))["results"]
    details: dict[str, Any] = {}
    for name in DETAILS_FILES:
        doc = json.loads((data / name).read_text(encoding="utf-8"))["TopicDetails"]
        details[doc["identifier"]] = doc
    return PortalReplay(hits, details)


def ensure_source(store: Store, base_url: str) -> Source:
    """The demo source, pointed at this run's loopback server (added on first run)."""
    settings = {"page_size": "5", "page_delay": "0", "programmes": ""}
    url = base_url + SEARCH_PATH.removesuffix("/search")
    try:
        source = source_store.get_source(store, DEMO_SOURCE)
    except ConfigError:
        return source_store.add_source(store, DEMO_SOURCE, "eu-ft", url, settings)
    return source_store.update_source(store, source.name, url=url, settings=settings)


def run_demo(settings: Settings, limit: int = 15) -> int:
    """Serve the recordings, fetch them into the configured database, print what was stored."""
    store = open_store(settings.database_url)
    replay = load_replay()
    print(f"database: {store.safe_url}")
    with (
        serve(replay) as base_url,
        build_client(user_agent=settings.user_agent, timeout=settings.http_timeout) as raw,
    ):
        print(
            f"replaying {len(replay.hits)} recorded EU Funding & Tenders hits "
            f"(captured 2026-06-27) on {base_url}"
        )
        source = ensure_source(store, base_url)
        # Loopback replay: no pause between requests is needed to be polite to ourselves.
        local = settings.model_copy(update={"fetch_origin_interval": 0.0})
        report = run_source(store, source, http_client(local, raw))
    print(report_line(report))
    print(f"search requests served: {len(replay.requests)} (pages of 5)")
    tagged = classify_stored(store, settings)
    print(f"tagged {tagged.tagged} calls by priority area ({tagged.tagger}"
          + ("; the first model was trained from the shipped labels" if tagged.trained else "")
          + ")")  # fmt: skip
    now = datetime.now(UTC)
    calls = list_calls(store, now=now, source=DEMO_SOURCE)
    by_status = Counter(c.status for c in calls)
    print(
        f"\nstored {len(calls)} distinct calls from {DEMO_SOURCE}; status as of "
        f"{now:%Y-%m-%d}: " + ", ".join(f"{k} {v}" for k, v in sorted(by_status.items()))
    )
    print(
        "(the recording is from June 2026, so calls whose deadlines have passed show as "
        "closed, whatever the portal's stale flag said)\n"
    )
    print(output.calls_table(calls[:limit], settings.zone))
    print(
        "\nnext: `funding-monitor calls show ID`, `funding-monitor tags explain ID`, "
        "`funding-monitor calls list --tag global-health-lmic --json`, `funding-monitor status`"
    )
    return 0 if report.ok else 1
