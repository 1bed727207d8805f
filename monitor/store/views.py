"""Reading calls back: filtered listings and one call with its history, status as at now."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time
from typing import Any

from sqlalchemy import String, cast, func, or_
from sqlalchemy.orm import defer
from sqlmodel import col, select

from monitor.store.calls import deadline_from_json
from monitor.store.db import Store
from monitor.store.tables import Call, CallChange, CallTag, Source
from sources.deadlines import DERIVED_FLAGS, compute_status, deadline_model, next_deadline


@dataclass(frozen=True)
class ChangeView:
    kind: str
    at: datetime
    old: Any
    new: Any


@dataclass(frozen=True)
class CallView:
    """A stored call as users see it; ``status`` is recomputed for ``now``.

    A call stored from several sources (see ``monitor.store.matching``) shows the best-known fields
    of its copies: its own identity (id, source, identifier, title, link, presence), the dates
    of the first copy that has deadlines (its own first) and, for any other field it lacks,
    the first copy's that has it. ``dates_from`` names the source the dates came from."""

    id: int
    source: str
    external_id: str
    identifier: str
    title: str
    summary: str
    url: str
    funder: str
    programme: str
    call_identifier: str
    call_title: str
    action_types: list[str]
    status: str
    source_status: str | None
    flags: list[str]
    opens: datetime | None
    deadlines: list[dict[str, Any]]
    next_deadline: datetime | None
    budget: float | None
    currency: str | None
    keywords: list[str]
    first_seen: datetime
    last_seen: datetime
    last_changed: datetime
    unseen_since: datetime | None
    deadline_model: str | None = None  # sources.deadlines.TWO_STAGE or None
    dates_from: str = ""  # the source whose copy gave the dates
    tags: dict[str, float] = field(default_factory=dict)  # tag id -> score, given tags only
    changes: list[ChangeView] = field(default_factory=list)
    also_listed: list[dict[str, Any]] = field(default_factory=list)  # the same call elsewhere

    def to_json(self) -> dict[str, Any]:
        """The JSON object of ``calls list --json`` (ISO 8601 datetimes with offsets)."""
        return {
            "id": self.id,
            "source": self.source,
            "external_id": self.external_id,
            "identifier": self.identifier,
            "title": self.title,
            "summary": self.summary,
            "url": self.url,
            "funder": self.funder,
            "programme": self.programme,
            "call_identifier": self.call_identifier,
            "call_title": self.call_title,
            "action_types": self.action_types,
            "status": self.status,
            "source_status": self.source_status,
            "flags": self.flags,
            "opens": _iso(self.opens),
            "deadlines": [d["at"] for d in self.deadlines],
            "deadlines_date_only": all(d["date_only"] for d in self.deadlines),
            "deadline_model": self.deadline_model,
            "dates_from": self.dates_from,
            "next_deadline": _iso(self.next_deadline),
            "budget": self.budget,
            "currency": self.currency,
            "keywords": self.keywords,
            "tags": self.tags,
            "sources": [self.source, *(link["source"] for link in self.also_listed)],
            "also_listed": self.also_listed,
            "first_seen": _iso(self.first_seen),
            "last_seen": _iso(self.last_seen),
            "last_changed": _iso(self.last_changed),
            "unseen_since": _iso(self.unseen_since),
        }


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _required(value: datetime | None) -> datetime:
    assert value is not None, "a NOT NULL timestamp was null"
    return value


@dataclass(frozen=True)
class _Copy:
    """Another source's copy of a call, as read for merging."""

    call: Call
    source: str


