"""The polite client on its own, against a loopback server."""

from __future__ import annotations

import email.utils
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from sources.errors import FetchError
from sources.http import HttpClient, _retry_after
from tests.httpserver import Reply, scripted_server
from tests.sources.fakes import MemoryCache


def test_last_modified_gives_a_conditional_get_answered_from_cache() -> None:
    stamp = "Wed, 01 Jul 2026 10:00:00 GMT"
    with scripted_server() as server, httpx.Client() as client:
        server.add(
            "GET",
            "/doc.json",
            Reply(200, b'{"v": 1}', {"Content-Type": "application/json", "Last-Modified": stamp}),
            Reply(304, b"", {"Last-Modified": stamp}),
        )
        http, cache = HttpClient(client), MemoryCache()
        first = http.get(server.url + "/doc.json", cache=cache)
        second = http.get(server.url + "/doc.json", cache=cache)
    assert first.content == second.content == b'{"v": 1}'
    assert not first.from_cache and second.from_cache
    assert server.requests[1]["headers"]["If-Modified-Since"] == stamp
    assert "If-Modified-Since" not in server.requests[0]["headers"]


def test_a_404_is_not_retried_and_says_so() -> None:
    with scripted_server() as server, httpx.Client() as client, pytest.raises(FetchError) as caught:
        HttpClient(client, sleep=lambda s: None).get(server.url + "/missing")
    assert caught.value.status == 404 and "not found" in caught.value.hint
    assert len(server.requests) == 1


def test_connection_refused_is_retried_then_reported() -> None:
    waits: list[float] = []
    with httpx.Client() as client:
        http = HttpClient(client, attempts=3, backoff=0.5, sleep=waits.append)
        with pytest.raises(FetchError) as caught:
            http.get("http://127.0.0.1:9/nothing-listens-here")
    assert "connection failed" in caught.value.reason
    assert waits == [0.5, 1.0]


def test_retry_after_accepts_seconds_and_http_dates() -> None:
    assert _retry_after("7") == 7.0
    soon = email.utils.format_datetime(datetime.now(UTC) + timedelta(seconds=30), usegmt=True)
    assert 25 <= (_retry_after(soon) or 0) <= 30
    assert _retry_after("whenever") is None
    assert _retry_after(None) is None


def test_redirects_on_the_same_host_are_followed_others_refused() -> None:
    with scripted_server() as server, httpx.Client() as client:
        server.add("GET", "/old", Reply(301, b"", {"Location": "/new"}))
        server.add("GET", "/new", Reply(200, b"here", {"Content-Type": "text/plain"}))
        server.add("GET", "/away", Reply(302, b"", {"Location": "https://elsewhere.example/x?t=1"}))
        http = HttpClient(client, sleep=lambda s: None)
        assert http.get(server.url + "/old").content == b"here"
        with pytest.raises(FetchError) as caught:
            http.get(server.url + "/away")
    assert "redirected to another host: https://elsewhere.example/x" in str(caught.value)
    assert not any("elsewhere" in r["path"] for r in server.requests)


def test_a_202_to_a_bot_is_an_error_not_an_empty_success() -> None:
    with scripted_server() as server, httpx.Client() as client:
        server.add("GET", "/schemes", Reply(202, b""))
        with pytest.raises(FetchError) as caught:
            HttpClient(client).get(server.url + "/schemes")
    assert caught.value.status == 202 and "bots" in caught.value.hint


def test_a_time_budget_stops_a_slow_source() -> None:
    with scripted_server() as server, httpx.Client(timeout=5) as client:
        server.add("GET", "/slow", Reply(200, b"late", delay=1.0))
        http = HttpClient(client, attempts=3, backoff=0).with_budget(0.3)
        with pytest.raises(FetchError) as caught:
            http.get(server.url + "/slow")  # answers in 1 s: only the budget can stop it
    assert "time budget" in str(caught.value) or "timed out" in str(caught.value)


def test_retries_are_logged_only_when_one_follows(caplog) -> None:
    with httpx.Client() as client:
        http = HttpClient(client, attempts=2, backoff=0, sleep=lambda s: None)
        with pytest.raises(FetchError):
            http.get("http://127.0.0.1:9/nothing-listens-here")
    retries = [r for r in caplog.records if r.getMessage().startswith("retry ")]
    assert len(retries) == 1 and "attempt=1" in retries[0].getMessage()
