"""The grants-gov kind over recorded search2 and fetchOpportunity answers."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from sources import grants_gov
from sources.errors import ParseError
from sources.http import HttpClient
from sources.records import FetchResult, Page, SourceConfig
from sources.settings import validate
from tests.conftest import load_json
from tests.httpserver import Reply, ScriptedServer, scripted_server
from tests.sources.golden import check_golden

SEARCH = load_json("feeds/grants_gov/search2_posted_rows5_start0.json")
DETAIL = load_json("feeds/grants_gov/fetchOpportunity_357305.json")


def settings(**given: str) -> dict[str, Any]:
    return validate("grants-gov", grants_gov.KIND.settings, {"page_delay": "0", **given})


def test_golden_search_with_one_detail(now) -> None:
    result = FetchResult("gg", (Page("u", 1, SEARCH["data"]),), {"357305": DETAIL["data"]})
    check_golden("grants_gov.json", grants_gov.parse(result, now))


def test_detail_gives_package_deadline_ceiling_and_foreign_eligibility(now) -> None:
    result = FetchResult("gg", (Page("u", 1, SEARCH["data"]),), {"357305": DETAIL["data"]})
    record = {r.external_id: r for r in grants_gov.parse(result, now)}["357305"]
    assert record.identifier == "PAR-25-274"
    assert [d.at.isoformat() for d in record.deadlines] == ["2026-11-17T17:00:00-05:00"]
    assert record.opens is not None and record.opens.date().isoformat() == "2024-11-21"
    assert record.status == "open" and record.funder == "National Institutes of Health"
    assert record.budget is None  # awardCeiling "none"
    assert "foreign-orgs-not-eligible" in record.flags
    assert "foreign-components-allowed" in record.flags
    assert record.url == "https://www.grants.gov/search-results-detail/357305"
    assert "Eligibility" in record.description


def test_foreign_flags_read_the_text() -> None:
    text = "Non-domestic (non-U.S.) Entities (Foreign Organizations) are eligible to apply."
    assert grants_gov.foreign_flags(text) == ("foreign-orgs-eligible",)
    assert grants_gov.foreign_flags("") == ()


def test_search_body_joins_values_with_pipes() -> None:
    body = grants_gov.search_body(settings(agencies="HHS-NIH11,HHS-CDC", keyword='"global health"'),
                                  0)  # fmt: skip
    assert body["agencies"] == "HHS-NIH11|HHS-CDC"
    assert body["oppStatuses"] == "forecasted|posted"
    assert body["keyword"] == '"global health"'


@pytest.fixture
def server() -> Iterator[ScriptedServer]:
    with scripted_server() as scripted:
        yield scripted


def fetch(server: ScriptedServer, **given: str):
    with httpx.Client() as client:
        config = SourceConfig("gg", server.url + "/v1/api", settings(**given))
        return grants_gov.fetch(HttpClient(client, sleep=lambda s: None), config, None)


def page(start: int, rows: int, hits: list[Any], total: int) -> bytes:
    data = {**SEARCH["data"], "oppHits": hits, "hitCount": total,
            "searchParams": {**SEARCH["data"]["searchParams"], "startRecordNum": start,
                             "rows": rows}}  # fmt: skip
    return json.dumps({**SEARCH, "data": data}).encode()


def test_every_page_then_details(server) -> None:
    hits = SEARCH["data"]["oppHits"]

    def search(method: str, path: str, headers: dict[str, str], body: bytes) -> Reply:
        start = json.loads(body)["startRecordNum"]
        return Reply(200, page(start, 2, hits[start : start + 2], 5))

    server.add_function("POST", "/v1/api/search2", search)
    server.add("POST", "/v1/api/fetchOpportunity", Reply(200, json.dumps(DETAIL).encode()))
    result = fetch(server, rows="2", max_details="2")
    assert [len(p.data["oppHits"]) for p in result.pages] == [2, 2, 1]
    assert len(result.documents) == 2
    assert result.warnings == ("details fetched for 2 of 5 opportunities (max_details)",)
    sent = [json.loads(r["body"]) for r in server.requests if r["path"].endswith("search2")]
    assert [s["startRecordNum"] for s in sent] == [0, 2, 4]


@pytest.mark.parametrize(
    ("reply", "message"),
    [
        (Reply(200, b'{"errorcode": 1, "msg": "Invalid request", "data": {}}'), "API error 1"),
        (Reply(200, b"<html>maintenance</html>", {"Content-Type": "text/html"}), "expected JSON"),
        (Reply(200, b'{"errorcode": 0, "data": {"oppHits": "x"}}'), "no 'oppHits' list"),
        (Reply(200, b'{"errorcode": 0}'), "no 'data' object"),
    ],
)
def test_bad_answers_are_parse_errors(server, reply, message) -> None:
    server.add("POST", "/v1/api/search2", reply)
    with pytest.raises(ParseError, match=message) as caught:
        fetch(server, max_details="0")
    assert "startRecordNum=0" in str(caught.value)


def test_a_result_set_over_the_limit_is_refused(server) -> None:
    hits = SEARCH["data"]["oppHits"]
    server.add_function("POST", "/v1/api/search2", lambda m, p, h, b: Reply(
        200, page(json.loads(b)["startRecordNum"], 2, hits[:2], 5000)))  # fmt: skip
    with pytest.raises(ParseError, match="max_records=3"):
        fetch(server, rows="2", max_records="3", max_details="0")
