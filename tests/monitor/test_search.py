"""Search: the in-memory index (stemmed full text, ranked; facets AND across, OR within, with
counts as if a facet's own choice were cleared; date ranges; sorts and pages), and the use
case over the recorded portal calls in both databases."""

from __future__ import annotations

import time
from datetime import UTC, date, datetime, timedelta

import pytest

from monitor.app import search
from monitor.app.context import App
from monitor.config import load_settings
from monitor.errors import ConfigError
from monitor.search.index import Doc, Index, Query
from monitor.store import sources as source_store
from monitor.store.calls import upsert_calls
from monitor.store.db import open_store
from sources.records import CallRecord, Deadline

NOW = datetime(2026, 12, 3, 12, tzinfo=UTC)


def doc(n: int, title: str, body: str = "", *, tags=(), status="open", programme="Horizon",
        sources=("eu",), regions=(), days: int | None = 30, seen: int = 0) -> Doc:  # fmt: skip
    return Doc(n, f"CALL-{n:03d}", title, body, tuple(tags), status, programme, tuple(sources),
               tuple(regions), NOW + timedelta(days=days) if days is not None else None,
               NOW - timedelta(days=seen))  # fmt: skip


DOCS = [
    doc(1, "Researchers' mobility in Africa", "global health partnerships", tags=["global-health"],
        regions=["Africa"], days=5, seen=1),
    doc(2, "Erasmus+ teacher academies", "education cooperation", tags=["erasmus"],
        programme="Erasmus+", days=60, seen=3),
    doc(3, "Health systems research", "Africa LMIC capacity", tags=["global-health", "eu"],
        programme="EDCTP3", sources=("eu", "edctp"), regions=["Africa", "LMIC"], days=20, seen=2),
    doc(4, "Utlysningar inom hälsa", "forskning och samverkan", tags=["eu"], status="closed",
        programme="Vetenskapsrådet", days=None, seen=10),
    doc(5, "Quantum sensing", "physics instruments", tags=["eu"], status="forthcoming", days=90),
]  # fmt: skip
INDEX = Index(DOCS, NOW)


def ids(query: Query) -> list[int]:
    return INDEX.search(query).ids


def test_words_are_stemmed_in_english_and_swedish() -> None:
    assert set(ids(Query("researcher"))) == {1, 3}  # "Researchers'" and "research"
    assert ids(Query("utlysning")) == [4]  # the title says "Utlysningar"
    assert ids(Query("partnership")) == [1]
    assert ids(Query("nothing-like-this")) == []


def test_every_word_must_match_and_the_title_ranks_first() -> None:
    assert set(ids(Query("health africa"))) == {1, 3}
    assert ids(Query("health quantum")) == []
    assert ids(Query("health", sort="relevance"))[0] == 3  # in its title, not only its body


def test_part_of_an_identifier_finds_the_call() -> None:
    assert ids(Query("call-003")) == [3]
    assert set(ids(Query("CALL-00"))) == {1, 2, 3, 4, 5}  # by the terms it begins
    assert ids(Query("call-00", closes_within=6)) == [1]


def test_facets_and_across_or_within_with_counts_as_if_cleared() -> None:
    found = INDEX.search(Query(chosen={"programme": ["EDCTP3", "Erasmus+"]}))
    assert found.total == 2 and set(found.ids) == {2, 3}
    programmes = dict(found.facets["programme"])
    assert programmes == {"Horizon": 2, "EDCTP3": 1, "Erasmus+": 1, "Vetenskapsrådet": 1}
    assert dict(found.facets["tag"]) == {"global-health": 1, "eu": 1, "erasmus": 1}
    both = INDEX.search(Query(chosen={"programme": ["EDCTP3", "Erasmus+"], "tag": ["erasmus"]}))
    assert both.ids == [2]
    assert dict(both.facets["programme"]) == {"Erasmus+": 1, "EDCTP3": 0}  # chosen: kept
    assert dict(both.facets["tag"])["global-health"] == 1  # its own choice cleared


def test_a_chosen_value_with_no_calls_stays_listed_with_zero() -> None:
    found = INDEX.search(Query(chosen={"source": ["gone"]}))
    assert found.total == 0 and ("gone", 0) in found.facets["source"]


def test_closes_within_and_the_deadline_range() -> None:
    assert set(ids(Query(closes_within=21))) == {1, 3}
    assert ids(Query(closes_within=21, sort="deadline")) == [1, 3]
    window = Query(deadline_from=(NOW + timedelta(days=10)).date(),
                   deadline_to=(NOW + timedelta(days=70)).date(), sort="deadline")  # fmt: skip
    assert ids(window) == [3, 2]


