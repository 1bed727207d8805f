"""The JSON API against its own OpenAPI schema (schemathesis generates requests from the
schema, every answer must match it, and no request may cause a server error), and by hand:
the same filters as the search page, errors that name the parameter."""

from __future__ import annotations

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings

from monitor.web.app import create_app


def test_every_answer_matches_the_schema(web_app) -> None:
    """Each operation of /api/openapi.json, with requests schemathesis makes from the schema
    (40 a operation): no 5xx, every status and body as documented."""
    schema = schemathesis.openapi.from_asgi("/api/openapi.json", create_app(web_app))
    checked = []
    for result in schema.get_all_operations():
        operation = result.ok()

        @given(case=operation.as_strategy())
        @settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
        def check(case) -> None:
            asked = case.query or {}
            if asked.get("from") and asked.get("to") and str(asked["from"]) > str(asked["to"]):
                answer = case.call()  # what no schema can say: an empty range is a 400
                assert answer.status_code == 400, answer.text
                return
            case.call_and_validate()

        check()
        checked.append(operation.path)
    assert sorted(checked) == ["/api/v1/calls", "/api/v1/calls/{ref}"]


def test_the_api_filters_like_the_page(live, portal) -> None:
    everything = httpx.get(f"{live}/api/v1/calls", params={"per_page": 100}).json()
    assert everything["total"] == len(portal)
    health = httpx.get(f"{live}/api/v1/calls", params={"tag": "global-health-lmic"}).json()
    edctp = sorted(i for i in portal if "EDCTP3" in i)
    assert sorted(c["identifier"] for c in health["calls"]) == edctp
    tags = {f["value"]: f for f in health["facets"]["tag"]}
    chosen = tags["global-health-lmic"]
    assert chosen["chosen"] and chosen["count"] == len(edctp)
    one = httpx.get(f"{live}/api/v1/calls/{edctp[0]}").json()
    assert one["identifier"] == edctp[0] and one["changes"][0]["kind"] == "new"
    assert {e["tag"] for e in one["evidence"]} >= {"global-health-lmic"}


@pytest.mark.parametrize(("params", "name"), [
    ({"from": "2026-13-01"}, "from"), ({"sort": "cheapest"}, "sort"),
    ({"per_page": "1000"}, "per_page"), ({"within": "-3"}, "within"), ({"lang": "de"}, "lang"),
])  # fmt: skip
def test_a_value_the_schema_forbids_is_a_422_naming_it(live, params, name) -> None:
    answer = httpx.get(f"{live}/api/v1/calls", params=params)
    assert answer.status_code == 422
    assert [e["loc"] for e in answer.json()["detail"]] == [["query", name]]


def test_an_empty_deadline_range_is_a_400_that_says_so(live) -> None:
    answer = httpx.get(f"{live}/api/v1/calls", params={"from": "2027-02-01", "to": "2027-01-01"})
    assert answer.status_code == 400 and "the deadline range is empty" in answer.json()["error"]


def test_an_unknown_call_is_a_404(live) -> None:
    answer = httpx.get(f"{live}/api/v1/calls/NO-SUCH-CALL")
    assert answer.status_code == 404 and "NO-SUCH-CALL" in answer.json()["error"]


@pytest.mark.parametrize("ref", ["a%00b", "%00", "x" * 300, "%F0%9F%98%80", "1e9",
                                 "99999999999", "2147483648", "%E2%80%AE"])  # fmt: skip
def test_a_hostile_call_reference_is_a_404_never_a_500(live, ref) -> None:
    assert httpx.get(f"{live}/api/v1/calls/{ref}").status_code == 404
    assert httpx.get(f"{live}/calls/{ref}").status_code == 404
