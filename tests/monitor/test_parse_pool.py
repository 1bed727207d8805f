"""Parsing in worker processes: same records as in threads, errors that cross the process
boundary intact, and a worker that dies fails only its source."""

from __future__ import annotations

import os
import pickle
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from monitor.ingest.parse_pool import ParsePool, default_processes, parse_alone
from monitor.ingest.runs import run_sources
from monitor.store import sources as source_store
from monitor.store.views import list_calls
from sources import feed
from sources.errors import FetchError, ParseError
from sources.http import HttpClient
from sources.records import FetchResult, Page
from sources.settings import validate
from tests import hostile
from tests.conftest import FIXTURES
from tests.httpserver import Reply, scripted_server

RSS = {"Content-Type": "application/rss+xml"}


@pytest.fixture
def http() -> Iterator[HttpClient]:
    with httpx.Client(timeout=5) as client:
        yield HttpClient(client, attempts=1, backoff=0, sleep=lambda s: None)


def _feed_result(body: bytes) -> FetchResult:
    headers = {"content-type": "application/rss+xml; charset=utf-8"}
    page = Page("http://127.0.0.1/rss", 1, {"content": body, "headers": headers})
    return FetchResult("edctp3", (page,), settings=validate("feed", feed.KIND.settings, {}))


def test_source_errors_survive_pickling_with_their_fields() -> None:
    error = ParseError("bad feed", source="s", url="http://x/", status=200, hint="look")
    copy = pickle.loads(pickle.dumps(error))
    assert type(copy) is ParseError and str(copy) == str(error)
    assert (copy.reason, copy.source, copy.url, copy.status, copy.hint) == (
        "bad feed", "s", "http://x/", 200, "look",
    )  # fmt: skip
    assert pickle.loads(pickle.dumps(FetchError("x"))).hint == FetchError.default_hint


def test_the_pool_parses_like_the_thread_and_brings_errors_back(now) -> None:
    body = (FIXTURES / "feeds/edctp3/calls_rss_trimmed.xml").read_bytes()
    with ParsePool(2) as pool:
        in_pool, warnings = pool.parse(feed.parse, _feed_result(body), now)
        with pytest.raises(ParseError, match="expected a feed, got an HTML page") as caught:
            pool.parse(feed.parse, _feed_result(b"<!doctype html><html>login</html>"), now)
    assert in_pool == feed.parse(_feed_result(body), now) and len(in_pool) == 13
    assert warnings == ()
    assert caught.value.hint == ParseError.default_hint


def test_a_dying_worker_fails_its_source_and_the_pool_is_replaced(now) -> None:
    body = (FIXTURES / "feeds/edctp3/calls_rss_trimmed.xml").read_bytes()
    with ParsePool(1) as pool:
        with pytest.raises(ParseError, match="parser process exited with status 3") as caught:
            pool.parse(hostile.die, _feed_result(body), now)
        assert "sources test" in caught.value.hint
        records, _ = pool.parse(feed.parse, _feed_result(body), now)  # a fresh worker
        assert len(records) == 13


def test_a_segfault_in_the_parser_costs_only_its_own_answer(now) -> None:
    with pytest.raises(ParseError, match="killed by SIGSEGV"):
        parse_alone(hostile.segfault, _feed_result(b"<rss/>"), now)


def test_expat_really_crashes_on_an_entity_chain_and_the_crash_is_contained(now) -> None:
    """The real thing: expat (not our guard) meets 100,000 nested entities in a child."""
    with pytest.raises(ParseError, match="killed by SIGSEGV") as caught:
        parse_alone(hostile.expat_bomb, _feed_result(hostile.entity_chain(100_000)), now)
    assert "entity bomb" in caught.value.hint


