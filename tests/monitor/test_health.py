"""Source health: failures in a row, a source that goes quiet, and the events they leave."""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
import pytest

from monitor.cli import main
from monitor.ingest.runs import run_sources
from monitor.store import sources as source_store
from monitor.store.sources import health_problem
from sources.http import HttpClient
from tests.conftest import FIXTURES
from tests.httpserver import Reply, scripted_server

RSS = {"Content-Type": "application/rss+xml"}
FEED = (FIXTURES / "feeds/edctp3/calls_rss_trimmed.xml").read_bytes()
EMPTY = b'<?xml version="1.0"?><rss version="2.0"><channel><title>T</title></channel></rss>'


def test_health_rules() -> None:
    assert health_problem(2, "boom", None, 13, 2) == "2 failed runs in a row; last error: boom"
    assert health_problem(1, "boom", None, 13, 2) is None
    assert "returned no items (it had 13 before)" in health_problem(0, None, 0, 13, 2)
    assert health_problem(0, None, 0, 0, 2) is None  # it never had any
    assert health_problem(0, None, 5, 13, 2) is None


@pytest.fixture
def http() -> Iterator[HttpClient]:
    with httpx.Client(timeout=2) as client:
        yield HttpClient(client, attempts=1, sleep=lambda s: None)


def run(store, http, now):
    return run_sources(store, source_store.list_sources(store), http, now, unhealthy_after=2)


def test_failures_in_a_row_make_a_source_unhealthy_and_recovery_heals_it(store, http, now):
    with scripted_server() as server:
        server.add("GET", "/rss", Reply(200, FEED, RSS), Reply(500, b"x"), Reply(500, b"x"),
                   Reply(200, FEED, RSS))  # fmt: skip
        source_store.add_source(store, "edctp3", "feed", server.url + "/rss", {})
        run(store, http, now)
        run(store, http, now)
        assert source_store.get_source(store, "edctp3").healthy
        run(store, http, now)
        sick = source_store.get_source(store, "edctp3")
        assert not sick.healthy and sick.health_reason.startswith("2 failed runs in a row")
        run(store, http, now)
    healed = source_store.get_source(store, "edctp3")
    assert healed.healthy and healed.health_reason is None
    events = [(e.kind, e.reason) for _, e in source_store.source_events(store, "edctp3")]
    assert [kind for kind, _ in events] == ["healthy", "unhealthy"]
    assert events[0][1] == "recovered" and events[1][1].startswith("2 failed runs in a row")


def test_a_feed_that_goes_quiet_is_unhealthy_at_once(store, http, now) -> None:
    with scripted_server() as server:
        server.add("GET", "/rss", Reply(200, FEED, RSS), Reply(200, EMPTY, RSS))
        source_store.add_source(store, "edctp3", "feed", server.url + "/rss", {})
        run(store, http, now)
        [report] = run(store, http, now)
    assert report.ok and report.counts.unseen == 13
    source = source_store.get_source(store, "edctp3")
    assert not source.healthy and "returned no items (it had 13 before)" in source.health_reason


def test_status_lists_unhealthy_first_and_can_fail_on_them(store, http, now, db_url,
                                                          monkeypatch, capsys) -> None:  # fmt: skip
    with scripted_server() as server:
        server.add("GET", "/good", Reply(200, FEED, RSS))
        server.add("GET", "/bad", Reply(404, b"gone"))
        source_store.add_source(store, "a-good", "feed", server.url + "/good", {})
        source_store.add_source(store, "b-bad", "feed", server.url + "/bad", {})
        run(store, http, now)
        run(store, http, now)
    monkeypatch.setenv("FUNDING_MONITOR_DATABASE_URL", db_url)
    assert main(["status", "--json"]) == 0
    status = json.loads(capsys.readouterr().out)
    assert status["leader"] is None and status["jobs"] == []  # no `serve` ever ran
    listed = status["sources"]
    assert [s["name"] for s in listed] == ["b-bad", "a-good"]
    assert listed[0]["healthy"] is False and listed[1]["counts"]["items"] == 13
    assert main(["status", "--unhealthy"]) == 1
    out = capsys.readouterr().out
    assert "b-bad" in out and "UNHEALTHY" in out and "a-good" not in out
