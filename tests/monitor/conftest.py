"""Fixtures for the application's tests."""

from __future__ import annotations

from typing import Any

import pytest
from sqlmodel import select

from monitor.cli import main
from monitor.store import sources as source_store
from monitor.store import tags as tag_store
from monitor.store.calls import upsert_calls
from monitor.store.db import open_store
from monitor.store.tables import Call
from sources.eu_ft.parse import parse
from sources.records import FetchResult, Page
from tests.conftest import CAPTURE_TIME
from tests.httpserver import Reply, scripted_server
from tests.mailserver import mail_server

SECRET = "test-secret-key-1234"
TOKEN = "xoxb-loopback-token"


@pytest.fixture
def cli(db_url, monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("FUNDING_MONITOR_DATABASE_URL", db_url)
    monkeypatch.setenv("FUNDING_MONITOR_FETCH_ORIGIN_INTERVAL", "0")
    monkeypatch.chdir(tmp_path)

    def run(*argv: str) -> tuple[int, str, str]:
        code = main(list(argv))
        out, err = capsys.readouterr()
        return code, out, err

    return run


def tags_for(identifier: str) -> list[str]:
    """Tags given by hand, so these tests do not depend on the classifier."""
    if "EDCTP3" in identifier:
        return ["global-actor", "global-health-lmic", "eu-research-policy"]
    if identifier.startswith("ERASMUS"):
        return ["global-actor", "erasmus-education"]
    return ["global-actor", "eu-research-policy"]


@pytest.fixture
def portal(db_url, search_2026) -> dict[str, int]:
    """The recorded portal calls stored as first seen at capture time, and tagged."""
    store = open_store(db_url)
    source = source_store.add_source(store, "eu", "eu-ft", "http://127.0.0.1:9/x", {})
    assert source.id is not None
    records = parse(FetchResult("eu", (Page("u", 1, search_2026),)), CAPTURE_TIME)
    upsert_calls(store, source.id, records, CAPTURE_TIME)
    with store.session() as session:
        ids = {c.identifier: c.id for c in session.exec(select(Call)) if c.id is not None}
    given = {cid: {t: (0.9, "rules", []) for t in tags_for(ident)} for ident, cid in ids.items()}
    tag_store.replace_call_tags(store, given, "test", CAPTURE_TIME)
    store.dispose()
    return ids


@pytest.fixture
def box(monkeypatch) -> Any:
    with mail_server() as mailbox:
        monkeypatch.setenv("FUNDING_MONITOR_SMTP_HOST", mailbox.host)
        monkeypatch.setenv("FUNDING_MONITOR_SMTP_PORT", str(mailbox.port))
        monkeypatch.setenv("FUNDING_MONITOR_SMTP_SECURITY", "none")
        monkeypatch.setenv("FUNDING_MONITOR_MAIL_FROM", "monitor@ki.se")
        monkeypatch.setenv("FUNDING_MONITOR_PUBLIC_URL", "https://monitor.ki.se")
        monkeypatch.setenv("FUNDING_MONITOR_SECRET_KEY", SECRET)
        yield mailbox


@pytest.fixture
def api(monkeypatch) -> Any:
    with scripted_server() as server:
        server.add("POST", "/api/chat.postMessage", Reply(200, b'{"ok": true, "ts": "1.0"}'))
        monkeypatch.setenv("FUNDING_MONITOR_SLACK_BASE_URL", server.url + "/api/")
        monkeypatch.setenv("FUNDING_MONITOR_SLACK_TOKEN", TOKEN)
        yield server
