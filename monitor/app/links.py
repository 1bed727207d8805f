"""Linked calls as admins review them: the calls merged across sources (one call listed by
several sources), why each copy was linked, and splitting a wrong link (``calls unlink``, the
linked-calls page) so that it stays split: matching never links the two again, even when a
source lists one of them anew under another external id."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from monitor.app import audit
from monitor.app.context import App
from monitor.app.paging import window

if TYPE_CHECKING:
    from monitor.store.links import Linked
    from monitor.store.matching import Candidate

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


def _first_then_copies(head: int, calls: list[Linked]) -> list[Linked]:
    return sorted(calls, key=lambda c: (c.id != head, c.id))


def _linked(app: App) -> list[list[Linked]]:
    """Every group of linked calls as stored (the first, then its copies by id), newest link
    first."""
    from monitor.store.links import linked

    by_head: dict[int, list[Linked]] = {}
    for call in linked(app.store(create=False)):
        by_head.setdefault(call.same_as_id or call.id, []).append(call)
    found = [_first_then_copies(head, calls) for head, calls in by_head.items()
             if len(calls) >= 2 and any(c.id == head for c in calls)]  # fmt: skip
    found.sort(key=lambda calls: max(c.id for c in calls), reverse=True)
    return found


def _shown(app: App, found: list[list[Linked]],
           rows: Mapping[int, Mapping[str, Any]] | None = None) -> list[Group]:  # fmt: skip
    """Groups as shown: why each copy matches the first now and how alike their titles are
    (a string comparison per copy, remembered by ``_judged``, and each call's dates read: done
    for the groups a page shows, not for every group). ``rows``: the calls as matching compares
    them, by id (read when not given)."""
    from monitor.store.links import candidate, linked_rows

    if rows is None:
        rows = linked_rows(app.store(create=False), [c.id for calls in found for c in calls])
    now, groups = app.now(), []
    for calls in found:
        head, lead = calls[0], candidate(rows[calls[0].id])
        shown = []
        for call in calls:
            first = call is head
            why, like = ("", 1.0) if first else _judged(candidate(rows[call.id]), lead)
            shown.append(Member(call.id, call.source, call.identifier, call.title,
                                rows[call.id]["url"], _deadline(rows[call.id], now), first, why,
                                like))  # fmt: skip
        groups.append(Group(head.id, shown))
    return groups


@lru_cache(maxsize=8192)
def _judged(copy: Candidate, first: Candidate) -> tuple[str, float]:
    """Why a copy matches the first call of its group, and how alike their titles are (0-1):
    worked out once per pair of calls as they are (a Candidate is equal to another only with
    the same identifier, URL, title, funder and dates), since each page of linked calls shows
    the same groups again."""
    from monitor.store.matching import same_call, title_likeness

    return REASONS.get(same_call(copy, first) or "", "none"), round(title_likeness(copy, first), 2)


def _of_heads(app: App, heads: list[int]) -> list[Group]:
    """The groups of these first calls, in their order, read from the store."""
    from monitor.store.links import Linked, group_rows

    rows = {r["id"]: r for r in group_rows(app.store(create=False), heads)}
    members: dict[int, list[Linked]] = {head: [] for head in heads}
    for row in rows.values():  # in id order: the first of a group before its copies
        members[row["same_as_id"] or row["id"]].append(
            Linked(row["id"], row["same_as_id"], row["source"], row["identifier"], row["title"])
        )
    return _shown(app, [_first_then_copies(head, members[head]) for head in heads
                        if len(members[head]) >= 2], rows)  # fmt: skip


def groups(app: App, *, source: str = "", text: str = "", why: str = "", page: int = 1,
           per_page: int = PER_PAGE) -> LinkPage:  # fmt: skip
    """The groups of linked calls, newest link first: those with a call of ``source``, a
    title or identifier containing ``text`` (any case), a copy linked by ``why`` (one of
    WHY); page ``page`` of ``per_page``. Unfiltered or by source, the store counts the groups
    and reads the page's alone; a text (matched as Python folds case, which SQLite's LIKE
    does not beyond ASCII) or a reason reads every linked call."""
    from monitor.store.links import group_heads, linked_sources

    store = app.store(create=False)
    wanted = text.strip().casefold()
    if not wanted and not why:
        start = (max(1, page) - 1) * per_page
        heads, total = group_heads(store, source=source, offset=start, limit=per_page)
        page, pages, last = window(total, page, per_page)
        if last != start:  # asked beyond the last page: the last
            heads, total = group_heads(store, source=source, offset=last, limit=per_page)
        return LinkPage(_of_heads(app, heads), total, page, pages, linked_sources(store))
    found = _linked(app)
    sources = sorted({c.source for calls in found for c in calls})
    if source:
        found = [calls for calls in found if any(c.source == source for c in calls)]
    if wanted:
        found = [calls for calls in found if any(wanted in c.title.casefold()
                                                 or wanted in c.identifier.casefold()
                                                 for c in calls)]  # fmt: skip
    made = None  # groups already shown: only the `why` filter needs every group's reasons
    if why:
        made = [g for g in _shown(app, found) if any(m.why == why for m in g.members)]
    total = len(found) if made is None else len(made)
    page, pages, start = window(total, page, per_page)
    chosen = (made[start : start + per_page] if made is not None
              else _shown(app, found[start : start + per_page]))  # fmt: skip
    return LinkPage(chosen, total, page, pages, sources)


def group_of(app: App, call_id: int) -> Group | None:
    """The group a call is in, or None when it is linked to no other call."""
    from monitor.store.tags import calls_by_id

    call = calls_by_id(app.store(create=False), [call_id]).get(call_id)
    if call is None:
        return None
    found = _of_heads(app, [call.same_as_id or call_id])
    return found[0] if found else None


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
