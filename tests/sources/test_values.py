"""Numbers and dates from a source are checked where they enter (issue #12, points 3 and 7): an
unusable value is dropped from its item with a warning naming the source, the item and the
value; the item is kept; a CallRecord can never hold such a value."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from typing import Any

import pytest

from sources import feed, grants_gov, page, values
from sources.errors import FetchError, ParseError
from sources.eu_ft.parse import parse as eu_parse
from sources.records import CallRecord, Deadline, FetchResult, Page
from sources.settings import validate
from sources.text import clean_line, html_to_text

BIDI = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c"


def _dropped(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]


@pytest.mark.parametrize(
    "raw", [float("inf"), float("-inf"), float("nan"), "1e999", "nan", -5, "-5", 1e13, "TBC"]
)
def test_an_unusable_amount_is_dropped_with_a_warning(raw: Any, caplog) -> None:
    caplog.set_level(logging.WARNING)
    assert values.amount(raw, source="src", item="ITEM-1") is None
    [message] = _dropped(caplog)
    assert "source=src" in message and "item=ITEM-1" in message and "field=budget" in message
    assert repr(raw)[:20] in message


@pytest.mark.parametrize("raw", [None, "", "  ", 0, "0", "none", "None"])
def test_no_amount_given_is_quiet(raw: Any, caplog) -> None:
    caplog.set_level(logging.WARNING)
    assert values.amount(raw, source="src", item="x") is None
    assert _dropped(caplog) == []


@pytest.mark.parametrize("raw", [5_000_000, "5000000", 5e6, " 5000000.0 "])
def test_a_usable_amount_is_a_float(raw: Any) -> None:
    assert values.amount(raw, source="src", item="x") == 5e6


def test_a_record_refuses_a_non_finite_or_absurd_budget() -> None:
    base = {"external_id": "A", "identifier": "A", "title": "T", "url": "https://x", "funder": "f",
            "programme": "p", "status": "open"}  # fmt: skip
    for budget in (float("inf"), float("nan"), -1.0, 1e15):
        with pytest.raises(ParseError, match="item 'A': budget"):
            CallRecord(**base, budget=budget)
    with pytest.raises(ParseError, match="deadline"):
        CallRecord(**base, deadlines=(Deadline(datetime(9999, 12, 31, tzinfo=UTC), "x"),))
    with pytest.raises(ParseError, match="opens"):
        CallRecord(**base, opens=datetime(1, 1, 1, tzinfo=UTC))
    assert CallRecord(**base, budget=5e6).budget == 5e6


def test_bidi_controls_are_removed_from_lines_and_text() -> None:
    assert clean_line(f"Evil{BIDI}Title") == "EvilTitle"
    assert html_to_text("<p>a\u202eb</p>") == "ab"


# --- eu-ft -------------------------------------------------------------------------------


def _hit(**meta: Any) -> dict[str, Any]:
    base = {"identifier": ["TOPIC-1"], "type": ["1"], "DATASOURCE": ["SEDIA"],
            "title": ["A topic"], "deadlineDate": ["2030-09-03T00:00:00.000+0000"]}  # fmt: skip
    return {"metadata": {**base, **meta}}


def _eu(*hits: dict[str, Any], documents: dict[str, Any] | None = None) -> list[CallRecord]:
    now = datetime(2026, 6, 27, tzinfo=UTC)
    return eu_parse(FetchResult("eu", (Page("u", 1, {"results": list(hits)}),),
                                      documents or {}), now)  # fmt: skip


def test_eu_ft_infinite_budget_is_dropped_and_the_topic_kept(caplog) -> None:
    caplog.set_level(logging.WARNING)
    overview = {"budgetTopicActionMap": {"1": [{"action": "TOPIC-1 - RIA",
                                                 "budgetYearMap": {"2026": 1e999}}]}}  # fmt: skip
    [record] = _eu(_hit(budgetOverview=[json.dumps(overview).replace("Infinity", "1e999")]))
    assert record.budget is None and record.identifier == "TOPIC-1"
    assert any("source=eu" in m and "item=TOPIC-1" in m and "inf" in m for m in _dropped(caplog))
    [record] = _eu(_hit(budget=["1e999"], currency=["EUR"], type=["2"]))
    assert record.budget is None


def test_eu_ft_dates_out_of_range_are_dropped(caplog) -> None:
    caplog.set_level(logging.WARNING)
    [record] = _eu(_hit(deadlineDate=["9999-12-31T00:00:00.000+0000",
                                      "2030-09-03T00:00:00.000+0000"],
                        startDate=["0001-01-01T00:00:00.000+0100"]))  # fmt: skip
    assert [d.at.year for d in record.deadlines] == [2030]
    assert record.opens is None
    assert any("item=TOPIC-1" in m and "9999" in m for m in _dropped(caplog))


def test_eu_ft_epoch_deadline_beyond_any_calendar_does_not_fail_the_source(caplog) -> None:
    caplog.set_level(logging.WARNING)
    details = {"actions": [{"deadlineDates": [10**20, 1_900_000_000_000],
                            "plannedOpeningDate": 10**20}]}  # fmt: skip
    [record] = _eu(_hit(startDate=[]), documents={"TOPIC-1": details})
    assert [d.at.date().isoformat() for d in record.deadlines] == ["2030-03-17"]
    assert any("item=TOPIC-1" in m and str(10**20) in m for m in _dropped(caplog))


def test_eu_ft_identifiers_lose_direction_overrides() -> None:
    [record] = _eu(_hit(identifier=["TOPIC\u202e-1"]))
    assert record.identifier == record.external_id == "TOPIC-1"
    assert record.url.endswith("/TOPIC-1")
    assert _eu(_hit(identifier=["\u202e\u2066"])) == []  # nothing left: no usable identifier


# --- grants-gov --------------------------------------------------------------------------


def test_grants_gov_bad_ceiling_and_far_dates_are_dropped(caplog) -> None:
    caplog.set_level(logging.WARNING)
    hit = {"id": 42, "number": "PAR-1", "title": "T", "openDate": "01/02/0001",
           "closeDate": "12/31/9999", "oppStatus": "posted"}  # fmt: skip
    detail = {"synopsis": {"awardCeiling": "1e999"}}
    now = datetime(2026, 6, 27, tzinfo=UTC)
    [record] = grants_gov.parse(FetchResult("gg", (Page("u", 1, {"oppHits": [hit]}),),
                                            {"42": detail}), now)  # fmt: skip
    assert record.budget is None and record.currency is None
    assert record.deadlines == () and record.opens is None
    messages = _dropped(caplog)
    assert any("source=gg" in m and "item=PAR-1" in m and "1e999" in m for m in messages)
    assert any("12/31/9999" in m for m in messages)
    assert any("opens" in m and "0001-01-02" in m for m in messages)


# --- page and feed ----------------------------------------------------------------------


def test_page_dates_out_of_range_are_dropped(caplog) -> None:
    caplog.set_level(logging.WARNING)
    items = [{"title": "A", "url": "https://f.example/a", "deadline": "31 December 2999",
              "opens": "1 January 1066", "summary": "", "id": "a"}]  # fmt: skip
    given = {"mode": "json", "json_script": "", "json_path": "", "deadline_field": "deadline",
             "opens_field": "opens", "id_field": "id", "url_field": "url"}  # fmt: skip
    settings = validate("page", page.KIND.settings, given)
    body = json.dumps(items)
    now = datetime(2026, 6, 27, tzinfo=UTC)
    [record] = page.parse(FetchResult("funder", (Page("https://f.example/", 1, {"text": body}),),
                                      settings=settings), now)  # fmt: skip
    assert record.deadlines == () and record.opens is None
    assert any("source=funder" in m and "31 December 2999" in m for m in _dropped(caplog))


def test_feed_dates_out_of_range_are_dropped(caplog) -> None:
    caplog.set_level(logging.WARNING)
    entry = {"title": "Call \u202eA", "link": "https://f.example/a", "guid": "g\u202e1",
             "atom_id": "", "summary": "Deadline: 31 December 2999", "published": "",
             "tags": [["Deadline", "1 March 2999"]]}  # fmt: skip
    settings = validate("feed", feed.KIND.settings, {})
    data = {"title": "F", "entries": [entry], "problem": ""}
    now = datetime(2026, 6, 27, tzinfo=UTC)
    [record] = feed.parse(FetchResult("rss", (Page("u", 1, data),), settings=settings), now)
    assert record.deadlines == ()
    assert record.title == "Call A" and record.external_id == "g1"
    assert any("source=rss" in m and "item=g1" in m and "2999" in m for m in _dropped(caplog))


# --- URLs -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "reason"),
    [("ftp://h.example/f", "http"), ("https:///f", "no host"), ("https://h.example/a b", "white"),
     ("https://h.example/\x1b[2J", "control"), ("https://h.example/\u202e", "control"),
     ("https://h.example:99999/", "cannot be read")],
)  # fmt: skip
def test_a_source_url_is_plain_http(url: str, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        values.http_url(url)
    assert values.http_url("https://h.example/f?x=1") == "https://h.example/f?x=1"


def test_credentials_in_a_url_are_masked_in_display_and_errors() -> None:
    url = "https://reader:s3cret@h.example/feed?a=@b"
    assert values.shown_url(url) == "https://***@h.example/feed?a=@b"
    assert values.shown_url("https://h.example/a@b") == "https://h.example/a@b"
    error = FetchError("HTTP 500", source="x", url=url)
    assert "s3cret" not in str(error) and "https://***@h.example/feed" in str(error)
