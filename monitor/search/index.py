"""The search index: every call's words (BM25-ranked full text, stemmed in English and
Swedish) and its facet values, held in memory as bit sets, one bit per call.

One engine for both databases, rather than SQLite FTS5 beside PostgreSQL's text search: a
call's status and next deadline are computed when it is read (a deadline passes without the
row changing), so the status facet and "closes within N days" cannot be answered from stored
columns alone; both databases get the same stemming (Swedish too, which FTS5 lacks), the same
ranking and the same counts; and a faceted search over 12,000 calls is a few AND and popcount
operations on Python integers, not a GROUP BY per facet. The index is rebuilt from the store
when its calls or tags change (``monitor.app.search`` decides when), and a deployment with a
few web processes holds one each (tens of MB for 12,000 calls). A term's BM25 scores and the
bit set of a common term are worked out on its first search and kept while the index lives.

Facets combine as people expect: AND across facets, OR within one; each facet's counts are
those it would have if its own choice were cleared (so choosing one programme still shows how
many the others have)."""

from __future__ import annotations

import math
from array import array
from bisect import bisect_left, bisect_right
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from monitor.search.text import Stems, query_words, terms

FACETS = ("tag", "status", "programme", "region", "source")
SORTS = ("relevance", "deadline", "newest")
K1, B = 1.2, 0.75  # BM25's usual constants
TITLE_WEIGHT = 3  # a word in the title counts as three in the summary
KEPT_MASKS = 100  # a term in this many calls or more keeps its bit set once searched for


@dataclass(frozen=True)
class Doc:
    """A call as the index reads it."""

    id: int
    identifier: str
    title: str
    body: str  # summary, programme, funder, call title, keywords
    tags: tuple[str, ...]
    status: str
    programme: str
    sources: tuple[str, ...]
    regions: tuple[str, ...]
    next_deadline: datetime | None
    first_seen: datetime


@dataclass(frozen=True)
class Query:
    text: str = ""
    chosen: Mapping[str, Sequence[str]] = field(default_factory=dict)  # facet -> any of values
    deadline_from: date | None = None
    deadline_to: date | None = None
    closes_within: int | None = None  # days from now
    sort: str = "relevance"  # relevance (deadline when there is no text), deadline, newest
    offset: int = 0
    limit: int = 20


@dataclass(frozen=True)
class Found:
    total: int
    ids: list[int]  # the calls of the asked page, in order
    facets: dict[str, list[tuple[str, int]]]  # facet -> (value, count), most first