def _view(
    call: Call, source: str, listed: datetime | None, now: datetime, copies: Sequence[_Copy] = ()
) -> CallView:
    """``listed``: the source's last successful run, when the call was in that listing;
    ``copies``: the same call from other sources (the one it copies first), merged in."""
    every = [_Copy(call, source), *copies]
    dated = next((c for c in every if c.call.deadlines), every[0])
    deadlines = tuple(deadline_from_json(d) for d in dated.call.deadlines)
    opens = next((c.call.opens for c in (dated, *every) if c.call.opens), None)
    model = next((m for c in every if (m := deadline_model(c.call.flags, c.call.identifier))),
                 None)  # fmt: skip
    status, flags = compute_status(opens, deadlines, dated.call.source_status, now, model)
    upcoming = next_deadline(deadlines, now, model)
    extra = [f for f in dict.fromkeys([*call.flags, *dated.call.flags])
             if f not in (*DERIVED_FLAGS, *flags)]  # fmt: skip
    budgeted = next((c.call for c in every if c.call.budget is not None), call)

    def best(name: str) -> Any:  # the first copy's non-empty value (its own first)
        return next((v for c in every if (v := getattr(c.call, name))), getattr(call, name))

    assert call.id is not None
    return CallView(
        id=call.id,
        source=source,
        external_id=call.external_id,
        identifier=call.identifier,
        title=call.title,
        summary=best("summary"),
        url=call.url,
        funder=best("funder"),
        programme=best("programme"),
        call_identifier=best("call_identifier"),
        call_title=best("call_title"),
        action_types=list(best("action_types")),
        status=status,
        source_status=dated.call.source_status,
        flags=[*flags, *extra],
        opens=opens,
        deadlines=list(dated.call.deadlines),
        next_deadline=upcoming.at if upcoming else None,
        budget=budgeted.budget,
        currency=budgeted.currency,
        keywords=list(best("keywords")),
        first_seen=_required(call.first_seen),
        last_seen=max(_required(call.last_seen), listed or _EPOCH)
        if call.unseen_since is None
        else _required(call.last_seen),
        last_changed=_required(call.last_changed),
        unseen_since=call.unseen_since,
        deadline_model=model,
        dates_from=dated.source,
    )


def _any_contains(text: str, *columns: Any) -> Any:
    """SQL: any of ``columns`` contains ``text``, ignoring case; % and _ are taken literally."""
    escaped = text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    pattern = f"%{escaped}%"
    return or_(*(func.lower(column).like(pattern, escape="\\") for column in columns))


def _many(value: str | Sequence[str] | None) -> list[str]:
    """A filter given once, several times, or not at all, as the list of its values."""
    if value is None:
        return []
    return [value] if isinstance(value, str) else [v for v in value if v]


def list_calls(
    store: Store,
    *,
    now: datetime,
    status: str | Sequence[str] | None = None,
    programme: str | Sequence[str] | None = None,
    deadline_before: date | None = None,
    search: str | None = None,
    source: str | Sequence[str] | None = None,
    tag: str | Sequence[str] | None = None,
    limit: int | None = None,
) -> list[CallView]:
    """Calls matching every filter, soonest next deadline first (none last). A filter given
    several values keeps the calls matching any of them.

    ``programme`` matches the programme or funder, case-insensitively, in part ("edctp3");
    ``deadline_before`` keeps calls whose next deadline falls on or before that date (UTC);
    ``search`` looks in identifier, title, summary and keywords; ``tag`` keeps calls given
    that tag (a parent tag matches calls given any of its sub-tags, as they carry it too).
    """
    statuses, programmes = _many(status), _many(programme)
    sources, tag_ids = _many(source), _many(tag)
    query = select(Call, Source.name, Source.last_success_at).join(
        Source, col(Source.id) == Call.source_id
    )
    if programmes:
        query = query.where(
            or_(*(_any_contains(p, Call.programme, Call.funder) for p in programmes))
        )
    if search:
        keywords = cast(Call.keywords, String)
        query = query.where(
            _any_contains(search, Call.identifier, Call.title, Call.summary, keywords)
        )
    if tag_ids:
        tagged = select(CallTag.call_id).where(col(CallTag.tag_id).in_(tag_ids))
        query = query.where(col(Call.id).in_(tagged))
    if sources:
        query = query.where(col(Source.name).in_(sources))
    else:  # one call per call: a copy from a second source is shown as a link of the first
        query = query.where(col(Call.same_as_id).is_(None))
    if deadline_before or (statuses and "closed" not in statuses):
        query = query.where(or_(col(Call.last_deadline).is_(None), col(Call.last_deadline) >= now))
    with store.session() as session:
        views = _views(session, list(session.exec(query)), now)
        tags = _tags(session, [v.id for v in views])
    views = [replace(v, tags=tags.get(v.id, {})) for v in views]
    if statuses:
        views = [v for v in views if v.status in statuses]
    if deadline_before:
        cutoff = datetime.combine(deadline_before, time.max, UTC)
        views = [v for v in views if v.next_deadline and v.next_deadline <= cutoff]
    far = datetime.max.replace(tzinfo=UTC)
    views.sort(key=lambda v: (v.next_deadline or far, v.identifier))
    return views[:limit] if limit else views


