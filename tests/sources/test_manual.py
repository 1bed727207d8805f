"""The ``manual`` kind's values: what a curator writes, checked field by field, and the record
it makes (pure; the stored path is tested in tests/monitor/test_manual_calls.py)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from sources import manual
from sources.deadlines import TWO_STAGE, next_deadline
from sources.errors import FetchError
from sources.manual import EntryError
from sources.records import SourceConfig

STOCKHOLM = ZoneInfo("Europe/Stockholm")
NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
BASIC = {"title": "Erasmus+ KA131", "funder": "UHR", "url": "https://uhr.se/ka131"}


def values(**fields: object) -> dict[str, object]:
    return manual.values(fields, STOCKHOLM, NOW)


def test_a_date_alone_is_a_date_only_deadline_at_17_local_a_time_is_local() -> None:
    got = values(deadlines="2027-02-11; 2027-03-04 12:00; 2027-05-01T09:30Z")
    alone, timed, utc = got["deadlines"]
    assert alone.at == datetime(2027, 2, 11, 17, 0, tzinfo=STOCKHOLM) and alone.date_only
    assert timed.at == datetime(2027, 3, 4, 12, 0, tzinfo=STOCKHOLM) and not timed.date_only
    assert utc.at == datetime(2027, 5, 1, 9, 30, tzinfo=UTC)
    assert alone.raw == "2027-02-11" and got["staged"] is False


def test_deadlines_given_one_by_one_are_put_in_date_order() -> None:
    got = values(deadlines=["2027-05-01", "2027-02-11 12:00"])
    assert [d.raw for d in got["deadlines"]] == ["2027-02-11 12:00", "2027-05-01"]


def test_stages_make_a_two_stage_call_that_closes_to_newcomers_with_stage_1() -> None:
    given = values(**BASIC, deadlines="2027-05-01 stage 2; 2027-02-12 (stage 1)")
    assert given["staged"] is True
    record = manual.record("KI-1", given, NOW)
    assert TWO_STAGE in record.flags and record.status == "open"
    later = manual.record("KI-1", given, datetime(2027, 3, 1, tzinfo=UTC))
    assert later.status == "closed"  # stage 2 is only for those who passed stage 1
    assert next_deadline(later.deadlines, datetime(2027, 3, 1, tzinfo=UTC), TWO_STAGE) is None
    plain = manual.record("KI-2", values(**BASIC, deadlines="2027-02-12; 2027-05-01"), NOW)
    assert TWO_STAGE not in plain.flags  # two cut-offs


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("2027-02-30", "not a date"),
        ("12/02/2027", "YYYY-MM-DD"),
        ("2027-02-12 25:00", "not a date"),
        ("2207-02-12", "more than 10 years"),
        ("1999-02-12", "more than 10 years"),
        ("2027-02-12 stage 1; 2027-05-01", "every deadline its stage"),
        ("2027-02-12 stage 2; 2027-05-01 stage 1", "1, 2… in date order"),
        ("2027-02-12 stage 1; 2027-05-01 stage 3", "1, 2… in date order"),
        ("2027-02-12; 2027-02-12 17:00", "given twice"),
        ("; ".join(f"2027-01-{d:02d}" for d in range(1, 23)), "at most 20"),
    ],
)
def test_an_unusable_deadline_names_the_field_and_the_value(text: str, problem: str) -> None:
    with pytest.raises(EntryError) as raised:
        values(deadlines=text)
    message = str(raised.value)
    assert message.startswith("deadline") and problem in message
    shown = text if len(text) <= 80 else text[:79]
    assert shown.split(";")[0] in message


@pytest.mark.parametrize(
    ("text", "amount"),
    [("400000", 400000.0), ("400 000", 400000.0), ("1,200,000.50", 1200000.5), ("4e5", 4e5),
     ("", None)],
)  # fmt: skip
def test_budgets_are_read_in_the_usual_spellings(text: str, amount: float | None) -> None:
    assert values(budget=text)["budget"] == amount


@pytest.mark.parametrize(
    ("text", "problem"),
    [("-5", "negative"), ("inf", "not a finite"), ("nan", "not a finite"), ("0", "zero"),
     ("1e13", "more than"), ("400000 EUR", "the currency apart"), ("1,5", "not a number")],
)  # fmt: skip
def test_an_unusable_budget_is_refused_by_name(text: str, problem: str) -> None:
    with pytest.raises(EntryError) as raised:
        values(budget=text)
    assert str(raised.value).startswith(f"budget {text!r} is not usable") and problem in str(
        raised.value
    )


@pytest.mark.parametrize(
    ("field", "text", "problem"),
    [
        ("title", "   ", "required"),
        ("title", "x" * 301, "301 characters long; at most 300"),
        ("funder", "", "required"),
        ("programme", "p" * 400, "at most 300"),
        ("url", "ftp://uhr.se/x", "http(s)"),
        ("url", "uhr.se/x", "http(s)"),
        ("url", "https://uhr.se/a b", "whitespace"),
        ("summary", "s" * 20_001, "at most 20000"),
        ("currency", "euro", "three-letter"),
        ("status", "ongoing", "forthcoming, open, closed"),
        ("opens", "2027-13-01", "not a date"),
        ("opens", "2027-01-01 stage 1", "only a deadline has a stage"),
        ("identifier", "2027", "only digits"),
        ("identifier", "KA 131", "letters, digits"),
        ("colour", "blue", "no such field"),
    ],
)
def test_every_field_is_checked_where_it_enters(field: str, text: str, problem: str) -> None:
    with pytest.raises(EntryError) as raised:
        values(**{field: text})
    assert str(raised.value).startswith(f"{field} ") and problem in str(raised.value)
    assert raised.value.field == field


def test_the_summary_is_plain_text_kept_as_escaped_paragraphs() -> None:
    html = values(summary="Budget < 5 M & <b>bold</b>\nsame paragraph\n\nnext")["description"]
    escaped = "Budget &lt; 5 M &amp; &lt;b&gt;bold&lt;/b&gt;"
    assert html == f"<p>{escaped}<br>same paragraph</p><p>next</p>"


def test_a_record_needs_its_required_fields_and_a_currency_with_a_budget() -> None:
    with pytest.raises(EntryError, match="^url '' is not usable: it is required"):
        manual.record("X", values(title="t", funder="f"), NOW)
    with pytest.raises(EntryError, match="^currency .* needs its currency"):
        manual.record("X", values(**BASIC, budget="8000"), NOW)
    record = manual.record("X", values(**BASIC, budget="8000", currency="sek"), NOW)
    assert (record.budget, record.currency) == (8000.0, "SEK")


def test_the_status_is_given_only_without_deadlines_and_the_opening_precedes_them() -> None:
    rolling = manual.record("X", values(**BASIC, status="open"), NOW)
    assert rolling.status == "open" and "no-deadline" in rolling.flags
    with pytest.raises(EntryError, match="^status 'closed' .*takes its status from its dates"):
        manual.record("X", values(**BASIC, status="closed", deadlines="2027-02-11"), NOW)
    with pytest.raises(EntryError, match="^opens .*after the last deadline"):
        manual.record("X", values(**BASIC, opens="2027-03-01", deadlines="2027-02-11"), NOW)
    soon = manual.record("X", values(**BASIC, opens="2027-01-01", deadlines="2027-02-11"), NOW)
    assert soon.status == "forthcoming" and soon.opens == datetime(2026, 12, 31, 23, tzinfo=UTC)


def test_an_edit_keeps_what_it_does_not_give_and_clears_what_it_empties() -> None:
    staged = "2027-02-12 stage 1; 2027-05-01 stage 2"
    given = values(**BASIC, programme="Erasmus+", budget="9", currency="EUR", deadlines=staged)
    base = manual.record("X", given, NOW)
    edited = manual.record("X", values(title="New", programme="", budget=""), NOW, base)
    assert edited.title == "New" and edited.funder == "UHR" and edited.programme == ""
    assert (edited.budget, edited.currency) == (None, None)
    assert edited.deadlines == base.deadlines and TWO_STAGE in edited.flags
    cleared = manual.record("X", values(deadlines=""), NOW, base)
    assert cleared.deadlines == () and TWO_STAGE not in cleared.flags
    assert replace(edited, title=base.title, programme=base.programme, budget=base.budget,
                   currency=base.currency) == base  # fmt: skip


def test_the_kind_is_never_fetched() -> None:
    with pytest.raises(FetchError, match="entered by hand are not fetched"):
        manual.KIND.fetch(None, SourceConfig("manual", manual.KIND.default_url), None)  # type: ignore[arg-type]