def test_a_crash_in_a_shared_pool_fails_only_the_payload_that_caused_it(now) -> None:
    """Three parses under way in a pool of two; one worker segfaults, which breaks every
    parse the pool held: the innocent ones are parsed again on their own and succeed."""
    body = (FIXTURES / "feeds/edctp3/calls_rss_trimmed.xml").read_bytes()
    jobs = [(feed.parse, body), (hostile.segfault, b"<rss/>"), (feed.parse, body)]
    with ParsePool(2) as pool, ThreadPoolExecutor(3) as threads:
        futures = [threads.submit(pool.parse, fn, _feed_result(b), now) for fn, b in jobs]
        good = [futures[0].result(), futures[2].result()]
        with pytest.raises(ParseError, match="SIGSEGV"):
            futures[1].result()
    assert [len(records) for records, _ in good] == [13, 13]


def test_what_the_parser_logs_in_the_child_comes_back_as_warnings(now) -> None:
    body = (FIXTURES / "feeds/edctp3/calls_rss_trimmed.xml").read_bytes()
    first = b"<link>https://www.global-health-edctp3.europa.eu/document/d3d297d7"
    body = body.replace(first, first.replace(b"https", b"ftp"), 1)  # one item: no http link
    with ParsePool(1) as pool:
        both = [parse_alone(feed.parse, _feed_result(body), now),
                pool.parse(feed.parse, _feed_result(body), now)]  # fmt: skip
    for records, warnings in both:
        assert len(records) == 12
        assert len(warnings) == 1 and "1 of 13 items left out" in warnings[0]


def test_an_unexpected_exception_in_a_parser_is_a_parse_error_naming_it(now) -> None:
    with pytest.raises(ParseError, match=r"could not be read \(ZeroDivisionError"):
        parse_alone(hostile.divide, _feed_result(b"<rss/>"), now)


def test_a_run_with_parse_processes_stores_what_a_threaded_run_stores(store, http, now) -> None:
    body = (FIXTURES / "feeds/edctp3/calls_rss_trimmed.xml").read_bytes()
    with scripted_server() as server:
        server.add("GET", "/rss", Reply(200, body, RSS))
        server.add("GET", "/html", Reply(200, b"<html><body>moved</body></html>",
                                         {"Content-Type": "text/html"}))  # fmt: skip
        source_store.add_source(store, "edctp3", "feed", server.url + "/rss", {})
        source_store.add_source(store, "moved", "feed", server.url + "/html", {})
        reports = run_sources(store, source_store.list_sources(store), http, now, workers=2,
                              parse_processes=2)  # fmt: skip
    by_name = {r.source: r for r in reports}
    assert by_name["edctp3"].ok and by_name["edctp3"].counts.new == 13
    assert not by_name["moved"].ok and "source 'moved'" in by_name["moved"].error
    assert "expected a feed" in by_name["moved"].error
    assert len(list_calls(store, now=now)) == 13


def test_default_processes_follow_the_cores() -> None:
    cores = len(os.sched_getaffinity(0))
    assert default_processes() == (0 if cores == 1 else min(cores, 8))


def test_workers_are_forked_only_from_a_single_threaded_process() -> None:
    import threading

    from monitor.ingest.parse_pool import start_context

    assert start_context().get_start_method() == ("fork" if threading.active_count() == 1
                                                  else "forkserver")  # fmt: skip
    stop = threading.Event()
    helper = threading.Thread(target=stop.wait)
    helper.start()
    try:
        assert start_context().get_start_method() == "forkserver"
    finally:
        stop.set()
        helper.join()


def test_a_parser_that_never_ends_is_stopped_alone_and_in_a_pool(now) -> None:
    body = (FIXTURES / "feeds/edctp3/calls_rss_trimmed.xml").read_bytes()
    with pytest.raises(ParseError, match=r"took more than 1 s over this answer"):
        parse_alone(hostile.endless, _feed_result(b"<rss/>"), now, timeout=1)
    with ParsePool(1, timeout=1) as pool:
        with pytest.raises(ParseError, match="took more than 1 s"):
            pool.parse(hostile.endless, _feed_result(b"<rss/>"), now)
        records, _ = pool.parse(feed.parse, _feed_result(body), now)  # a fresh worker
    assert len(records) == 13