def _copies(session: Any, calls: Sequence[Call]) -> dict[int, list[_Copy]]:
    """For each call, the same call stored from other sources: the call it copies first, then
    the other copies in id order."""
    heads = {call.same_as_id or call.id for call in calls}
    groups: dict[int, list[_Copy]] = {}
    ordered = sorted(h for h in heads if h is not None)
    for start in range(0, len(ordered), 500):
        chunk = ordered[start : start + 500]
        query = (
            select(Call, Source.name)
            .join(Source, col(Source.id) == Call.source_id)
            .where(or_(col(Call.id).in_(chunk), col(Call.same_as_id).in_(chunk)))
            .options(defer(Call.description))  # type: ignore[arg-type]
            .order_by(col(Call.id))
        )
        for call, name in session.exec(query):
            head = call.same_as_id or call.id
            groups.setdefault(head, []).append(_Copy(call, name))
    found: dict[int, list[_Copy]] = {}
    for call in calls:
        head = call.same_as_id or call.id
        assert call.id is not None and head is not None
        others = [c for c in groups.get(head, []) if c.call.id != call.id]
        if others:
            found[call.id] = sorted(others, key=lambda c: (c.call.id != head, c.call.id))
    return found


def _linked(copies: Sequence[_Copy]) -> list[dict[str, Any]]:
    return [{"source": c.source, "id": c.call.id, "url": c.call.url} for c in copies]


def _views(session: Any, rows: Sequence[tuple[Call, str, datetime | None]],
           now: datetime) -> list[CallView]:  # fmt: skip
    """The rows (call, source name, its last success) as views, their copies merged in."""
    copies = _copies(session, [call for call, _, _ in rows])
    views = []
    for call, name, listed in rows:
        others = copies.get(call.id or 0, [])
        views.append(replace(_view(call, name, listed, now, others), also_listed=_linked(others)))
    return views


def _tags(session: Any, ids: list[int]) -> dict[int, dict[str, float]]:
    """For each call id, its tags and their scores, highest first."""
    found: dict[int, dict[str, float]] = {}
    for start in range(0, len(ids), 500):
        query = (
            select(CallTag.call_id, CallTag.tag_id, CallTag.score)
            .where(col(CallTag.call_id).in_(ids[start : start + 500]))
            .order_by(col(CallTag.score).desc(), col(CallTag.tag_id))
        )
        for call_id, tag_id, score in session.exec(query):
            found.setdefault(call_id, {})[tag_id] = score
    return found


def find_call_ids(store: Store, identifier: str) -> list[int]:
    """The ids of the calls with this identifier (``HORIZON-…``, a Grants.gov number),
    ignoring case: the first-listed copy first."""
    with store.session() as session:
        rows = session.exec(
            select(Call.id, Call.same_as_id)
            .where(func.lower(Call.identifier) == identifier.strip().lower())
            .order_by(col(Call.same_as_id).is_not(None), col(Call.id))
        )
        return [row[0] for row in rows if row[0] is not None]


def get_call(store: Store, call_id: int, *, now: datetime) -> CallView | None:
    """One call with its change history (oldest first), or None."""
    with store.session() as session:
        row = session.exec(
            select(Call, Source.name, Source.last_success_at)
            .join(Source, col(Source.id) == Call.source_id)
            .where(Call.id == call_id)
        ).first()
        if row is None:
            return None
        call, name, listed = row
        history = _history(session, call_id)
        [view] = _views(session, [(call, name, listed)], now)
        tags = _tags(session, [call_id]).get(call_id, {})
    return replace(view, changes=history, tags=tags)


def _history(session: Any, call_id: int) -> list[ChangeView]:
    changes = session.exec(
        select(CallChange).where(CallChange.call_id == call_id).order_by(col(CallChange.id))
    )
    return [ChangeView(c.kind, _required(c.at), c.old, c.new) for c in changes]


def all_history(store: Store) -> dict[int, list[ChangeView]]:
    """Every call's typed changes, oldest first, by call id."""
    out: dict[int, list[ChangeView]] = {}
    with store.session() as session:
        for c in session.exec(select(CallChange).order_by(col(CallChange.id))):
            out.setdefault(c.call_id, []).append(ChangeView(c.kind, _required(c.at), c.old, c.new))
    return out