def test_ranking_is_bm25_over_every_stem_and_stays_so_once_kept() -> None:
    """Over 400 calls of common words (each in well over KEPT_MASKS calls, most with an English
    and a Swedish stem), every query ranks as BM25 worked out here from the formula: a word's
    score is its best stem's, a call needs every word; the second asking (scores and bit sets
    kept) answers as the first, and as a fresh index."""
    import math
    import random
    from collections import Counter

    from monitor.search.index import K1, KEPT_MASKS, TITLE_WEIGHT, B
    from monitor.search.text import Stems, terms

    rng = random.Random(7)
    # "train" has one of "training"'s stems, "trainings" both: a call's best stem matters
    words = ["health", "africa", "education", "training", "innovation", "mobility", "digital",
             "vaccine", "research", "partnership", "train", "trainings", "mobil"]  # fmt: skip
    docs = [doc(n, " ".join(rng.sample(words, 2)), " ".join(rng.choices(words, k=12)))
            for n in range(1, 401)]  # fmt: skip
    docs += [doc(401 + k, "Courses", "train " * (k + 4) + "training") for k in range(3)]
    stems = Stems()
    counted = [Counter(terms(d.identifier, stems) * 2 + terms(d.title, stems) * TITLE_WEIGHT
                       + terms(d.body, stems)) for d in docs]  # fmt: skip
    lengths = [sum(c.values()) for c in counted]
    average = sum(lengths) / len(lengths)

    def bm25(term: str, n: int) -> float:
        df = sum(1 for c in counted if term in c)
        idf = math.log(1 + (len(docs) - df + 0.5) / (df + 0.5))
        tf = counted[n][term]
        return idf * (tf * (K1 + 1) / (tf + K1 * (1 - B + B * lengths[n] / average)))

    def expected(text: str) -> list[int]:
        scores = {}
        for n in range(len(docs)):
            best = [max((bm25(t, n) for t in terms(w, stems) if t in counted[n]), default=None)
                    for w in text.split()]  # fmt: skip
            if all(b is not None for b in best):
                scores[n] = sum(b for b in best if b is not None)
        ranked = sorted(scores, key=lambda n: (-scores[n], docs[n].identifier.casefold()))
        return [docs[n].id for n in ranked]

    index = Index(docs, NOW)
    assert all(sum(1 for c in counted if t in c) >= KEPT_MASKS for t in terms("health", stems))
    queries = ["health", "training", "education training", "vaccine africa mobility", "mobility"]
    for text in queries * 2:  # the second round reads what the first kept
        query = Query(text, sort="relevance", limit=500)
        assert index.search(query).ids == expected(text), text
    fresh = Index(docs, NOW)
    assert [fresh.search(Query(t, limit=500)).ids for t in queries] == [
        index.search(Query(t, limit=500)).ids for t in queries]  # fmt: skip


def test_sorts_and_pages() -> None:
    assert ids(Query(sort="deadline")) == [1, 3, 2, 5, 4]  # no deadline last
    assert ids(Query(sort="newest")) == [5, 1, 3, 2, 4]
    assert ids(Query(sort="deadline", offset=2, limit=2)) == [2, 5]
    assert ids(Query(sort="deadline", offset=10)) == []
    assert INDEX.search(Query(sort="deadline", offset=2, limit=2)).total == 5


def test_a_query_from_outside_is_checked() -> None:
    with pytest.raises(ConfigError, match="unknown sort 'cheapest'"):
        search.checked_query(sort="cheapest")
    with pytest.raises(ConfigError, match="unknown filter 'colour'"):
        search.checked_query(chosen={"colour": ["red"]})
    with pytest.raises(ConfigError, match="out of range"):
        search.checked_query(page=0)
    with pytest.raises(ConfigError, match="out of range"):
        search.checked_query(closes_within=10**9)
    with pytest.raises(ConfigError, match="empty"):
        search.checked_query(deadline_from=date(2027, 1, 2), deadline_to=date(2027, 1, 1))
    long = search.checked_query(text="x" * 10_000, page=3, per_page=10)
    assert len(long.text) == search.MAX_TEXT and long.offset == 20 and long.limit == 10


@pytest.fixture
def app(db_url, portal, monkeypatch) -> App:
    monkeypatch.setenv("FUNDING_MONITOR_DATABASE_URL", db_url)
    return App(load_settings(None))


def test_the_recorded_portal_calls_are_found_with_their_facets(app, portal) -> None:
    everything = search.search(app, search.checked_query(per_page=100))
    assert everything.total == len(portal)
    assert {c.id for c in everything.calls} == set(portal.values())
    tags = {f.value: f for f in everything.facets["tag"]}
    assert tags["global-actor"].count == len(portal)
    assert tags["global-health-lmic"].label  # a label from the taxonomy, not the id
    swedish = search.search(app, search.checked_query(), lang="sv")
    assert {f.value: f.label for f in swedish.facets["tag"]}["global-actor"] != ""
    edctp = [i for i in portal if "EDCTP3" in i]
    found = search.search(app, search.checked_query(chosen={"tag": ["global-health-lmic"]}))
    assert sorted(c.identifier for c in found.calls) == sorted(edctp)
    assert all(f.chosen == (f.value == "global-health-lmic") for f in found.facets["tag"])


def test_the_index_follows_the_store(app, db_url, monkeypatch) -> None:
    monkeypatch.setattr(search, "CHECK_EVERY", 0.0)
    assert search.search(app, search.checked_query(text="zebrafish")).total == 0
    store = open_store(db_url)
    source = source_store.add_source(store, "later", "feed", "http://127.0.0.1:9/f.xml", {})
    assert source.id is not None
    record = CallRecord(
        external_id="z1", identifier="ZEBRA-2027", title="Zebrafish models",
        description="<p>Models of disease in zebrafish.</p>", url="https://example.org/z",
        funder="Wellcome", programme="Discovery", status="open",
        deadlines=(Deadline(datetime(2027, 3, 1, 17, tzinfo=UTC), "2027-03-01 17:00"),),
    )  # fmt: skip
    upsert_calls(store, source.id, [record], datetime.now(UTC))
    search.search(app, search.checked_query(text="zebrafish"))  # sees the change: rebuilds
    for _ in range(100):
        found = search.search(app, search.checked_query(text="zebrafish"))
        if found.total:
            break
        time.sleep(0.05)
    assert [c.identifier for c in found.calls] == ["ZEBRA-2027"]
