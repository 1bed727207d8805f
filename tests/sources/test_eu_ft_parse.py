"""The pure half of the EU F&T source, over recorded payloads (SOURCES-GUIDE §3)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sources.eu_ft import parse
from sources.records import CallRecord, FetchResult, Page
from tests.conftest import load_json
from tests.sources.golden import check_golden


def _parse(
    data: dict[str, Any], now: datetime, documents: dict[str, Any] | None = None
) -> dict[str, CallRecord]:
    result = FetchResult("eu", (Page("u", 1, data),), documents or {})
    return {r.identifier: r for r in parse(result, now)}


def test_golden_2026_capture(search_2026: dict[str, Any], now: datetime) -> None:
    check_golden("eu_ft_2026-06-27.json", list(_parse(search_2026, now).values()))


def test_golden_2025_legacy_capture(search_2025: dict[str, Any], now: datetime) -> None:
    check_golden("eu_ft_2025-05.json", list(_parse(search_2025, now).values()))


def test_duplicates_across_datasources_and_pages_collapse(search_2026, now) -> None:
    records = _parse(search_2026, now)
    # 15 hits: ECHE three times, PROSPECTS twice, SOCPL twice (pages 1 and 2) -> 11 topics.
    assert len(search_2026["results"]) == 15
    assert len(records) == 11
    assert "SOCPL-2026-SOC-DIALOG" in records


def test_the_same_hits_split_over_two_pages_give_the_same_records(search_2026, now) -> None:
    hits = search_2026["results"]
    one = parse(FetchResult("eu", (Page("u", 1, search_2026),)), now)
    two = parse(
        FetchResult(
            "eu", (Page("u", 1, {"results": hits[:7]}), Page("u", 2, {"results": hits[7:]}))
        ),
        now,
    )
    assert one == two


def test_stale_open_flags_are_recomputed(search_2026, now) -> None:
    records = _parse(search_2026, now)
    for identifier in ("ERASMUS-EDU-2024-EUR-UNIV-1", "ERASMUS-EDU-2023-PEX-COVE", "EU4H-2024-OG"):
        record = records[identifier]
        assert record.source_status == "open"
        assert record.status == "closed"
        assert "stale-source-status" in record.flags
    assert records["ERASMUS-SPORT-2026-EU-AWARDS-INCLUSION"].status == "forthcoming"
    assert records["ERASMUS-EDU-2026-PEX-COVE"].status == "open"


def test_conflicting_duplicate_prefers_the_described_latest_record(search_2026, now) -> None:
    eche = _parse(search_2026, now)["ERASMUS-EDU-2022-ECHE-CERT-FP"]
    # The SEDIA copy with a description, ingested 2026-04-15, wins; the conflict is flagged.
    assert [d.at.date().isoformat() for d in eche.deadlines][-1] == "2026-03-24"
    assert len(eche.deadlines) == 5
    assert "conflicting-deadlines" in eche.flags
    assert eche.description


def test_two_stage_keeps_both_deadlines_at_17h_brussels(search_2026, now) -> None:
    life = _parse(search_2026, now)["LIFE-2026-STRAT-CLIMA-SIP-two-stage"]
    assert [d.at.isoformat() for d in life.deadlines] == [
        "2026-09-03T17:00:00+02:00",
        "2027-03-04T17:00:00+01:00",
    ]
    assert all(d.date_only for d in life.deadlines)
    assert life.deadlines[0].raw == "2026-09-03T00:00:00.000+0000"


def test_edctp3_is_horizon_europe_funded_by_the_joint_undertaking(search_2026, now) -> None:
    edctp3 = _parse(search_2026, now)["HORIZON-JU-GH-EDCTP3-2026-03-SERP-01"]
    assert edctp3.programme == "Horizon Europe"
    assert edctp3.funder == "Global Health EDCTP3 Joint Undertaking"
    # The overview lists the whole call: only this topic's action counts (15 M, not 18 M).
    assert (edctp3.budget, edctp3.currency) == (15_000_000.0, "EUR")
    assert "Sub-Saharan Africa" in edctp3.keywords
    assert edctp3.url.endswith("/topic-details/HORIZON-JU-GH-EDCTP3-2026-03-SERP-01")


def test_external_action_call_without_deadline(search_2026, now) -> None:
    call = _parse(search_2026, now)["EuropeAid/173638/ID/ACT/RS"]
    assert call.deadlines == ()
    assert call.status == "open" and "no-deadline" in call.flags
    assert (call.budget, call.currency) == (180_000.0, "EUR")
    assert call.url.endswith("callId=173638")


def test_legacy_keywords_in_a_json_string_are_decoded(search_2026, now) -> None:
    univ = _parse(search_2026, now)["ERASMUS-EDU-2024-EUR-UNIV-1"]
    assert "European Universities" in univ.keywords
    assert not any(k.startswith("[") for k in univ.keywords)


def test_legacy_2025_records_parse_despite_language_and_null_title(search_2025, now) -> None:
    records = _parse(search_2025, now)
    assert len(records) == 10
    for record in records.values():
        assert record.title and record.title != record.identifier
        assert record.status == "closed"
        assert all(d.at.hour == 17 for d in record.deadlines)


def test_topic_details_settle_deadlines_and_fill_stubs(search_2026, now) -> None:
    details = load_json("eu_ft/topicDetails_DIGITAL-2026-SKILLS-10-EDTECH.json")["TopicDetails"]
    stub = {
        "results": [
            {
                "metadata": {
                    "identifier": ["DIGITAL-2026-SKILLS-10-EDTECH"],
                    "title": ["EdTech Accelerator"],
                    "type": ["1"],
                    "status": ["31094502"],
                }
            }
        ]
    }
    record = _parse(stub, now, {"DIGITAL-2026-SKILLS-10-EDTECH": details})[
        "DIGITAL-2026-SKILLS-10-EDTECH"
    ]
    assert [d.at.isoformat() for d in record.deadlines] == ["2026-10-01T17:00:00+02:00"]
    assert record.programme == "Digital Europe"
    assert record.description.startswith("<")
    assert record.budget == 12_500_000.0
    assert record.status == "open"


def test_hits_without_identifier_or_metadata_are_skipped(now) -> None:
    data = {
        "results": [
            {"metadata": {}},
            "not a dict",
            {"no": "metadata"},
            {"metadata": {"identifier": ["X-1"], "title": ["T"]}},
        ]
    }
    records = _parse(data, now)
    assert list(records) == ["X-1"]
    assert records["X-1"].status == "open" and "no-deadline" in records["X-1"].flags


def test_bad_dates_and_budgets_do_not_break_the_record(now) -> None:
    data = {
        "results": [
            {
                "metadata": {
                    "identifier": ["X-2"],
                    "title": ["T"],
                    "deadlineDate": ["soon", "2026-09-03T00:00:00.000+0000"],
                    "startDate": ["whenever"],
                    "budgetOverview": ["{not json"],
                }
            }
        ]
    }
    record = _parse(data, now)["X-2"]
    assert [d.raw for d in record.deadlines] == ["2026-09-03T00:00:00.000+0000"]
    assert record.opens is None and record.budget is None


def test_status_depends_on_the_given_now(search_2026) -> None:
    later = datetime(2026, 11, 28, tzinfo=UTC)
    records = _parse(search_2026, later)
    assert records["ERASMUS-EDU-2026-PEX-COVE"].status == "closed"
    # Two-stage: closed to new applicants once stage 1 (2026-09-03) has passed.
    assert records["LIFE-2026-STRAT-CLIMA-SIP-two-stage"].status == "closed"


def test_edctp3_topic_details_with_epoch_strings(now) -> None:
    details = load_json("eu_ft/topicDetails_HORIZON-JU-GH-EDCTP3-2026-03-DIGIT-02_trimmed.json")[
        "TopicDetails"
    ]
    ident = "HORIZON-JU-GH-EDCTP3-2026-03-DIGIT-02"
    stub = {
        "results": [
            {
                "metadata": {
                    "identifier": [ident],
                    "title": ["Digital"],
                    "type": ["1"],
                    "status": ["31094502"],
                }
            }
        ]
    }
    record = _parse(stub, now, {ident: details})[ident]
    # 1788307200000 ms = 2026-09-02 (midnight UTC) -> 17:00 Brussels; opening 2026-01-14.
    assert [d.at.isoformat() for d in record.deadlines] == ["2026-09-02T17:00:00+02:00"]
    assert record.opens is not None and record.opens.date().isoformat() == "2026-01-14"
    assert record.programme == "Horizon Europe"
    assert record.funder == "Global Health EDCTP3 Joint Undertaking"
    assert record.budget == 18_000_000.0  # its own action only, not SERP-01's
    assert record.status == "open"
    later = _parse(stub, datetime(2026, 9, 3, tzinfo=UTC), {ident: details})[ident]
    assert later.status == "closed"


def test_hostile_values_are_bounded(now) -> None:
    data = {
        "results": [
            {"metadata": {"identifier": ["X" * 5000], "title": ["too long an id"]}},
            {
                "metadata": {
                    "identifier": ["X-3"],
                    "title": ["\x1b[2J<b>T</b>\n\tx"],
                    "type": ["2"],
                    "budget": ["100"],
                    "currency": ["EURO-DOLLARS-AND-MORE"],
                    "callIdentifier": ["C" * 1000],
                }
            },
        ]
    }
    records = _parse(data, now)
    assert list(records) == ["X-3"]
    record = records["X-3"]
    assert record.title == "[2J<b>T</b> x"  # control characters gone; no HTML in titles anyway
    assert record.currency is None and record.budget == 100.0  # unknown, not guessed
    assert len(record.call_identifier) == 300


def test_enrichment_targets_only_grant_topics(search_2026) -> None:
    from sources.eu_ft.fetch import enrichment_targets

    pages = [Page("u", 1, search_2026)]
    stubs = enrichment_targets(pages, "stubs")
    # ECHE has one described copy, so it is no stub; PROSPECTS (type 2) never has topicDetails.
    assert stubs == ["ERASMUS-EDU-2023-PEX-COVE", "ERASMUS-EDU-2024-EUR-UNIV-1", "EU4H-2024-OG"]
    everything = enrichment_targets(pages, "all")
    assert len(everything) == 10 and "EuropeAid/173638/ID/ACT/RS" not in everything


def test_urls_are_canonical_and_cannot_be_bent(now) -> None:
    data = {
        "results": [
            {
                "metadata": {
                    "identifier": ["C-8"],
                    "title": ["Cascade"],
                    "type": ["8"],
                    "url": ["https://example.org/competitive-calls-cs/8"],
                }
            },
            {
                "metadata": {
                    "identifier": ["C-9"],
                    "title": ["Cascade"],
                    "type": ["8"],
                    "url": ["javascript:alert(1)"],
                }
            },
            {"metadata": {"identifier": ['A B"><x'], "title": ["Odd"], "type": ["1"]}},
        ]
    }
    records = _parse(data, now)
    assert records["C-8"].url == "https://example.org/competitive-calls-cs/8"
    assert records["C-9"].url.endswith("/topic-details/C-9")
    assert records['A B"><x'].url.endswith("/topic-details/A%20B%22%3E%3Cx")
