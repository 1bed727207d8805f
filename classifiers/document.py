"""What the classifiers read of a call: a plain value, built by the application from a stored
call or from a JSON line. It is tokenised once (lower-cased words and their set); the rules and
the model share them."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

# The summary's first 1,500 characters carry the gist (titles, "Expected Outcome", scope); more
# added noise to both rules and model in cross-validation, and bounds the cost of hostile text.
MAX_SUMMARY = 1500
WORD = re.compile(r"\w+")


@dataclass(frozen=True)
class Document:
    title: str
    summary: str = ""
    programme: str = ""
    funder: str = ""
    identifier: str = ""
    # the funder's countries as its source's curators noted them (the catalogue's hints, ISO
    # 3166 codes): structured evidence for the rules' ``requires``, never the model's words
    countries: tuple[str, ...] = ()
    text: str = field(init=False, repr=False, compare=False)
    lowered: tuple[str, ...] = field(init=False, repr=False, compare=False)
    vocabulary: frozenset[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        parts = (self.title, self.programme, self.funder, self.summary[:MAX_SUMMARY])
        text = "\n".join(p for p in parts if p)
        lowered = tuple(WORD.findall(text.lower()))
        object.__setattr__(self, "text", text)
        object.__setattr__(self, "lowered", lowered)
        object.__setattr__(self, "vocabulary", frozenset(lowered))


def document_from(call: Mapping[str, Any] | object,
                  countries: Sequence[str] | None = None) -> Document:  # fmt: skip
    """The one way a call becomes a Document: from a mapping (a JSON line, a shipped label) or
    an object (a stored call) with ``title`` and optional ``summary``, ``programme``,
    ``funder``, ``identifier``; a missing or empty field is empty text. ``countries``: its
    funder's (ISO codes), else a mapping's own ``countries`` list; what is not a two-letter
    code is left out."""
    if isinstance(call, Mapping):
        values = [call.get(name) for name in FIELDS]
        given = call.get("countries") if countries is None else countries
    else:
        values = [getattr(call, name, None) for name in FIELDS]
        given = countries
    listed = given if isinstance(given, list | tuple) else ()
    codes = tuple(dict.fromkeys(c.upper() for c in listed
                                if isinstance(c, str) and COUNTRY.fullmatch(c)))  # fmt: skip
    title, summary, programme, funder, identifier = (str(value or "") for value in values)
    return Document(title, summary, programme, funder, identifier, codes)


COUNTRY = re.compile(r"[A-Za-z]{2}")


FIELDS = ("title", "summary", "programme", "funder", "identifier")


def tokens(doc: Document) -> list[str]:
    """The model's features for a document: its lower-cased words of two or more characters."""
    return [w for w in doc.lowered if len(w) > 1]
