"""One source failing never touches stored calls nor stops the others (both backends)."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from monitor.ingest.runs import run_sources
from monitor.replay import PortalReplay, serve
from monitor.store import sources as source_store
from monitor.store.views import list_calls
from sources.http import HttpClient
from sources.limits import OriginLimiter
from tests.httpserver import Reply, scripted_server

SEARCH = "/search-api/prod/rest/search"
FAST = {"page_delay": "0", "programmes": ""}


@pytest.fixture
def http() -> Iterator[HttpClient]:
    with httpx.Client(timeout=2) as client:
        yield HttpClient(client, attempts=2, backoff=0, sleep=lambda s: None)


def test_a_bad_source_is_recorded_and_the_good_one_still_stored(store, http, search_2026, now):
    with serve(PortalReplay(search_2026["results"])) as good, scripted_server() as bad:
        bad.add(
            "POST", SEARCH, Reply(200, b"<html>maintenance</html>", {"Content-Type": "text/html"})
        )
        source_store.add_source(store, "good", "eu-ft", good + "/search-api/prod/rest", FAST)
        source_store.add_source(store, "bad", "eu-ft", bad.url + "/search-api/prod/rest", FAST)
        reports = run_sources(store, source_store.list_sources(store), http, now)
    by_name = {r.source: r for r in reports}
    assert by_name["good"].ok and by_name["good"].counts.new == 10
    assert not by_name["bad"].ok
    assert "source 'bad'" in by_name["bad"].error and "expected JSON" in by_name["bad"].error
    assert "pageNumber=1" in by_name["bad"].error
    health = {s.name: s for s in source_store.list_sources(store)}
    assert health["bad"].consecutive_failures == 1 and health["bad"].last_outcome == "error"
    assert health["good"].consecutive_failures == 0 and health["good"].last_success_at


def test_a_failed_run_leaves_stored_calls_untouched(store, http, search_2026, now) -> None:
    replay = PortalReplay(search_2026["results"])
    with serve(replay) as base:
        source_store.add_source(store, "eu", "eu-ft", base + "/search-api/prod/rest", FAST)
        run_sources(store, source_store.list_sources(store), http, now)
    before = [c.to_json() for c in list_calls(store, now=now)]
    for failure in (
        Reply(200, b'{"totalResults": 3, "results": [], "pageNumber": 1, "pageSize": 100}'),
        Reply(500, b"oops"),
        Reply(200, b'{"truncated": '),
    ):
        with scripted_server() as broken:
            broken.add("POST", SEARCH, failure)
            source_store.update_source(store, "eu", url=broken.url + "/search-api/prod/rest")
            [report] = run_sources(store, source_store.list_sources(store), http, now)
        assert not report.ok
        assert [c.to_json() for c in list_calls(store, now=now)] == before
    source = source_store.get_source(store, "eu")
    assert source.consecutive_failures == 3
    assert source_store.last_runs(store)[source.id].outcome == "error"


def test_invalid_stored_settings_fail_only_that_source(store, http, search_2026, now) -> None:
    with serve(PortalReplay(search_2026["results"])) as base:
        source_store.add_source(store, "ok", "eu-ft", base + "/search-api/prod/rest", FAST)
        source_store.add_source(
            store, "odd", "eu-ft", base + "/search-api/prod/rest", {"page_size": "1000"}
        )
        source_store.add_source(store, "alien", "no-such-kind", base, {})
        reports = {
            r.source: r for r in run_sources(store, source_store.list_sources(store), http, now)
        }
    assert reports["ok"].ok
    assert "page_size" in reports["odd"].error
    assert "unknown source kind 'no-such-kind'" in reports["alien"].error


def test_an_unexpected_bug_is_contained(store, http, search_2026, now, monkeypatch) -> None:
    import monitor.ingest.runs

    def explode(*args: Any, **kwargs: Any) -> None:
        raise ZeroDivisionError("boom")

    with serve(PortalReplay(search_2026["results"])) as base:
        source_store.add_source(store, "a", "eu-ft", base + "/search-api/prod/rest", FAST)
        source_store.add_source(store, "b", "eu-ft", base + "/search-api/prod/rest", FAST)
        real = monitor.ingest.runs.upsert_calls
        calls = iter([explode, real])
        monkeypatch.setattr(
            monitor.ingest.runs, "upsert_calls", lambda *a, **k: next(calls)(*a, **k)
        )
        reports = run_sources(store, source_store.list_sources(store), http, now)
    assert not reports[0].ok and "internal error: ZeroDivisionError" in reports[0].error
    assert reports[1].ok and reports[1].counts.new == 10


def test_last_seen_follows_the_listings(store, http, search_2026, now) -> None:
    replay = PortalReplay(search_2026["results"])
    with serve(replay) as base:
        source_store.add_source(store, "eu", "eu-ft", base + "/search-api/prod/rest", FAST)
        run_sources(store, source_store.list_sources(store), http, now)
        first_success = source_store.get_source(store, "eu").last_success_at
        replay.hits = [h for h in replay.hits if "SOCPL" not in h["metadata"]["identifier"][0]]
        [report] = run_sources(store, source_store.list_sources(store), http, now)
    assert report.counts.unseen == 1
    second_success = source_store.get_source(store, "eu").last_success_at
    views = {c.identifier: c for c in list_calls(store, now=now)}
    gone = views["SOCPL-2026-SOC-DIALOG"]
    assert gone.unseen_since == now and gone.last_seen == first_success
    assert views["LIFE-2026-STRAT-CLIMA-SIP-two-stage"].last_seen == second_success


def test_sources_are_fetched_concurrently_and_a_slow_one_is_cut_off(store, search_2026, now):
    import threading

    in_flight, peak, lock = [0], [0], threading.Lock()
    body = json.dumps(
        {
            "totalResults": 1,
            "pageNumber": 1,
            "pageSize": 100,
            "results": [{"metadata": {"identifier": ["X-1"], "title": ["A call"], "type": ["1"]}}],
        }
    ).encode()

    def answer(method: str, path: str, headers: dict[str, str], raw: bytes) -> Reply:
        with lock:
            in_flight[0] += 1
            peak[0] = max(peak[0], in_flight[0])
        time.sleep(0.1)
        with lock:
            in_flight[0] -= 1
        return Reply(200, body)

    settings = {**FAST, "check_total": "false"}
    with scripted_server() as fast, scripted_server() as slow, httpx.Client(timeout=5) as client:
        fast.add_function("POST", SEARCH, answer)
        slow.add("POST", SEARCH, Reply(200, body, delay=2.0))
        for n in range(4):
            source_store.add_source(
                store, f"fast{n}", "eu-ft", fast.url + "/search-api/prod/rest", settings
            )
        source_store.add_source(
            store, "slow", "eu-ft", slow.url + "/search-api/prod/rest", settings
        )
        http = HttpClient(client, attempts=1, limiter=OriginLimiter(per_origin=2))
        # the fast four need two rounds of 0.1 s (two at a time on their origin): a budget
        # of 1.5 s leaves a loaded CI machine room and still cuts the 2 s one off
        reports = run_sources(
            store, source_store.list_sources(store), http, now, workers=5, budget=1.5
        )
    assert [r.source for r in reports] == ["fast0", "fast1", "fast2", "fast3", "slow"]
    assert all(r.ok and r.counts.new == 1 for r in reports[:4]), [r.error for r in reports]
    assert not reports[4].ok and (
        "time budget" in reports[4].error or "timed out" in reports[4].error
    )
    assert peak[0] == 2  # concurrent, but never more than 2 at a time on one origin


def test_feed_sources_use_conditional_gets_across_runs(store, http, now) -> None:
    from tests.conftest import FIXTURES

    body = (FIXTURES / "feeds/edctp3/calls_rss_trimmed.xml").read_bytes()
    with scripted_server() as server:
        server.add("GET", "/rss", Reply(200, body, {"Content-Type": "application/rss+xml",
                                                    "ETag": '"r1"'}),
                   Reply(304, b"", {"ETag": '"r1"'}))  # fmt: skip
        source_store.add_source(store, "edctp3", "feed", server.url + "/rss", {})
        [first] = run_sources(store, source_store.list_sources(store), http, now)
        [second] = run_sources(store, source_store.list_sources(store), http, now)
    assert first.ok and first.counts.new == 13
    assert second.ok and second.counts.unchanged == 13 and second.counts.new == 0
    assert server.requests[1]["headers"].get("If-None-Match") == '"r1"'


def _collected_feed(store, name: str, body: bytes, now):
    """A source whose fetch already completed (as a fetch worker hands it over)."""
    from monitor.ingest.runs import collect
    from monitor.store.sources import start_runs

    with scripted_server() as server:
        server.add("GET", "/rss", Reply(200, body, {"Content-Type": "application/rss+xml",
                                                    "ETag": f'"{name}"'}))  # fmt: skip
        source = source_store.add_source(store, name, "feed", server.url + "/rss", {})
        with httpx.Client(timeout=5) as client:
            collected = collect(store, source, HttpClient(client, attempts=1), now)
    [run_id] = start_runs(store, [source], now)
    return source, run_id, collected


def _edctp(tag: str) -> bytes:
    from tests.conftest import FIXTURES

    raw = (FIXTURES / "feeds/edctp3/calls_rss_trimmed.xml").read_text("utf-8")
    return raw.replace("/node/", f"/node/{tag}-").replace("<title>", f"<title>{tag} ").encode()


def test_sources_completed_together_are_written_together(store, now) -> None:
    from sqlmodel import select

    from monitor.ingest.runs import store_batch
    from monitor.store.tables import HttpCacheEntry

    batch = [_collected_feed(store, name, _edctp(name), now) for name in ("a", "b", "c")]
    reports = store_batch(store, batch, now)
    assert [(r.source, r.ok, r.counts.new, r.items) for r in reports] == [
        ("a", True, 13, 13), ("b", True, 13, 13), ("c", True, 13, 13)
    ]  # fmt: skip
    # The three feeds publish the same calls (same links or EU topic ids, like titles): one
    # call each, listed by the first source, the later copies linked to it as if one by one.
    calls = list_calls(store, now=now)
    assert len(calls) == 13 and {c.source for c in calls} == {"a"}
    assert all({x["source"] for x in c.also_listed} == {"b", "c"} for c in calls)
    assert len(list_calls(store, now=now, source="c")) == 13
    health = {s.name: s for s in source_store.list_sources(store)}
    assert all(health[n].last_outcome == "ok" and health[n].last_success_at for n in "abc")
    runs = source_store.last_runs(store)
    assert {runs[health[n].id].items for n in "abc"} == {13}
    with store.session() as session:
        assert len(session.exec(select(HttpCacheEntry)).all()) == 3


def test_when_the_joint_write_fails_each_source_is_written_alone(store, now, monkeypatch):
    import monitor.ingest.runs as ingest

    batch = [_collected_feed(store, name, _edctp(name), now) for name in ("a", "b")]

    def broken(*args, **kwargs):
        raise RuntimeError("simulated failure of the joint write")

    monkeypatch.setattr(ingest, "upsert_listings", broken)
    reports = ingest.store_batch(store, batch, now)
    assert [(r.source, r.ok, r.counts.new) for r in reports] == [("a", True, 13), ("b", True, 13)]
    assert len(list_calls(store, now=now, source="b")) == 13


def test_a_source_emptied_in_a_joint_write_turns_unhealthy(store, now) -> None:
    from monitor.ingest.runs import store_batch

    first = [_collected_feed(store, name, _edctp(name), now) for name in ("a", "b")]
    store_batch(store, first, now)
    empty = b'<?xml version="1.0"?><rss version="2.0"><channel><title>x</title></channel></rss>'
    from monitor.ingest.runs import collect
    from monitor.store.sources import start_runs

    sources = {s.name: s for s in source_store.list_sources(store)}
    with scripted_server() as server:
        server.add("GET", "/a", Reply(200, empty, {"Content-Type": "application/rss+xml"}))
        server.add("GET", "/b", Reply(200, _edctp("b"), {"Content-Type": "application/rss+xml"}))
        source_store.update_source(store, "a", url=server.url + "/a")
        source_store.update_source(store, "b", url=server.url + "/b")
        sources = {s.name: s for s in source_store.list_sources(store)}
        with httpx.Client(timeout=5) as client:
            http = HttpClient(client, attempts=1)
            batch = [(sources[n], start_runs(store, [sources[n]], now)[0],
                      collect(store, sources[n], http, now)) for n in ("a", "b")]  # fmt: skip
    reports = store_batch(store, batch, now)
    assert [(r.ok, r.counts.unseen) for r in reports] == [(True, 13), (True, 0)]
    health = {s.name: s for s in source_store.list_sources(store)}
    assert not health["a"].healthy and "returned no items (it had 13 before)" in (
        health["a"].health_reason or ""
    )
    assert health["b"].healthy
