"""The portal's deadline model (single-stage, two-stage, multiple cut-off) in parsed records."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from typing import Any

from sources.deadlines import TWO_STAGE
from sources.eu_ft import parse
from sources.records import CallRecord, FetchResult, Page

LIFE = "LIFE-2026-STRAT-CLIMA-SIP-two-stage"
ECHE = "ERASMUS-EDU-2022-ECHE-CERT-FP"


def _parse(data: dict[str, Any], now: datetime) -> dict[str, CallRecord]:
    return {r.identifier: r for r in parse(FetchResult("eu", (Page("u", 1, data),)), now)}


def test_a_two_stage_topic_is_flagged_and_closes_with_its_first_stage(search_2026, now) -> None:
    life = _parse(search_2026, now)[LIFE]
    assert TWO_STAGE in life.flags and life.status == "open"
    between = _parse(search_2026, datetime(2026, 10, 1, tzinfo=UTC))[LIFE]
    assert between.status == "closed"  # stage 2 (2027-03-04) is only for stage-1 applicants


def test_a_multiple_cut_off_topic_stays_open_until_its_last_cut_off(search_2026, now) -> None:
    eche = _parse(search_2026, datetime(2026, 2, 1, tzinfo=UTC))[ECHE]
    assert TWO_STAGE not in eche.flags
    assert eche.status == "open"  # the 2022-2025 cut-offs passed, 2026-03-24 is still ahead


def test_the_model_is_read_from_the_budget_overview_when_the_hit_lacks_it(search_2026) -> None:
    data = copy.deepcopy(search_2026)
    hit = next(h for h in data["results"] if h["metadata"]["identifier"] == [LIFE])
    del hit["metadata"]["deadlineModel"]
    overview = json.loads(hit["metadata"]["budgetOverview"][0])
    assert "two-stage" in json.dumps(overview)
    data["results"] = [hit]
    assert _parse(data, datetime(2026, 10, 1, tzinfo=UTC))[LIFE].status == "closed"
