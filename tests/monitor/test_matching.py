"""One call published by two sources is shown once; different calls are never merged."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from monitor.store import sources as source_store
from monitor.store.calls import upsert_calls
from monitor.store.matching import Candidate, canonical_identifier, same_call
from monitor.store.views import get_call, list_calls
from sources import feed
from sources.deadlines import eu_deadline
from sources.eu_ft import parse as parse_eu
from sources.records import FetchResult, Page
from sources.settings import validate
from tests.conftest import FIXTURES

SERP = "HORIZON-JU-GH-EDCTP3-2026-03-SERP-01"


def cand(id_: int, source: int, **kw: object) -> Candidate:
    base = {"identifier": f"X-{id_}", "url": f"https://f.example/c/{id_}", "title": "A call",
            "funder": "Wellcome", "deadline_days": frozenset({"2026-09-01"})}  # fmt: skip
    base.update(kw)
    return Candidate(id_, source, **base)  # type: ignore[arg-type]


def test_rules_both_ways() -> None:
    a = cand(1, 1, identifier=SERP)
    b = cand(2, 2, identifier=SERP.lower(), title="Something else entirely")
    assert same_call(a, b) == same_call(b, a) == "identifier"
    other_topic = cand(3, 2, identifier="HORIZON-JU-GH-EDCTP3-2026-03-DIGIT-02", url=a.url)
    assert same_call(a, other_topic) is None and same_call(other_topic, a) is None
    assert same_call(a, replace(b, source_id=1)) is None  # one source never merges with itself


def test_title_funder_deadline_must_all_agree() -> None:
    a = cand(1, 1, title="Global Health Fellowships 2026")
    b = cand(2, 2, title="Global health fellowships 2026 ", url="https://other.example/x/1")
    assert same_call(a, b) == "title, funder and deadline"
    assert same_call(a, replace(b, deadline_days=frozenset({"2026-10-01"}))) is None
    assert same_call(a, replace(b, funder="Novo Nordisk Foundation")) is None
    assert same_call(a, replace(b, title="Global Health Fellowships 2027 – second round")) is None
    assert (
        same_call(replace(a, deadline_days=frozenset()), replace(b, deadline_days=frozenset()))
        is None
    )


def test_a_shared_url_needs_a_related_title() -> None:
    doc = "https://www.global-health-edctp3.europa.eu/document/d3d297d7_en"
    a = cand(1, 1, url=doc, title="Mobilisation of research funds for EPoCA")
    b = cand(
        2, 2, url=doc, title="Mobilisation of research funds for EPoCA", deadline_days=frozenset()
    )
    assert same_call(a, b) == "url"
    assert same_call(a, replace(b, title="Call for tenders on catering")) is None


def test_canonical_identifiers_are_eu_topics_only() -> None:
    assert canonical_identifier(SERP.lower()) == SERP
    assert canonical_identifier("PAR-25-274") is None
    assert canonical_identifier("https://www.ukri.org/opportunity/x/") is None


def _feed_records(now):
    data = feed.decode((FIXTURES / "feeds/edctp3/calls_rss_trimmed.xml").read_bytes(),
                       {"content-type": "application/rss+xml"}, "u", "edctp3")  # fmt: skip
    settings = validate("feed", feed.KIND.settings, {})
    return feed.parse(FetchResult("edctp3", (Page("u", 1, data),), settings=settings), now)


@pytest.mark.parametrize("portal_first", [True, False])
def test_the_portal_topic_and_the_funders_feed_item_are_one_call(store, search_2026, now,
                                                                 portal_first) -> None:  # fmt: skip
    portal = source_store.add_source(store, "eu", "eu-ft", "http://x/", {})
    rss = source_store.add_source(store, "edctp3", "feed", "http://y/", {})
    eu_records = parse_eu(FetchResult("eu", (Page("u", 1, search_2026),)), now)
    order = [(portal, eu_records), (rss, _feed_records(now))]
    for source, records in order if portal_first else reversed(order):
        upsert_calls(store, source.id, records, now)
    listed = list_calls(store, now=now, search="SERP-01")
    assert len(listed) == 1
    [call] = listed
    assert call.source == ("eu" if portal_first else "edctp3")
    assert call.to_json()["sources"] == (["eu", "edctp3"] if portal_first else ["edctp3", "eu"])
    assert len(list_calls(store, now=now)) == 11 + 13 - 1
    shown = get_call(store, call.id, now=now)
    assert shown is not None and len(shown.also_listed) == 1


def test_similar_calls_of_different_funders_stay_apart(store, now) -> None:
    from sources.records import CallRecord

    deadline = (eu_deadline(date(2026, 9, 1), "x"),)
    base = CallRecord(
        external_id="a", identifier="a", title="Research fellowships in global health",
        url="https://a.example/1", funder="Wellcome", programme="", status="open",
        deadlines=deadline,
    )  # fmt: skip
    first = source_store.add_source(store, "a", "page", "http://a/", {})
    second = source_store.add_source(store, "b", "page", "http://b/", {})
    upsert_calls(store, first.id, [base], now)
    upsert_calls(store, second.id, [replace(base, funder="Novo Nordisk Foundation",
                                            url="https://b.example/1")], now)  # fmt: skip
    assert len(list_calls(store, now=now)) == 2


def test_a_copy_links_to_the_sibling_with_its_own_title_not_the_first_one() -> None:
    from monitor.store.matching import best_match

    link = "https://www.global-health-edctp3.europa.eu/document/d3d297d7_en"
    epoca = cand(1, 1, url=link, title="Mobilisation of research funds for project EPoCA")
    prep = cand(2, 1, url=link, title="Mobilisation of research funds for project PREP-TBOX")
    copy = cand(9, 2, url=link, title="Mobilisation of research funds for project PREP-TBOX")
    assert same_call(copy, epoca)  # a shared link and a like title: a match on its own...
    assert best_match(copy, [epoca, prep]) is prep  # ...but the sibling it copies is better
    assert best_match(copy, [epoca]) is epoca and best_match(copy, []) is None
