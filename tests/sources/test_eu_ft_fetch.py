"""The I/O half of the EU F&T source against loopback servers: the replay of recorded payloads,
and a scripted server for hostile answers (SOURCES-GUIDE §2, §3.2–3.4)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from monitor.replay import PortalReplay, serve
from sources.errors import FetchError, ParseError
from sources.eu_ft import KIND
from sources.http import HttpClient
from sources.records import SourceConfig
from sources.settings import validate
from tests.conftest import load_json
from tests.httpserver import Reply, ScriptedServer, scripted_server
from tests.sources.fakes import MemoryCache

SEARCH = "/search-api/prod/rest/search"


def config(url: str, state: dict[str, Any] | None = None, **given: str) -> SourceConfig:
    settings = validate("eu-ft", KIND.settings, {"page_delay": "0", **given})
    return SourceConfig("eu-test", url, settings, state or {})


@pytest.fixture
def http() -> Iterator[HttpClient]:
    slept: list[float] = []
    with httpx.Client(timeout=2.0) as client:
        wrapped = HttpClient(client, attempts=3, backoff=0.01, max_wait=5, sleep=slept.append)
        wrapped.slept = slept  # type: ignore[attr-defined]
        yield wrapped


@pytest.fixture
def replay(search_2026: dict[str, Any]) -> PortalReplay:
    details = load_json("eu_ft/topicDetails_DIGITAL-2026-SKILLS-10-EDTECH.json")["TopicDetails"]
    return PortalReplay(search_2026["results"], {details["identifier"]: details})


def test_every_page_is_fetched_with_multipart_json_parts(replay, http, now) -> None:
    with serve(replay) as base:
        result = KIND.fetch(
            http, config(base + "/search-api/prod/rest", page_size="5", programmes=""), None
        )
    # 14 English type-1 hits (the type-2 PROSPECTS pair is filtered out by the query).
    assert [p.number for p in result.pages] == [1, 2, 3]
    assert sum(len(p.data["results"]) for p in result.pages) == 13
    assert result.state["total"] == 13
    sent = replay.requests[0]
    assert sent["params"] == {"apiKey": "SEDIA", "text": "***", "pageSize": "5", "pageNumber": "1"}
    assert sent["parts"]["languages"] == ["en"]
    assert sent["parts"]["sort"][0] == {"field": "identifier", "order": "ASC"}
    must = sent["parts"]["query"]["bool"]["must"]
    assert {"terms": {"type": ["1", "8"]}} in must
    assert {"terms": {"status": ["31094501", "31094502"]}} in must
    records = KIND.parse(result, now)
    assert len(records) == 10


def test_default_programmes_filter_the_query(replay, http) -> None:
    with serve(replay) as base:
        result = KIND.fetch(http, config(base + "/search-api/prod/rest"), None)
    must = replay.requests[0]["parts"]["query"]["bool"]["must"]
    assert {
        "terms": {"frameworkProgramme": ["43108390", "43332642", "43353764", "43152860"]}
    } in must
    identifiers = {h["metadata"]["identifier"][0] for p in result.pages for h in p.data["results"]}
    assert "LIFE-2026-STRAT-CLIMA-SIP-two-stage" not in identifiers
    assert "HORIZON-JU-GH-EDCTP3-2026-03-SERP-01" in identifiers


def test_plain_form_fields_get_the_servers_500(replay) -> None:
    with serve(replay) as base, httpx.Client() as client:
        answer = client.post(
            base + SEARCH, params={"apiKey": "SEDIA", "text": "***"}, data={"query": "{}"}
        )
    assert answer.status_code == 500


def test_enrichment_fetches_stubs_lower_case_first_with_conditional_get(replay, http, now) -> None:
    # Turn the DIGITAL hit into a stub so that enrichment asks for its topicDetails.
    stub = json.loads(json.dumps(replay.hits[2]))
    for key in ("descriptionByte", "deadlineDate", "budgetOverview"):
        stub["metadata"].pop(key)
    replay.hits = [stub]
    cache = MemoryCache()
    with serve(replay) as base:
        cfg = config(
            base + "/search-api/prod/rest",
            enrich="stubs",
            programmes="",
            details_url=base + "/topicDetails",
        )
        first = KIND.fetch(http, cfg, cache)
        second = KIND.fetch(http, cfg, cache)
    assert list(cache.entries) == [f"{base}/topicDetails/digital-2026-skills-10-edtech.json"]
    assert first.documents == second.documents
    record = KIND.parse(second, now)[0]
    assert record.budget == 12_500_000.0 and record.deadlines


def test_missing_topic_details_only_warn(replay, http) -> None:
    with serve(replay) as base:
        cfg = config(
            base + "/search-api/prod/rest",
            enrich="stubs",
            programmes="erasmus-plus",
            details_url=base + "/topicDetails",
        )
        result = KIND.fetch(http, cfg, None)
    assert result.pages
    assert any("ERASMUS-EDU-2024-EUR-UNIV-1" in w and "404" in w for w in result.warnings)


# --- hostile answers -----------------------------------------------------------------------


def page(results: list[Any], total: int | None = None, number: int = 1, size: int = 100) -> bytes:
    return json.dumps(
        {
            "totalResults": len(results) if total is None else total,
            "pageNumber": number,
            "pageSize": size,
            "results": results,
        }
    ).encode()


HIT = {"metadata": {"identifier": ["X-1"], "title": ["A call"], "type": ["1"]}}


@pytest.fixture
def server() -> Iterator[ScriptedServer]:
    with scripted_server() as scripted:
        yield scripted


def fetch_from(server: ScriptedServer, http: HttpClient, **given: str):
    given = {"programmes": "", "check_total": "false", **given}
    return KIND.fetch(http, config(server.url + "/search-api/prod/rest", **given), None)


@pytest.mark.parametrize(
    ("reply", "message"),
    [
        (
            Reply(
                200,
                b"<!DOCTYPE html><html><body>Service unavailable</body></html>",
                {"Content-Type": "text/html"},
            ),
            "expected JSON, got an HTML",
        ),
        (Reply(200, b"this is not json"), "not valid JSON"),
        (Reply(200, b'{"results": "nope", "totalResults": 1}'), "no 'results' list"),
        (Reply(200, b"[1, 2, 3]"), "expected a JSON object"),
        (Reply(200, b'{"results": []}'), "no integer 'totalResults'"),
        (Reply(200, b'{"type":"throwable","message":"An internal error occurred"}'), "API error"),
        (Reply(200, page([HIT], size=10)), "paging not honoured"),
        (Reply(200, page([], total=5)), "empty page although totalResults is 5"),
        (Reply(200, page([HIT], total=4_170_000)), "filter was probably ignored"),
    ],
)
def test_a_200_that_is_not_a_result_page_is_a_parse_error(server, http, reply, message) -> None:
    server.add("POST", SEARCH, reply)
    with pytest.raises(ParseError) as caught:
        fetch_from(server, http)
    assert message in str(caught.value)
    assert "eu-test" in str(caught.value) and "pageNumber=1" in str(caught.value)


def test_an_empty_200_is_a_broken_answer_naming_the_page(server, http) -> None:
    server.add("POST", SEARCH, Reply(200, b""))
    with pytest.raises(FetchError, match="200 with an empty body") as caught:
        fetch_from(server, http)
    assert "eu-test" in str(caught.value) and "pageNumber=1" in str(caught.value)


def test_a_truncated_body_fails_after_retries(server, http) -> None:
    server.add("POST", SEARCH, Reply(200, page([HIT])[:20], declared_length=500))
    with pytest.raises(FetchError) as caught:
        fetch_from(server, http)
    assert server.count("POST", SEARCH) == 3
    assert "connection failed" in caught.value.reason


def test_an_oversized_body_is_refused(server) -> None:
    server.add("POST", SEARCH, Reply(200, page([HIT] * 50)))
    with httpx.Client() as client, pytest.raises(FetchError) as caught:
        KIND.fetch(
            HttpClient(client, max_bytes=1000),
            config(server.url + "/search-api/prod/rest", programmes=""),
            None,
        )
    assert "exceeds the 1,000-byte limit" in str(caught.value)


def test_a_timeout_is_retried_then_reported(server) -> None:
    server.add("POST", SEARCH, Reply(200, page([HIT]), delay=0.5))
    with httpx.Client(timeout=0.1) as client, pytest.raises(FetchError) as caught:
        KIND.fetch(
            HttpClient(client, attempts=2, backoff=0, sleep=lambda s: None),
            config(server.url + "/search-api/prod/rest", programmes=""),
            None,
        )
    assert "timed out" in str(caught.value)
    assert server.count("POST", SEARCH) == 2


def test_5xx_and_429_are_retried_honouring_retry_after(server, http) -> None:
    server.add(
        "POST",
        SEARCH,
        Reply(503, b"busy"),
        Reply(429, b"slow down", {"Retry-After": "2", "Content-Type": "text/plain"}),
        Reply(200, page([HIT])),
    )
    result = fetch_from(server, http)
    assert len(result.pages) == 1
    assert server.count("POST", SEARCH) == 3
    assert http.slept == [0.01, 2.0]  # backoff, then the server's Retry-After


def test_retry_after_in_seconds_is_used_up_to_the_cap(server, http) -> None:
    server.add("POST", SEARCH, Reply(429, b"", {"Retry-After": "30"}), Reply(200, page([HIT])))
    fetch_from(server, http)
    assert http.slept == [5.0]


def test_other_4xx_are_not_retried(server, http) -> None:
    server.add("POST", SEARCH, Reply(403, b"forbidden"))
    with pytest.raises(FetchError) as caught:
        fetch_from(server, http)
    assert caught.value.status == 403
    assert server.count("POST", SEARCH) == 1
    assert "refused" in caught.value.hint


def test_a_failing_later_page_fails_the_whole_scan(server, http) -> None:
    server.add("POST", SEARCH, Reply(200, page([HIT], total=3, size=1)), Reply(502, b"bad gateway"))
    with pytest.raises(FetchError) as caught:
        fetch_from(server, http, page_size="1")
    assert "pageNumber=2" in str(caught.value)


def test_too_many_pages_is_refused_rather_than_partial(server, http) -> None:
    def endless(method: str, path: str, headers: dict[str, str], body: bytes) -> Reply:
        number = int(path.split("pageNumber=")[1].split("&")[0])
        return Reply(200, page([HIT], total=1000, number=number, size=1))

    server.add_function("POST", SEARCH, endless)
    with pytest.raises(ParseError) as caught:
        fetch_from(server, http, page_size="1", max_pages="3")
    assert "max_pages=3" in str(caught.value)


def test_a_collapsing_total_is_warned_about(server, http) -> None:
    server.add("POST", SEARCH, Reply(200, page([HIT])))
    result = KIND.fetch(
        http,
        config(
            server.url + "/search-api/prod/rest",
            {"total": 1800},
            programmes="",
            check_total="false",
        ),
        None,
    )
    assert result.warnings == ("total fell from 1800 to 1 since the last run",)


def test_the_user_agent_identifies_the_monitor(server) -> None:
    from sources.http import DEFAULT_USER_AGENT, build_client

    server.add("POST", SEARCH, Reply(200, page([HIT])))
    with build_client() as client:
        KIND.fetch(
            HttpClient(client), config(server.url + "/search-api/prod/rest", programmes=""), None
        )
    assert server.requests[0]["headers"]["User-Agent"] == DEFAULT_USER_AGENT


def test_a_sort_that_drops_documents_is_warned_about(server, http) -> None:
    def answer(method: str, path: str, headers: dict[str, str], body: bytes) -> Reply:
        sorted_request = b'name="sort"' in body
        return Reply(
            200,
            page(
                [HIT],
                total=1 if sorted_request else 2,
                size=int(path.split("pageSize=")[1].split("&")[0]),
            ),
        )

    server.add_function("POST", SEARCH, answer)
    result = fetch_from(server, http, check_total="true")
    assert result.warnings == ("sorted scan found 1 results but the unsorted total is 2",)
    assert server.count("POST", SEARCH) == 2


def test_an_api_error_message_is_cleaned_before_it_is_shown(server, http) -> None:
    hostile = json.dumps({"type": "throwable", "message": "boom\x1b[2J\nline" + "x" * 1000})
    server.add("POST", SEARCH, Reply(200, hostile.encode()))
    with pytest.raises(ParseError) as caught:
        fetch_from(server, http)
    assert "\x1b" not in str(caught.value) and "\n" not in str(caught.value)
    assert len(caught.value.reason) < 400
