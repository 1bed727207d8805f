"""What a subscriber reads, as plain values: a digest of calls, or a notice to curators. Pure."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from datetime import datetime

LANGUAGES = ("en", "sv")
# Typed changes a digest reports; anything else (a reworded summary…) is never announced.
CHANGE_KINDS = ("deadline_changed", "budget_changed", "closed_early", "reopened")
OTHER_AREA = ""  # the section of calls with none of the subscriber's priority areas


@dataclass(frozen=True)
class Change:
    """A typed change. ``old``/``new`` are tuples of aware datetimes for deadline_changed,
    (amount, currency) pairs (or None) for budget_changed, and None otherwise."""

    kind: str
    old: object = None
    new: object = None


@dataclass(frozen=True)
class Item:
    """One call as a digest shows it."""

    call_id: int
    title: str
    url: str
    funder: str
    programme: str
    identifier: str
    status: str  # open | forthcoming | closed
    deadlines: tuple[datetime, ...]  # the upcoming ones (aware), soonest first
    budget: float | None = None
    currency: str | None = None
    tags: tuple[str, ...] = ()
    opens: datetime | None = None
    changes: tuple[Change, ...] = ()
    stages: tuple[int, ...] = ()  # a two-stage call's stage of each deadline; else empty
    summary: str = ""  # one line of the call's summary (see ``summary_line``)

    @property
    def next_deadline(self) -> datetime | None:
        return self.deadlines[0] if self.deadlines else None

    # A run renders one item for thousands of digests through caches keyed by it: its hash and
    # the tuple it compares by are computed once, and an item equals itself at once.
    def _key(self) -> tuple[object, ...]:
        key: tuple[object, ...] | None = self.__dict__.get("_cached_key")
        if key is None:
            key = tuple(getattr(self, name) for name in _ITEM_FIELDS)
            object.__setattr__(self, "_cached_key", key)
            object.__setattr__(self, "_cached_hash", hash(key))
        return key

    def __hash__(self) -> int:
        self._key()
        return int(self.__dict__["_cached_hash"])

    def __eq__(self, other: object) -> bool:
        if self is other:
            return True
        if not isinstance(other, Item):
            return NotImplemented
        return hash(self) == hash(other) and self._key() == other._key()


_ITEM_FIELDS = tuple(f.name for f in fields(Item))


@dataclass(frozen=True)
class Section:
    area: str  # a priority area's tag id, or OTHER_AREA
    items: tuple[Item, ...]


@dataclass(frozen=True)
class Digest:
    """One subscriber's digest for one period. Sections are grouped by priority area and sorted
    by deadline (see ``notifications.selection.group``)."""

    language: str
    timezone: str  # IANA name in which times are shown
    as_of: datetime
    period: str  # e.g. 2026-W48 or 2026-11-28
    new: tuple[Section, ...] = ()
    changed: tuple[Section, ...] = ()
    reminders: tuple[Section, ...] = ()
    reminder_days: tuple[int, ...] = (28, 7)
    tag_labels: Mapping[str, str] = field(default_factory=dict)  # tag id -> label in language
    unsubscribe_url: str = ""
    preferences_url: str = ""  # the subscriber's preferences page; "": ask the admins
    web_url: str = ""  # this digest's copy on the web ("view in browser"); "": none
    # call id -> (👍 link, 👎 link), the subscriber's own; a call without any has no votes
    votes: Mapping[int, tuple[str, str]] = field(default_factory=dict)
    reference: str = ""  # the ledger's id of this delivery, shown in the footer

    @property
    def count(self) -> int:
        return sum(len(s.items) for part in (self.new, self.changed, self.reminders) for s in part)

    @property
    def is_empty(self) -> bool:
        return self.count == 0

    def label(self, tag: str) -> str:
        return self.tag_labels.get(tag, tag)


@dataclass(frozen=True)
class Notice:
    """A note to curators that a source turned unhealthy, is still so, or recovered."""

    language: str
    timezone: str
    as_of: datetime
    source: str
    state: str  # unhealthy | still-unhealthy | healthy
    reason: str
    since: datetime | None = None
    reference: str = ""


SUMMARY_LIMIT = 160  # characters of a call's summary shown under its title
_SENTENCE_END = re.compile(r"[.!?](?=\s+[A-ZÅÄÖ0-9\"'(])")


def summary_line(text: str, limit: int = SUMMARY_LIMIT) -> str:
    """The first sentence of ``text`` on one line when it fits in ``limit`` characters, else
    its first ``limit`` characters cut at a word, with "…"; "" for no text."""
    line = " ".join(text.split())
    for end in _SENTENCE_END.finditer(line):
        if end.end() > limit:
            break
        if end.end() >= 20:  # "e.g." or "Cluster 1." alone is no sentence
            return line[: end.end()]
    if len(line) <= limit:
        return line
    cut = line[: limit - 1]
    space = cut.rfind(" ")
    if space >= limit // 2:
        cut = cut[:space]
    return cut.rstrip(" ,;:-–") + "…"