class Index:
    """An immutable index of ``docs`` as at ``now``; safe to read from many threads."""

    def __init__(self, docs: Sequence[Doc], now: datetime) -> None:
        self.now = now
        self.size = len(docs)
        self.ids = [d.id for d in docs]
        self.identifiers = [d.identifier.casefold() for d in docs]
        self.every = (1 << self.size) - 1
        stems = Stems()
        postings: dict[str, tuple[array[int], array[int]]] = {}
        lengths = array("I")
        values: dict[str, dict[str, list[int]]] = {facet: {} for facet in FACETS}
        for number, doc in enumerate(docs):
            counted = Counter(terms(doc.identifier, stems) * 2)
            counted.update(terms(doc.title, stems) * TITLE_WEIGHT)
            counted.update(terms(doc.body, stems))
            lengths.append(sum(counted.values()))
            for term, count in counted.items():
                found = postings.get(term)
                if found is None:
                    found = postings[term] = (array("I"), array("H"))
                found[0].append(number)
                found[1].append(min(count, 65_535))
            for facet, given in (("tag", doc.tags), ("status", (doc.status,)),
                                 ("programme", (doc.programme,) if doc.programme else ()),
                                 ("region", doc.regions), ("source", doc.sources)):  # fmt: skip
                for value in dict.fromkeys(given):
                    values[facet].setdefault(value, []).append(number)
        self.postings = postings
        self.vocabulary = sorted(postings)
        self.lengths = lengths
        self.average = (sum(lengths) / len(lengths)) if lengths else 1.0
        self.facets = {f: {v: self._mask(n) for v, n in vs.items()} for f, vs in values.items()}
        far = datetime.max.replace(tzinfo=UTC)
        self.by_deadline = sorted(range(self.size), key=lambda n: (
            docs[n].next_deadline or far, docs[n].identifier))  # fmt: skip
        self.by_newest = sorted(range(self.size), key=lambda n: (
            -docs[n].first_seen.timestamp(), docs[n].identifier))  # fmt: skip
        dated = sorted((d.next_deadline, n) for n, d in enumerate(docs) if d.next_deadline)
        self.deadlines = [when for when, _ in dated]
        self.dated = [n for _, n in dated]
        self.stems = stems
        # kept as searches ask for them (see _word): scores of every term searched for, bit
        # sets of the terms in KEPT_MASKS calls or more (a few thousand; the others' are
        # quicker to make again than to keep)
        self._kept_scores: dict[str, array[float]] = {}
        self._masks: dict[str, int] = {}

    def _mask(self, numbers: Sequence[int]) -> int:
        bits = bytearray((self.size >> 3) + 1)
        for n in numbers:
            bits[n >> 3] |= 1 << (n & 7)
        return int.from_bytes(bits, "little")

    def _word(self, word: str) -> tuple[int, dict[int, float]]:
        """The calls that have ``word`` (any of its stems; a word not in the index as such,
        like part of an identifier, by the terms it begins), with their BM25 scores."""
        whole = "-" in word or "'" in word  # indexed whole: never by its parts
        found = [t for t in ([word] if whole else terms(word, self.stems)) if t in self.postings]
        if not found and len(word) >= 3:
            start = bisect_left(self.vocabulary, word)
            end = bisect_left(self.vocabulary, word + "\U0010ffff")
            found = self.vocabulary[start : min(end, start + 50)]
        if not found:
            return 0, {}
        mask = 0
        for term in found:
            mask |= self._term_mask(term)
        if len(found) == 1:  # the common case: one stem, its scores as they are
            return mask, dict(zip(self.postings[found[0]][0], self._scores(found[0]), strict=True))
        # any of several stems (the English and the Swedish): a call's best; the stem with
        # the most calls copied whole, the others' calls looked at one by one
        by_size = sorted(found, key=lambda t: -len(self.postings[t][0]))
        scores = dict(zip(self.postings[by_size[0]][0], self._scores(by_size[0]), strict=True))
        for term in by_size[1:]:
            for n, score in zip(self.postings[term][0], self._scores(term), strict=True):
                if score > scores.get(n, 0.0):
                    scores[n] = score
        return mask, scores

    def _term_mask(self, term: str) -> int:
        """A term's calls as a bit set (kept once made when it is in ``KEPT_MASKS`` calls or
        more)."""
        mask = self._masks.get(term)
        if mask is None:
            numbers = self.postings[term][0]
            mask = self._mask(numbers)
            if len(numbers) >= KEPT_MASKS:
                self._masks[term] = mask  # one assignment: safe across threads
        return mask

    def _scores(self, term: str) -> array[float]:
        """The BM25 scores of a term's calls, in its postings' order: worked out on its first
        search and kept, since they do not change while the index lives (at most one float a
        posting: 23 MB for 12,000 calls once every term has been searched for)."""
        kept = self._kept_scores.get(term)
        if kept is None:
            numbers, counts = self.postings[term]
            idf = math.log(1 + (self.size - len(numbers) + 0.5) / (len(numbers) + 0.5))
            lengths, mean = self.lengths, self.average
            kept = array("d", [idf * (tf * (K1 + 1) / (tf + K1 * (1 - B + B * lengths[n] / mean)))
                               for n, tf in zip(numbers, counts, strict=True)])  # fmt: skip
            self._kept_scores[term] = kept  # one assignment: safe across threads
        return kept

    def _dates(self, query: Query) -> int:
        """The calls whose next deadline falls in the asked range (every call if none)."""
        low = high = None
        if query.deadline_from:
            low = datetime.combine(query.deadline_from, time.min, UTC)
        if query.deadline_to:
            high = datetime.combine(query.deadline_to, time.max, UTC)
        if query.closes_within is not None:
            soon = self.now + timedelta(days=query.closes_within)
            high = soon if high is None else min(high, soon)
            low = self.now if low is None else max(low, self.now)
        if low is None and high is None:
            return self.every
        start = bisect_left(self.deadlines, low) if low else 0
        end = bisect_right(self.deadlines, high) if high else len(self.deadlines)
        return self._mask(self.dated[start:end])

    def search(self, query: Query) -> Found:
        base = self.every
        words = [self._word(word) for word in query_words(query.text)]
        for mask, _ in words:
            base &= mask
        scores = _summed([scored for _, scored in words])
        base &= self._dates(query)
        chosen = {f: self._chosen(f, vs) for f, vs in query.chosen.items() if vs and f in FACETS}
        facets: dict[str, list[tuple[str, int]]] = {}
        for facet in FACETS:
            others = base
            for other, mask in chosen.items():
                if other != facet:
                    others &= mask
            counts = [(v, (others & m).bit_count()) for v, m in self.facets[facet].items()]
            picked = query.chosen.get(facet, ())
            counts += [(v, 0) for v in picked if v not in self.facets[facet]]
            facets[facet] = sorted(((v, c) for v, c in counts if c or v in picked),
                                   key=lambda vc: (-vc[1], vc[0].casefold()))  # fmt: skip
        hits = base
        for mask in chosen.values():
            hits &= mask
        return Found(hits.bit_count(), self._page(hits, scores, query), facets)

    def _chosen(self, facet: str, values: Sequence[str]) -> int:
        mask = 0
        for value in values:
            mask |= self.facets[facet].get(value, 0)
        return mask

    def _page(self, hits: int, scores: dict[int, float], query: Query) -> list[int]:
        bits = hits.to_bytes((self.size >> 3) + 1, "little")
        start, end = max(0, query.offset), max(0, query.offset) + max(0, query.limit)
        if query.sort == "relevance" and query.text.strip() and scores:
            ranked = sorted((n for n in scores if bits[n >> 3] >> (n & 7) & 1),
                            key=lambda n: (-scores[n], self.identifiers[n]))  # fmt: skip
            return [self.ids[n] for n in ranked[start:end]]
        order = self.by_newest if query.sort == "newest" else self.by_deadline
        page: list[int] = []
        seen = 0
        for n in order:
            if bits[n >> 3] >> (n & 7) & 1:
                if seen >= start:
                    page.append(self.ids[n])
                    if len(page) >= end - start:
                        break
                seen += 1
        return page


def _summed(scored: list[dict[int, float]]) -> dict[int, float]:
    """Each call's score summed over the query's words, for the calls that have every word
    (a search requires them all), in the words' order as a running sum adds them."""
    if len(scored) <= 1:
        return scored[0] if scored else {}
    fewest = min(scored, key=lambda each: len(each))
    common = set(fewest)
    for each in scored:
        common &= each.keys()  # intersected in C
    summed = dict.fromkeys(common, 0.0)
    for each in scored:
        summed = {n: total + each[n] for n, total in summed.items()}
    return summed
