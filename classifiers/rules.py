"""Explainable rules: a tag's phrases, programme, identifier, funder and country hints, matched
against a call, each hit recorded as a reason. Pure; compiled once per taxonomy.

Phrases match whole words, whatever the case, with spaces, hyphens and punctuation alike
("dual-use" = "dual use"); a trailing ``*`` matches any ending ("curricul*"). Phrases written in
capitals ("SME", "COIL", "NIH", "U.S.") are acronyms and match only as written. Matching works on
the document's words with set operations, so a call costs microseconds whatever the taxonomy.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from functools import cache

from classifiers.document import WORD, Document
from classifiers.taxonomy import Taxonomy

TEXT_FIELDS = ("phrases", "negative", "countries", "requires")
REASON = {"phrases": "phrase", "countries": "country", "programmes": "programme",
          "funders": "funder", "negative": "negative phrase", "requires": "evidence"}  # fmt: skip
PIECE = re.compile(r"(\w+)(\*)?")


def _is_acronym(phrase: str) -> bool:
    letters = [c for c in phrase if c.isalpha()]
    return len(letters) >= 2 and all(c.isupper() for c in letters)


@dataclass(frozen=True)
class _Phrase:
    tag: str
    kind: str  # phrases | negative | countries | programmes | funders
    phrase: str
    words: tuple[str, ...]  # lower-cased
    prefix: tuple[bool, ...]  # per word: a trailing * (matches any ending)
    required: frozenset[str]  # the (lower-cased) words that must occur whole
    exact: re.Pattern[str] | None = None  # acronyms: the phrase as written, in the raw text
    by_source: bool = False  # found in the country its source's curators noted, not the text

    @property
    def reason(self) -> str:
        where = " (the funder's country, from its source)" if self.by_source else ""
        return f'{REASON[self.kind]} "{self.phrase}"{where}'

    def _at(self, seq: Sequence[str], i: int) -> bool:
        return all(
            seq[i + j].startswith(w) if pre else seq[i + j] == w
            for j, (w, pre) in enumerate(zip(self.words, self.prefix, strict=True))
        )

    def found(self, lowered: Sequence[str], vocabulary: frozenset[str], text: str) -> bool:
        """Whether the phrase occurs in the words ``lowered`` (whose set is ``vocabulary``,
        which rules most candidates out at once) of ``text``."""
        if not self.required <= vocabulary:
            return False
        if self.exact is not None:  # an acronym: its lower-case words are there; as written?
            return self.exact.search(text) is not None
        if self.prefix[0]:  # the caller found a word that starts with the head
            return any(self._at(lowered, i) for i in range(len(lowered) - len(self.words) + 1))
        i = -1
        while True:  # jump from one occurrence of the first word to the next (C-speed index)
            try:
                i = lowered.index(self.words[0], i + 1)
            except ValueError:
                return False
            if i + len(self.words) <= len(lowered) and self._at(lowered, i):
                return True


class _Index:
    """Phrases of one field, found with set intersections first, verified only when needed."""

    def __init__(self, phrases: Iterable[_Phrase]) -> None:
        self.exact: dict[str, list[_Phrase]] = defaultdict(list)  # one plain word: the word
        self.prefixed: dict[str, list[_Phrase]] = defaultdict(list)  # first word a prefix: it
        self.checked: dict[str, list[_Phrase]] = defaultdict(list)  # the rest, by a word
        for p in phrases:
            first = p.words[0]
            if p.prefix[0]:
                self.prefixed[first].append(p)
            elif len(p.words) == 1 and p.exact is None:
                self.exact[first].append(p)
            else:  # filed under its longest whole word, the likeliest to be rare
                self.checked[max(p.required, key=lambda w: (len(w), w))].append(p)
        self.heads = sorted(self.prefixed)

    def found(self, lowered: Sequence[str], vocabulary: frozenset[str], text: str) -> list[_Phrase]:
        out = [p for w in vocabulary & self.exact.keys() for p in self.exact[w]]
        candidates = [p for w in vocabulary & self.checked.keys() for p in self.checked[w]]
        if self.heads:  # a word starting with a prefix sorts right after it
            ordered = sorted(vocabulary)
            for head in self.heads:
                i = bisect_left(ordered, head)
                if i < len(ordered) and ordered[i].startswith(head):
                    for p in self.prefixed[head]:
                        (out if len(p.words) == 1 else candidates).append(p)
        out += [p for p in candidates if p.found(lowered, vocabulary, text)]
        return out


def _phrase(tag: str, kind: str, text: str) -> _Phrase | None:
    pieces = [(m.group(1), bool(m.group(2))) for m in PIECE.finditer(text)]
    if not pieces:
        return None
    words = tuple(w.lower() for w, _ in pieces)
    prefix = tuple(pre for _, pre in pieces)
    required = frozenset(w for w, pre in zip(words, prefix, strict=True) if not pre)
    exact = None
    if _is_acronym(text):
        body = r"\W+".join(re.escape(w) for w, _ in pieces)
        exact = re.compile(rf"(?<!\w){body}(?!\w)")
    return _Phrase(tag, kind, text, words, prefix, required, exact)


@cache
def _country_name(code: str) -> str:
    """An ISO 3166 code's English name ("US": "United States"), "" for an unknown one."""
    from babel import Locale

    return str(Locale.parse("en").territories.get(code, ""))


