"""Is it the same call? Pure rules for recognising one call published by two sources (an EU
topic on the portal and in a funder's feed): canonical identifiers, then normalised links, then
title + funder + deadline. The rules err on the side of keeping calls apart."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from functools import lru_cache

# An EU topic identifier: programme prefix, year, parts ("HORIZON-JU-GH-EDCTP3-2026-03-DIGIT-02").
EU_TOPIC = re.compile(r"^[A-Z][A-Z0-9]+(?:-[A-Z0-9]+)*-20\d\d(?:-[A-Za-z0-9]+)+$")
TITLE_SIMILARITY = 0.92
FUNDER_SIMILARITY = 0.6


@dataclass(frozen=True)
class Candidate:
    """What matching needs to know of a call (titles and funders normalised once, here)."""

    id: int
    source_id: int
    identifier: str
    url: str
    title: str
    funder: str
    deadline_days: frozenset[str]
    norm_title: str = field(init=False, repr=False, compare=False)
    norm_funder: str = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "norm_title", normalise(self.title))
        object.__setattr__(self, "norm_funder", normalise(self.funder))


def canonical_identifier(identifier: str) -> str | None:
    """An identifier two funders would both use (EU topic ids), normalised; else None."""
    text = identifier.strip()
    return text.upper() if EU_TOPIC.match(text.upper()) else None


def identity(identifier: str, url: str) -> str:
    """What a call keeps when its source lists it again under a new external id: its
    identifier (upper case), else its link; at most 300 characters (a longer one keeps a hash
    of the whole). Staff's splits (``CallApart``) are kept by it."""
    text = identifier.strip().upper() or url.strip()
    if len(text) <= 300:
        return text
    return f"{text[:283]}~{hashlib.blake2b(text.encode(), digest_size=8).hexdigest()}"


def same_call(a: Candidate, b: Candidate) -> str | None:
    """Why ``a`` and ``b`` are one call, or None. Calls of one source are never merged."""
    if a.source_id == b.source_id:
        return None
    ident_a, ident_b = canonical_identifier(a.identifier), canonical_identifier(b.identifier)
    if ident_a and ident_b:
        return "identifier" if ident_a == ident_b else None  # two different topics
    if a.url and a.url == b.url and not _generic(a.url):
        return "url" if _similar(a.norm_title, b.norm_title, 0.5) else None
    if (
        a.deadline_days
        and a.deadline_days == b.deadline_days
        and _similar(a.norm_funder, b.norm_funder, FUNDER_SIMILARITY)
        and _similar(a.norm_title, b.norm_title, TITLE_SIMILARITY)
    ):
        return "title, funder and deadline"
    return None


def _generic(url: str) -> bool:
    """A link shared by many items (a listing page, a document) proves nothing."""
    path = url.split("://", 1)[-1].split("/", 1)[-1].rstrip("/")
    return path.count("/") < 1 and len(path) < 12


@lru_cache(maxsize=32_768)  # the same titles and funders are compared again and again
def normalise(text: str) -> str:
    folded = unicodedata.normalize("NFKD", text.casefold())
    folded = "".join(c for c in folded if not unicodedata.combining(c))
    return " ".join(re.sub(r"[^\w]+", " ", folded).split())


def _similar(left: str, right: str, threshold: float) -> bool:
    """Normalised texts alike at ``threshold`` (cheap upper bounds are tried first)."""
    if not left or not right:
        return False
    if left == right:
        return True
    matcher = SequenceMatcher(None, left, right, autojunk=False)
    return (
        matcher.real_quick_ratio() >= threshold
        and matcher.quick_ratio() >= threshold
        and matcher.ratio() >= threshold
    )


def best_match(call: Candidate, pool: Iterable[Candidate]) -> Candidate | None:
    """Of the candidates that are the same call as ``call``, the one whose title is most like
    it (the earliest on a tie): two calls of one feed can share a link, so the first match by
    link alone may be the sibling (EDCTP3 publishes two calls under one document)."""
    matches = [other for other in pool if same_call(call, other)]
    if len(matches) <= 1:
        return matches[0] if matches else None
    return max(matches, key=lambda o: (title_likeness(call, o), -o.id))


def title_likeness(a: Candidate, b: Candidate) -> float:
    return SequenceMatcher(None, a.norm_title, b.norm_title, autojunk=False).ratio()
