"""The offline demo as a use case: replay recorded portal data on loopback, run the real fetch
path into the demo's own database, tag, and render a demo subscriber's digest to files. The
face prints what ``run`` returns (`funding-monitor demo`)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from importlib.resources import files
from pathlib import Path
from typing import Any

from pydantic import SecretStr

from monitor.app.context import App
from monitor.app.digests import render
from monitor.config import Settings
from monitor.errors import ConfigError
from monitor.ingest.runs import SourceReport, http_client, run_source
from monitor.replay import SEARCH_PATH, PortalReplay, serve
from monitor.store import sources as source_store
from monitor.store import subscribers as subscriber_store
from monitor.store.db import Store
from monitor.store.tables import Source, Subscriber
from monitor.store.views import CallView, list_calls
from monitor.tagging.classify import ClassifyReport, classify_stored
from sources.http import build_client

DEMO_SOURCE = "eu-ft-demo"
DEMO_DATABASE = "demo.db"  # in the output folder, unless --database-url says otherwise
DEMO_SUBSCRIBER = "demo-researcher@example.org"
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


@dataclass(frozen=True)
class DemoRun:
    """What the demo did: the database, the replay, the fetch, the tagging, the calls and the
    digest files written (format's description → path; empty when nothing was due)."""

    database: str
    as_of: datetime
    base_url: str
    hits: int
    requests: int
    report: SourceReport
    tagged: ClassifyReport
    calls: list[CallView]
    subscriber: Subscriber
    files: list[tuple[str, Path]]


def write_digest(app: App, as_of: datetime, language: str, out_dir: Path
                 ) -> tuple[Subscriber, list[tuple[str, Path]]]:  # fmt: skip
    """The demo subscriber's digest in every format, as files; nothing is sent or promised."""
    subscriber = ensure_subscriber(app.store(), language, as_of)
    out_dir.mkdir(parents=True, exist_ok=True)
    written: list[tuple[str, Path]] = []
    for fmt, name, what in DIGEST_FILES:
        text = render(app, subscriber, as_of, fmt)
        if text is None:
            return subscriber, []
        path = out_dir / name
        path.write_text(text, encoding="utf-8")
        written.append((what, path.resolve()))
    return subscriber, written


def run(
    settings: Settings,
    *,
    as_of: datetime,
    language: str = "en",
    out_dir: Path = Path("funding-monitor-demo"),
    database_url: str | None = None,
) -> DemoRun:
    """Serve the recordings, fetch them into the demo's database (``database_url``, default a
    SQLite file in ``out_dir``; never the configured one) with the clock pinned to ``as_of``,
    tag them, and write a demo subscriber's digest to ``out_dir``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    settings = demo_settings(settings, demo_database_url(out_dir, database_url), out_dir)
    app = App(settings)
    store = app.store()
    replay = load_replay()
    with (
        serve(replay) as base_url,
        build_client(user_agent=settings.user_agent, timeout=settings.http_timeout) as raw,
    ):
        source = ensure_source(store, base_url)
        report = run_source(store, source, http_client(settings, raw), now=as_of)
    tagged = classify_stored(store, settings, now=as_of)
    calls = list_calls(store, now=as_of, source=DEMO_SOURCE)
    subscriber, files_written = write_digest(app, as_of, language, out_dir)
    return DemoRun(store.safe_url, as_of, base_url, len(replay.hits), len(replay.requests),
                   report, tagged, calls, subscriber, files_written)  # fmt: skip
