"""Explainable rules: a tag's phrases, programme, identifier, funder and country hints, matched
against a call, each hit recorded as a reason. Pure; compiled once per taxonomy.

Phrases match whole words, whatever the case, with spaces, hyphens and punctuation alike
("dual-use" = "dual use"); a trailing ``*`` matches any ending ("curricul*"). Phrases written in
capitals ("SME", "COIL", "NIH", "U.S.") are acronyms and match only as written. Matching works on
the document's words with set operations, so a call costs microseconds whatever the taxonomy.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from classifiers.document import WORD, Document
from classifiers.taxonomy import Taxonomy

TEXT_FIELDS = ("phrases", "negative", "countries")
PIECE = re.compile(r"(\w+)(\*)?")


def _is_acronym(phrase: str) -> bool:
    letters = [c for c in phrase if c.isalpha()]
    return len(letters) >= 2 and all(c.isupper() for c in letters)


@dataclass(frozen=True)
class _Phrase:
    tag: str
    kind: str  # phrases | negative | countries | programmes | funders
    phrase: str
    words: tuple[str, ...]  # lower-cased unless an acronym
    prefix: tuple[bool, ...]  # per word: a trailing * (matches any ending)
    acronym: bool
    required: frozenset[str] = frozenset()  # the words that must occur as written

    def _at(self, seq: Sequence[str], i: int) -> bool:
        return all(
            seq[i + j].startswith(w) if pre else seq[i + j] == w
            for j, (w, pre) in enumerate(zip(self.words, self.prefix, strict=True))
        )

    def found(self, words: Sequence[str], lowered: Sequence[str], vocabulary: set[str]) -> bool:
        """Whether the phrase occurs; ``vocabulary`` is the set of words of ``words`` (acronym)
        or ``lowered`` (otherwise), which rules most candidates out at once."""
        if not self.required <= vocabulary:
            return False
        seq = words if self.acronym else lowered
        if self.prefix[0]:  # the caller checked that some word starts with the head
            return any(self._at(seq, i) for i in range(len(seq) - len(self.words) + 1))
        i = -1
        while True:  # jump from one occurrence of the first word to the next (C-speed index)
            try:
                i = seq.index(self.words[0], i + 1)
            except ValueError:
                return False
            if i + len(self.words) <= len(seq) and self._at(seq, i):
                return True


class _Index:
    """Phrases of one field, found with set intersections first, verified only when needed."""

    def __init__(self, phrases: Iterable[_Phrase]) -> None:
        self.exact: dict[str, list[_Phrase]] = defaultdict(list)  # one plain word: the word
        self.prefixes: dict[int, dict[str, list[_Phrase]]] = defaultdict(lambda: defaultdict(list))
        self.checked: dict[str, list[_Phrase]] = defaultdict(list)  # the rest, by first word
        self.always: list[_Phrase] = []  # several words, the first a prefix
        for p in phrases:
            first = p.words[0].lower()
            if len(p.words) == 1 and not p.acronym:
                if p.prefix[0]:
                    self.prefixes[len(first)][first].append(p)
                else:
                    self.exact[first].append(p)
            elif p.prefix[0]:
                self.always.append(p)
            else:
                self.checked[first].append(p)
        self.lengths = set(self.prefixes) | {len(p.words[0]) for p in self.always}

    def found(self, words: Sequence[str], lowered: Sequence[str]) -> list[_Phrase]:
        vocabulary = set(lowered)
        out = [p for w in vocabulary & self.exact.keys() for p in self.exact[w]]
        stems = {n: {w[:n] for w in vocabulary} for n in self.lengths}  # shorter words never match
        for length, table in self.prefixes.items():
            for stem in stems[length] & table.keys():
                out += table[stem]
        candidates = [p for w in vocabulary & self.checked.keys() for p in self.checked[w]]
        candidates += [p for p in self.always if p.words[0] in stems[len(p.words[0])]]
        as_written: set[str] | None = None
        for p in candidates:
            if p.acronym and as_written is None:
                as_written = set(words)
            if p.found(words, lowered, as_written if p.acronym else vocabulary):  # type: ignore[arg-type]
                out.append(p)
        return out


def _phrase(tag: str, kind: str, text: str) -> _Phrase | None:
    acronym = _is_acronym(text)
    pieces = [(m.group(1), bool(m.group(2))) for m in PIECE.finditer(text)]
    if not pieces:
        return None
    words = tuple(w if acronym else w.lower() for w, _ in pieces)
    prefix = tuple(pre for _, pre in pieces)
    required = frozenset(w for w, pre in zip(words, prefix, strict=True) if not pre)
    return _Phrase(tag, kind, text, words, prefix, acronym, required)


class Rules:
    """The taxonomy's rules, compiled. ``hits(doc)`` gives tag id -> reasons for every tag whose
    rules fire (parents included, with the sub-tag as reason); a negative phrase vetoes."""

    def __init__(self, taxonomy: Taxonomy) -> None:
        self.taxonomy = taxonomy
        by_field: dict[str, list[_Phrase]] = defaultdict(list)
        self.identifiers: list[tuple[str, str]] = []
        for tag in taxonomy.tags.values():
            for kind in ("phrases", "negative", "countries", "programmes", "funders"):
                for text in getattr(tag, kind):
                    phrase = _phrase(tag.id, kind, text)
                    if phrase:
                        by_field["text" if kind in TEXT_FIELDS else kind].append(phrase)
            self.identifiers += [(tag.id, p.upper()) for p in tag.identifiers]
        self._text = _Index(by_field["text"])
        self._programmes = _Index(by_field["programmes"])
        self._funders = _Index(by_field["funders"])

    def _found(self, doc: Document) -> list[_Phrase]:
        found = self._text.found(doc.words, doc.lowered)
        for index, value in ((self._programmes, doc.programme), (self._funders, doc.funder)):
            if value:
                words = WORD.findall(value)
                found += index.found(words, [w.lower() for w in words])
        return found

    def hits(self, doc: Document) -> dict[str, list[str]]:
        reasons: dict[str, list[str]] = defaultdict(list)
        vetoed: set[str] = set()
        for p in self._found(doc):
            if p.kind == "negative":
                vetoed.add(p.tag)
            else:
                label = {"phrases": "phrase", "countries": "country", "programmes": "programme",
                         "funders": "funder"}[p.kind]  # fmt: skip
                reasons[p.tag].append(f'{label} "{p.phrase}"')
        ident = doc.identifier.upper()
        for tag, prefix in self.identifiers:
            if ident.startswith(prefix):
                reasons[tag].append(f'identifier "{prefix}…"')
        out = {tag: sorted(set(r)) for tag, r in reasons.items() if tag not in vetoed}
        for tag_id in list(out):
            parent = self.taxonomy.tags[tag_id].parent
            if parent:
                out.setdefault(parent, []).append(f"sub-tag {tag_id}")
        return out

    def vetoes(self, doc: Document) -> dict[str, str]:
        """Tags whose negative phrases matched (for explanations): tag id -> the phrase."""
        return {p.tag: p.phrase for p in self._found(doc) if p.kind == "negative"}