class Rules:
    """The taxonomy's rules, compiled. ``hits(doc)`` gives tag id -> reasons for every tag whose
    rules fire (parents included, with the sub-tag as reason); a negative phrase vetoes."""

    def __init__(self, taxonomy: Taxonomy) -> None:
        self.taxonomy = taxonomy
        by_field: dict[str, list[_Phrase]] = defaultdict(list)
        self.identifiers: list[tuple[str, str]] = []
        for tag in taxonomy.tags.values():
            for kind in ("phrases", "negative", "countries", "programmes", "funders", "requires"):
                for text in getattr(tag, kind):
                    phrase = _phrase(tag.id, kind, text)
                    if phrase:
                        by_field["text" if kind in TEXT_FIELDS else kind].append(phrase)
            self.identifiers += [(tag.id, p.upper()) for p in tag.identifiers]
        self.needy = [tag.id for tag in taxonomy.tags.values() if tag.requires]
        self._text = _Index(by_field["text"])
        # the funder's country its source notes is evidence a tag may require (a US or
        # Canadian funder for north-america), never a word of the call's text
        self._countries = _Index(replace(p, by_source=True) for p in by_field["text"]
                                 if p.kind == "requires")  # fmt: skip
        self._programmes = _Index(by_field["programmes"])
        self._funders = _Index(by_field["funders"])

    def _found(self, doc: Document) -> list[_Phrase]:
        found = self._text.found(doc.lowered, doc.vocabulary, doc.text)
        named = " ".join(f"{code} {_country_name(code)}" for code in doc.countries)
        for index, value in ((self._programmes, doc.programme), (self._funders, doc.funder),
                             (self._countries, named)):  # fmt: skip
            if value:
                lowered = WORD.findall(value.lower())
                found += index.found(lowered, frozenset(lowered), value)
        return found

    def hits(self, doc: Document) -> dict[str, list[str]]:
        return self.examine(doc)[0]

    def examine(self, doc: Document) -> tuple[dict[str, list[str]], list[str]]:
        """``hits`` and ``lacking`` at the cost of one."""
        reasons: dict[str, list[str]] = defaultdict(list)
        found = self._found(doc)
        lacking = self._lacking(found)
        vetoed = set(lacking)
        for p in found:
            if p.kind == "negative":
                vetoed.add(p.tag)
            elif p.kind != "requires":
                reasons[p.tag].append(p.reason)
        ident = doc.identifier.upper()
        for tag, prefix in self.identifiers:
            if ident.startswith(prefix):
                reasons[tag].append(f'identifier "{prefix}…"')
        out = {tag: sorted(set(r)) for tag, r in reasons.items() if tag not in vetoed}
        for tag_id in list(out):
            parent = self.taxonomy.tags[tag_id].parent
            if parent:
                out.setdefault(parent, []).append(f"sub-tag {tag_id}")
        return out, lacking

    def lacking(self, doc: Document) -> list[str]:
        """The tags that need evidence (``requires``) this call does not show: no layer may
        give them."""
        return self._lacking(self._found(doc))

    def _lacking(self, found: list[_Phrase]) -> list[str]:
        shown = {p.tag for p in found if p.kind == "requires"}
        return [tag for tag in self.needy if tag not in shown]

    def vetoes(self, doc: Document) -> dict[str, str]:
        """Tags whose negative phrases matched (for explanations): tag id -> the phrase."""
        return {p.tag: p.phrase for p in self._found(doc) if p.kind == "negative"}
