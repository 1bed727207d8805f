"""Reading calls back: filtered listings and one call with its history, status as at now."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time
from typing import Any

from sqlalchemy import String, cast, func, or_
from sqlmodel import col, select

from monitor.store.calls import deadline_from_json
from monitor.store.db import Store
from monitor.store.tables import Call, CallChange, CallTag, Source
from sources.deadlines import compute_status, next_deadline


@dataclass(frozen=True)
class ChangeView:
    kind: str
    at: datetime
    old: Any
    new: Any


@dataclass(frozen=True)
class CallView:
    """A stored call as users see it; ``status`` is recomputed for ``now``."""

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


def _view(call: Call, source: str, listed: datetime | None, now: datetime) -> CallView:
    """``listed``: the source's last successful run, when the call was in that listing."""
    deadlines = tuple(deadline_from_json(d) for d in call.deadlines)
    opens = call.opens
    status, flags = compute_status(opens, deadlines, call.source_status, now)
    upcoming = next_deadline(deadlines, now)
    extra = [f for f in call.flags if f not in ("stale-source-status", "no-deadline")]
    assert call.id is not None
    return CallView(
        id=call.id,
        source=source,
        external_id=call.external_id,
        identifier=call.identifier,
        title=call.title,
        summary=call.summary,
        url=call.url,
        funder=call.funder,
        programme=call.programme,
        call_identifier=call.call_identifier,
        call_title=call.call_title,
        action_types=list(call.action_types),
        status=status,
        source_status=call.source_status,
        flags=[*flags, *extra],
        opens=opens,
        deadlines=list(call.deadlines),
        next_deadline=upcoming.at if upcoming else None,
        budget=call.budget,
        currency=call.currency,
        keywords=list(call.keywords),
        first_seen=_required(call.first_seen),
        last_seen=max(_required(call.last_seen), listed or _EPOCH)
        if call.unseen_since is None
        else _required(call.last_seen),
        last_changed=_required(call.last_changed),
        unseen_since=call.unseen_since,
    )


def _any_contains(text: str, *columns: Any) -> Any:
    """SQL: any of ``columns`` contains ``text``, ignoring case; % and _ are taken literally."""
    escaped = text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    pattern = f"%{escaped}%"
    return or_(*(func.lower(column).like(pattern, escape="\\") for column in columns))


def list_calls(
    store: Store,
    *,
    now: datetime,
    status: str | None = None,
    programme: str | None = None,
    deadline_before: date | None = None,
    search: str | None = None,
    source: str | None = None,
    tag: str | None = None,
    limit: int | None = None,
) -> list[CallView]:
    """Calls matching every filter, soonest next deadline first (none last).

    ``programme`` matches the programme or funder, case-insensitively, in part ("edctp3");
    ``deadline_before`` keeps calls whose next deadline falls on or before that date (UTC);
    ``search`` looks in identifier, title, summary and keywords; ``tag`` keeps calls given
    that tag (a parent tag matches calls given any of its sub-tags, as they carry it too).
    """
    query = select(Call, Source.name, Source.last_success_at).join(
        Source, col(Source.id) == Call.source_id
    )
    if programme:
        query = query.where(_any_contains(programme, Call.programme, Call.funder))
    if search:
        keywords = cast(Call.keywords, String)
        query = query.where(
            _any_contains(search, Call.identifier, Call.title, Call.summary, keywords)
        )
    if tag:
        tagged = select(CallTag.call_id).where(CallTag.tag_id == tag)
        query = query.where(col(Call.id).in_(tagged))
    if source:
        query = query.where(Source.name == source)
    else:  # one call per call: a copy from a second source is shown as a link of the first
        query = query.where(col(Call.same_as_id).is_(None))
    if deadline_before or status in ("open", "forthcoming"):
        query = query.where(or_(col(Call.last_deadline).is_(None), col(Call.last_deadline) >= now))
    with store.session() as session:
        views = [_view(call, name, seen, now) for call, name, seen in session.exec(query)]
        links = _links(session, [v.id for v in views])
        tags = _tags(session, [v.id for v in views])
    views = [replace(v, also_listed=links.get(v.id, []), tags=tags.get(v.id, {})) for v in views]
    if status:
        views = [v for v in views if v.status == status]
    if deadline_before:
        cutoff = datetime.combine(deadline_before, time.max, UTC)
        views = [v for v in views if v.next_deadline and v.next_deadline <= cutoff]
    far = datetime.max.replace(tzinfo=UTC)
    views.sort(key=lambda v: (v.next_deadline or far, v.identifier))
    return views[:limit] if limit else views


def _links(session: Any, ids: list[int]) -> dict[int, list[dict[str, Any]]]:
    """For each call id, the same call as stored from other sources."""
    found: dict[int, list[dict[str, Any]]] = {}
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        query = (
            select(Call.same_as_id, Call.id, Call.url, Source.name)
            .join(Source, col(Source.id) == Call.source_id)
            .where(col(Call.same_as_id).in_(chunk))
            .order_by(col(Call.id))
        )
        for primary, call_id, url, name in session.exec(query):
            found.setdefault(primary, []).append({"source": name, "id": call_id, "url": url})
    return found


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
        changes = session.exec(
            select(CallChange).where(CallChange.call_id == call_id).order_by(col(CallChange.id))
        )
        history = [ChangeView(c.kind, _required(c.at), c.old, c.new) for c in changes]
        links = _links(session, [call_id]).get(call_id, [])
        tags = _tags(session, [call_id]).get(call_id, {})
    return replace(_view(call, name, listed, now), changes=history, also_listed=links, tags=tags)


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
        # The next deadline is not a column: open calls are read, and filtered below.
        wanted = or_(col(Call.first_seen) >= since, col(Call.last_deadline) >= now,
                     col(Call.id).in_(changed))  # fmt: skip
        queries = [query.where(col(Call.same_as_id).is_(None), wanted)]
    found: list[tuple[CallView, dict[str, Any]]] = []
    with store.session() as session:
        recent = set() if ids is not None else set(session.exec(changed))
        for q in queries:
            rows = [
                (_view(call, name, seen, now), info) for call, name, seen, info in session.exec(q)
            ]
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
