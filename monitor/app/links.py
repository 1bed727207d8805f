"""Linked calls as admins review them: the calls merged across sources (one call listed by
several sources), why each copy was linked, and splitting a wrong link (``calls unlink``, the
linked-calls page) so that it stays split: matching never links the two again, even when a
source lists one of them anew under another external id."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from monitor.app import audit
from monitor.app.context import App

PER_PAGE = 25
# why a copy is linked to the first of its group, as matching says it now
REASONS = {"identifier": "identifier", "url": "url", "title, funder and deadline": "title"}
WHY = ("identifier", "url", "title", "none")  # "none": no rule matches them any more


@dataclass(frozen=True)
class Member:
    """One call of a group: its source's copy. ``why``: for a copy, the rule that matches it
    to the first of the group now (one of WHY; "none" when the calls changed since and no rule
    does); "" for the first. ``likeness``: how alike its title is to the first's, 0 to 1."""

    id: int
    source: str
    identifier: str
    title: str
    url: str
    deadline: datetime | None  # the next deadline, else the last one
    first: bool
    why: str
    likeness: float


@dataclass(frozen=True)
class Group:
    """One call known from several sources: the first listed, then its copies in id order."""

    id: int
    members: list[Member]


@dataclass(frozen=True)
class LinkPage:
    """A page of groups, newest link first, and what the filters can choose from."""

    groups: list[Group]
    total: int
    page: int
    pages: int
    sources: list[str]


@dataclass(frozen=True)
class Split:
    """A call made its own call again, and the calls it is kept apart from."""

    id: int
    identifier: str
    title: str
    apart_from: list[int]


def _deadline(row: Mapping[str, Any], now: datetime) -> datetime | None:
    days = sorted(datetime.fromisoformat(d["at"]) for d in row["deadlines"] or ())
    return next((d for d in days if d >= now), days[-1] if days else None)


def _groups(app: App) -> list[Group]:
    from monitor.store.links import candidate, linked_rows
    from monitor.store.matching import same_call, title_likeness

    rows = linked_rows(app.store(create=False))
    now = app.now()
    by_head: dict[int, list[Mapping[str, Any]]] = {}
    for row in rows:
        by_head.setdefault(row["same_as_id"] or row["id"], []).append(row)
    groups = []
    for head, members in by_head.items():
        first = next((m for m in members if m["id"] == head), None)
        if first is None or len(members) < 2:
            continue
        lead = candidate(first)
        shown = []
        for item in sorted(members, key=lambda r: (r["id"] != head, r["id"])):
            mine = candidate(item)
            why = "" if item["id"] == head else REASONS.get(same_call(mine, lead) or "", "none")
            like = 1.0 if item["id"] == head else title_likeness(mine, lead)
            shown.append(Member(item["id"], item["source"], item["identifier"], item["title"],
                                item["url"], _deadline(item, now), item["id"] == head, why,
                                round(like, 2)))  # fmt: skip
        groups.append(Group(head, shown))
    groups.sort(key=lambda g: max(m.id for m in g.members), reverse=True)
    return groups


def groups(app: App, *, source: str = "", text: str = "", why: str = "", page: int = 1,
           per_page: int = PER_PAGE) -> LinkPage:  # fmt: skip
    """The groups of linked calls, newest link first: those with a call of ``source``, a
    title or identifier containing ``text`` (any case), a copy linked by ``why`` (one of
    WHY); page ``page`` of ``per_page``."""
    found = _groups(app)
    sources = sorted({m.source for g in found for m in g.members})
    wanted = text.strip().casefold()
    if source:
        found = [g for g in found if any(m.source == source for m in g.members)]
    if wanted:
        found = [g for g in found if any(wanted in m.title.casefold()
                                         or wanted in m.identifier.casefold()
                                         for m in g.members)]  # fmt: skip
    if why:
        found = [g for g in found if any(m.why == why for m in g.members)]
    pages = max(1, math.ceil(len(found) / per_page))
    page = min(max(1, page), pages)
    start = (page - 1) * per_page
    return LinkPage(found[start : start + per_page], len(found), page, pages, sources)


def group_of(app: App, call_id: int) -> Group | None:
    """The group a call is in, or None when it is linked to no other call."""
    return next((g for g in _groups(app) if any(m.id == call_id for m in g.members)), None)


def split(app: App, call_id: int) -> Split:
    """Make a call its own call again, apart from every call of its group (the first of a
    group: its earliest copy becomes the first of the others); matching never links them
    again. ConfigError for an unknown call or one linked to nothing."""
    from monitor.store.links import split_call
    from monitor.store.tags import calls_by_id

    store = app.store()
    head, others = split_call(store, call_id, app.now())
    call = calls_by_id(store, [call_id])[call_id]
    target = f"call {call_id} ({call.identifier or call.title[:80]})"
    audit.record(app, "call.unlink", target, {"linked_with": others, "first": head},
                 {"linked_with": [], "first": call_id})  # fmt: skip
    return Split(call_id, call.identifier, call.title, others)