DIGEST_CHANGES = ("deadline_changed", "budget_changed", "status_changed", "reopened")


def digest_calls(
    store: Store,
    *,
    now: datetime,
    ids: Sequence[int] | None = None,
    since: datetime | None = None,
    horizon: datetime | None = None,
) -> list[tuple[CallView, dict[str, Any]]]:
    """Calls (one per call: copies from other sources left out) with their tags and their
    source's info, for digests: those in ``ids``; or else those first seen since ``since``,
    with a change a digest reports since ``since``, or with a deadline before ``horizon``."""
    query = select(Call, Source.name, Source.last_success_at, Source.info).join(
        Source, col(Source.id) == Call.source_id
    )
    if ids is not None:
        chunks = [list(ids[i : i + 500]) for i in range(0, len(ids), 500)]
        queries = [query.where(col(Call.id).in_(chunk)) for chunk in chunks]
    else:
        assert since is not None and horizon is not None
        changed = select(CallChange.call_id).where(
            col(CallChange.at) >= since, col(CallChange.kind).in_(DIGEST_CHANGES)
        )
        # The next deadline is not a column: open calls are read, and filtered below. A copy
        # with a deadline ahead brings in the call it copies, which may have none of its own.
        dated_copies = select(Call.same_as_id).where(col(Call.last_deadline) >= now)
        wanted = or_(col(Call.first_seen) >= since, col(Call.last_deadline) >= now,
                     col(Call.id).in_(changed), col(Call.id).in_(dated_copies))  # fmt: skip
        queries = [query.where(col(Call.same_as_id).is_(None), wanted)]
    found: list[tuple[CallView, dict[str, Any]]] = []
    with store.session() as session:
        recent = set() if ids is not None else set(session.exec(changed))
        for q in queries:
            read = list(session.exec(q))
            views = _views(session, [(call, name, seen) for call, name, seen, _ in read], now)
            rows = [(view, info) for view, (_, _, _, info) in zip(views, read, strict=True)]
            if ids is None:
                rows = [(view, info) for view, info in rows
                        if _due(view, since, horizon, recent)]  # fmt: skip
            tags = _tags(session, [view.id for view, _ in rows])
            found += [(replace(v, tags=tags.get(v.id, {})), dict(info or {})) for v, info in rows]
    return found


def _due(view: CallView, since: Any, horizon: Any, changed: set[int]) -> bool:
    """New since ``since``, changed since, or with its next deadline before ``horizon``."""
    soon = view.next_deadline is not None and view.next_deadline <= horizon
    return bool(view.first_seen >= since or view.id in changed or soon)


def digest_changes(
    store: Store, *, since: datetime | None = None, ids: Sequence[int] | None = None
) -> list[tuple[int, int, str, Any, Any, datetime]]:
    """(id, call_id, kind, old, new, at) of the changes a digest reports: since ``since``, or
    those with the given ids."""
    query = select(CallChange).where(col(CallChange.kind).in_(DIGEST_CHANGES))
    if since is not None:
        query = query.where(col(CallChange.at) >= since)
    queries = [query]
    if ids is not None:
        queries = [query.where(col(CallChange.id).in_(list(ids[i : i + 500])))
                   for i in range(0, len(ids), 500)]  # fmt: skip
    with store.session() as session:
        return [(c.id, c.call_id, c.kind, c.old, c.new, _required(c.at))
                for q in queries for c in session.exec(q.order_by(col(CallChange.id)))
                if c.id is not None]  # fmt: skip


def calls_stamp(store: Store) -> tuple[Any, ...]:
    """A cheap fingerprint of the stored calls and their tags: it changes when a call is
    added, changed, seen again, retagged or split from another (what a search index built from
    them must follow)."""
    with store.session() as session:
        calls = session.exec(
            select(
                func.count(col(Call.id)),
                func.max(Call.last_changed),
                func.max(Call.last_seen),
                func.max(Call.tagged_at),
            )  # fmt: skip
        ).one()
        tagged = session.exec(select(func.count(col(CallTag.call_id)))).one()
        linked = session.exec(select(func.count(col(Call.same_as_id)))).one()  # a link split
        sources = session.exec(
            select(func.count(col(Source.id)), func.max(Source.last_run_at))
        ).one()
    return (*calls, tagged, linked, *sources)
