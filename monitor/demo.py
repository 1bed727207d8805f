"""The offline demo: replay recorded portal data on loopback and run the real fetch path."""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, datetime
from importlib.resources import files
from pathlib import Path
from typing import Any

from pydantic import SecretStr

from monitor.cli import output
from monitor.cli.digest_commands import render
from monitor.config import Settings
from monitor.errors import ConfigError
from monitor.ingest.runs import http_client, run_source
from monitor.replay import SEARCH_PATH, PortalReplay, serve
from monitor.store import sources as source_store
from monitor.store import subscribers as subscriber_store
from monitor.store.db import Store, open_store
from monitor.store.tables import Source, Subscriber
from monitor.store.views import list_calls
from monitor.tagging.classify import classify_stored
from sources.http import build_client

DEMO_SOURCE = "eu-ft-demo"
DEMO_DATABASE = "demo.db"  # in the output folder, unless --database-url says otherwise
DEMO_SUBSCRIBER = "demo-researcher@example.org"
# The recording's capture time: the demo's clock, so that calls are open as they were that day.
RECORDED_AT = datetime(2026, 6, 27, 12, 50, tzinfo=UTC)
DIGEST_FILES = (("html", "digest.html", "email, HTML part"), ("text", "digest.txt",
                "email, text part"), ("eml", "digest.eml", "the whole email (MIME, with .ics)"),
                ("slack", "digest.slack.json", "Slack Block Kit messages"))  # fmt: skip
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


def demo_database_url(out_dir: Path, database_url: str | None = None) -> str:
    """The demo's own database: ``database_url`` when given, else a SQLite file in ``out_dir``
    (never the configured one: a curator's database would get a source at a dead port)."""
    return database_url or f"sqlite:///{(out_dir / DEMO_DATABASE).resolve()}"


def demo_settings(settings: Settings, database_url: str, out_dir: Path) -> Settings:
    """The demo's database and model folder (under ``out_dir``); loopback replay needs no pause
    between requests; links and tokens need a URL and a key (made up here when none is
    configured, so that the demo shows the unsubscribe headers)."""
    update: dict[str, Any] = {"fetch_origin_interval": 0.0, "database_url": database_url,
                              "model_dir": str((out_dir / "models").resolve())}  # fmt: skip
    if not settings.public_url:
        update["public_url"] = "https://funding-monitor.example.org"
    if not settings.secret_key.get_secret_value():
        update["secret_key"] = SecretStr("demo-only-key-not-for-real-use")
    return settings.model_copy(update=update)


def ensure_subscriber(store: Store, language: str, as_of: datetime) -> Subscriber:
    """The demo subscriber: follows the 'global actor' area, weekly, in ``language``."""
    fields = {"language": language, "filters": {"tags": ["global-actor"]}, "name": "Demo"}
    try:
        row = subscriber_store.get_subscriber(store, DEMO_SUBSCRIBER)
    except ConfigError:
        return subscriber_store.add_subscriber(store, "email", DEMO_SUBSCRIBER,
                                               created_at=as_of, **fields)  # fmt: skip
    assert row.id is not None
    return subscriber_store.update_subscriber(store, row.id, **fields)


def write_digest(store: Store, settings: Settings, as_of: datetime, language: str,
                 out_dir: Path) -> None:  # fmt: skip
    """The demo subscriber's digest in every format, as files; nothing is sent or promised."""
    subscriber = ensure_subscriber(store, language, as_of)
    out_dir.mkdir(parents=True, exist_ok=True)
    print(f"\ndemo subscriber {subscriber.address} ({language}, weekly, tag global-actor); "
          "its digest as of the pinned clock:")  # fmt: skip
    for fmt, name, what in DIGEST_FILES:
        text = render(store, settings, subscriber, as_of, fmt)
        if text is None:
            print("  nothing due (no open call matches)")
            return
        path = out_dir / name
        path.write_text(text, encoding="utf-8")
        print(f"  {path.resolve()}  ({what})")


def run_demo(
    settings: Settings,
    limit: int = 15,
    as_of: datetime = RECORDED_AT,
    language: str = "en",
    out_dir: Path = Path("funding-monitor-demo"),
    database_url: str | None = None,
) -> int:
    """Serve the recordings, fetch them into the demo's database (``database_url``, default a
    SQLite file in ``out_dir``; never the configured one) with the clock pinned to ``as_of``,
    tag them, show them, and write a demo subscriber's digest to ``out_dir``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    settings = demo_settings(settings, demo_database_url(out_dir, database_url), out_dir)
    store = open_store(settings.database_url)
    replay = load_replay()
    print(f"database: {store.safe_url} (the demo's own; --database-url to choose another)")
    print(f"clock pinned to {as_of.isoformat()} (--as-of), the day the payloads were recorded")
    with (
        serve(replay) as base_url,
        build_client(user_agent=settings.user_agent, timeout=settings.http_timeout) as raw,
    ):
        print(
            f"replaying {len(replay.hits)} recorded EU Funding & Tenders hits "
            f"(captured 2026-06-27) on {base_url}"
        )
        source = ensure_source(store, base_url)
        report = run_source(store, source, http_client(settings, raw), now=as_of)
    print(output.report_line(report))
    print(f"search requests served: {len(replay.requests)} (pages of 5)")
    tagged = classify_stored(store, settings, now=as_of)
    print(f"tagged {tagged.tagged} calls by priority area ({tagged.tagger}"
          + ("; the first model was trained from the shipped labels" if tagged.trained else "")
          + ")")  # fmt: skip
    calls = list_calls(store, now=as_of, source=DEMO_SOURCE)
    by_status = Counter(c.status for c in calls)
    print(
        f"\nstored {len(calls)} distinct calls from {DEMO_SOURCE}; status as of "
        f"{as_of:%Y-%m-%d}: " + ", ".join(f"{k} {v}" for k, v in sorted(by_status.items()))
    )
    print(output.calls_table(calls[:limit], settings.zone))
    write_digest(store, settings, as_of, language, out_dir)
    print(
        f"\nnext, on the demo's database: export FUNDING_MONITOR_DATABASE_URL='{store.safe_url}'"
        "\nthen `funding-monitor calls show ID`, `funding-monitor tags explain ID`, "
        f"`funding-monitor digest preview {DEMO_SUBSCRIBER} --as-of {as_of:%Y-%m-%d} "
        "--format text`, `funding-monitor status`"
    )
    return 0 if report.ok else 1
