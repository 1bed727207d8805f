"""Linking a source's new calls to the same call already stored from another source, the
linked calls as staff review them, and splitting a wrong link so that it stays split."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, exists, func, or_, select, union_all, update
from sqlmodel import Session, col

from monitor.errors import ConfigError
from monitor.store.db import Store, chunks
from monitor.store.matching import Candidate, best_match, canonical_identifier, identity
from monitor.store.tables import Call, CallApart, Source

Ends = frozenset[tuple[int, str]]  # two calls kept apart: (source id, identity) of each

_FIELDS: tuple[Any, ...] = tuple(
    col(field)
    for field in (Call.id, Call.source_id, Call.identifier, Call.url, Call.title, Call.funder,
                  Call.deadlines, Call.last_deadline)
)  # fmt: skip


def candidate(row: Mapping[Any, Any]) -> Candidate:
    """A call as matching sees it, from its column values (a new call's, or a stored row's)."""
    days = frozenset(d["at"][:10] for d in row["deadlines"] or ())
    return Candidate(row["id"], row["source_id"], row["identifier"], row["url"], row["title"],
                     row["funder"], days)  # fmt: skip


def link_new_calls(session: Session, rows: Sequence[Mapping[str, Any]]) -> int:
    """Point each new call at the earliest matching call of another source (``same_as_id``);
    returns how many were linked. ``rows`` are the inserted column values with their ``id`` and
    ``source_id``, from one or several sources. Indexed lookups, 500 calls at a time."""
    sources = {row["source_id"] for row in rows}
    if not rows:
        return 0
    if len(sources) == 1:
        others = select(col(Call.id)).where(col(Call.source_id).not_in(sources)).limit(1)
        if session.execute(others).first() is None:
            return 0  # nothing from any other source to match against
    ordered = sorted(rows, key=lambda row: row["id"])
    linked: set[int] = set()
    apart = _apart(session, sources)
    return sum(_link(session, ordered[i : i + 500], linked, apart)
               for i in range(0, len(ordered), 500))  # fmt: skip


def _ends(call: Candidate) -> tuple[int, str]:
    return call.source_id, identity(call.identifier, call.url)


def _apart(session: Session, source_ids: set[int]) -> set[Ends]:
    """The pairs staff split that involve these sources."""
    query = select(col(CallApart.source_id), col(CallApart.key), col(CallApart.other_source_id),
                   col(CallApart.other_key)).where(or_(
        col(CallApart.source_id).in_(source_ids), col(CallApart.other_source_id).in_(source_ids)
    ))  # fmt: skip
    return {frozenset({(a, key), (b, other)}) for a, key, b, other in session.execute(query)}


def _keys(call: Candidate) -> list[tuple[str, object]]:
    """What a match can rest on: the identifier, the link, the (non-empty) deadline dates."""
    keys: list[tuple[str, object]] = [("id", call.identifier), ("url", call.url)]
    if call.deadline_days:
        keys.append(("days", call.deadline_days))
    return keys


def _link(session: Session, rows: Sequence[Mapping[str, Any]], linked: set[int],
          apart: set[Ends]) -> int:  # fmt: skip
    """Link ``rows`` (in id order); ``linked`` collects the calls linked so far in this pass,
    which can no longer be the call others point at; never two calls staff split apart."""
    fresh = [candidate(row) for row in rows]
    # Both sides keep the portal's spelling of EU ids, so the plain (indexed) column is compared.
    identifiers = {c.identifier for c in fresh if canonical_identifier(c.identifier)}
    urls = {c.url for c in fresh}
    deadlines = {row["last_deadline"] for row in rows if row["last_deadline"]}
    query = (
        select(*_FIELDS)
        .where(
            col(Call.same_as_id).is_(None),
            or_(
                col(Call.identifier).in_(identifiers or {""}),
                col(Call.url).in_(urls or {""}),
                col(Call.last_deadline).in_(deadlines or {None}),
            ),
        )
        .order_by(col(Call.id))
    )
    # Index the candidates by what can make them match, so each new call meets only its own.
    by_key: dict[object, list[Candidate]] = {}
    for row in session.execute(query):
        other = candidate(row._mapping)
        for key in _keys(other):
            by_key.setdefault(key, []).append(other)
    links = []
    for call in fresh:  # an earlier call of another source, not itself a copy: as if one by one
        pool = sorted(
            {o.id: o for key in _keys(call) for o in by_key.get(key, [])
             if o.id < call.id and o.id not in linked
             and not (apart and frozenset({_ends(call), _ends(o)}) in apart)}.values(),
            key=lambda o: o.id,
        )  # fmt: skip
        match = best_match(call, pool)
        if match is not None:
            links.append({"call": call.id, "same_as": match.id})
            linked.add(call.id)
    if links:  # one executemany for all of them
        table = Call.__table__  # type: ignore[attr-defined]
        statement = (
            update(table)
            .where(table.c.id == bindparam("call"))
            .values(same_as_id=bindparam("same_as"))
        )
        session.connection().execute(statement, links)
    return len(links)


@dataclass(frozen=True)
class Linked:
    """A call linked to another, as the linked-calls page groups and filters them."""

    id: int
    same_as_id: int | None  # None for the first of its group
    source: str  # its source's name
    identifier: str
    title: str


def _linked_ids() -> Any:
    """The ids of the calls linked to another: the copies and the calls they copy. Both
    halves read the same_as_id index alone, where an OR of the two, or a query asking the
    copies for another column, has SQLite scan every call."""
    copy = col(Call.same_as_id).is_not(None)
    return union_all(select(col(Call.same_as_id)).where(copy), select(col(Call.id)).where(copy))


def linked(store: Store) -> list[Linked]:
    """Every call linked to another (the first of each group and its copies), in id order."""
    query = (
        select(col(Call.id), col(Call.same_as_id), col(Source.name), col(Call.identifier),
               col(Call.title))
        .join(Source, col(Source.id) == col(Call.source_id))
        .where(col(Call.id).in_(_linked_ids()))
        .order_by(col(Call.id))
    )  # fmt: skip
    with store.session() as session:
        return [Linked(*row) for row in session.execute(query)]


def _heads() -> Any:
    """Each group's first call (``head``) and its latest copy's id (``newest``), from the
    same_as_id index alone."""
    copy = col(Call.same_as_id)
    return (select(copy.label("head"), func.max(col(Call.id)).label("newest"))
            .where(copy.is_not(None)).group_by(copy).subquery())  # fmt: skip


def group_heads(store: Store, *, source: str = "", offset: int = 0,
                limit: int | None = None) -> tuple[list[int], int]:  # fmt: skip
    """The first call of each group of linked calls, newest link first (by its latest copy),
    ``limit`` of them from ``offset``; only the groups with a call of ``source`` when given.
    And how many groups there are."""
    heads = _heads()
    with store.session() as session:
        kept = []
        if source:
            named = select(col(Source.id)).where(col(Source.name) == source)
            found = session.execute(named).scalar()
            if found is None:
                return [], 0
            mine, head = col(Call.source_id) == found, heads.c.head
            kept.append(or_(exists().where(col(Call.id) == head, mine),
                            exists().where(col(Call.same_as_id) == head, mine)))  # fmt: skip
        count = select(func.count()).select_from(heads).where(*kept)
        total = int(session.execute(count).scalar_one())
        page = (select(heads.c.head).where(*kept)
                .order_by(heads.c.newest.desc(), heads.c.head.desc())
                .offset(offset).limit(limit))  # fmt: skip
        return [head for (head,) in session.execute(page)], total


def group_rows(store: Store, heads: Sequence[int]) -> list[dict[str, Any]]:
    """The calls of the groups whose first calls are ``heads`` (the firsts and their copies),
    in id order, as ``linked_rows`` reads them."""
    found = _rows(store, heads, (col(Call.id), col(Call.same_as_id)))
    return [found[key] for key in sorted(found)]


def linked_sources(store: Store) -> list[str]:
    """The names of the sources with a linked call (a copy, or a call copied), A first."""
    query = (select(col(Source.name)).distinct()
             .join(Call, col(Call.source_id) == col(Source.id))
             .where(col(Call.id).in_(_linked_ids())).order_by(col(Source.name)))  # fmt: skip
    with store.session() as session:
        return [name for (name,) in session.execute(query)]


def linked_rows(store: Store, ids: Sequence[int]) -> dict[int, dict[str, Any]]:
    """The calls of ``ids`` as matching compares them, by id: ``id``, ``source_id``,
    ``identifier``, ``url``, ``title``, ``funder``, ``deadlines``, ``last_deadline``, with
    ``same_as_id`` and ``source`` (its name)."""
    return _rows(store, ids, (col(Call.id),))


def _rows(store: Store, values: Sequence[int], columns: Sequence[Any]) -> dict[int, dict[str, Any]]:
    """By id, the calls whose ``columns`` (each in turn) hold one of ``values``."""
    query = select(*_FIELDS, col(Call.same_as_id), col(Source.name).label("source")).join(
        Source, col(Source.id) == col(Call.source_id))  # fmt: skip
    found: dict[int, dict[str, Any]] = {}
    with store.session() as session:
        for chunk in chunks(values):
            for column in columns:
                for row in session.execute(query.where(column.in_(chunk))):
                    found[row.id] = dict(row._mapping)
    return found


def split_call(store: Store, call_id: int, now: datetime) -> tuple[int, list[int]]:
    """Make ``call_id`` its own call again: unlinked from the call it copies, or (the first of
    its group) from its copies, the earliest of which takes its place. Each pair it leaves is
    kept apart, so that matching never links them again. Returns (the first of the group it
    was in, the ids of the calls it was linked with); ConfigError for an unknown call or one
    linked to nothing."""
    with store.session() as session:
        call = session.get(Call, call_id)
        if call is None:
            raise ConfigError(
                f"no call with id {call_id}", hint="See `funding-monitor calls list`."
            )
        head = call.same_as_id or call_id
        query = select(Call).where(or_(col(Call.id) == head, col(Call.same_as_id) == head))
        group = list(session.scalars(query.order_by(col(Call.id))))
        others = [c for c in group if c.id != call_id]
        if not others:
            raise ConfigError(
                f"call {call_id} is not linked to another call",
                hint="See the calls it is linked with: `funding-monitor calls show ID`.",
            )
        if call.same_as_id is None:  # the first of its group: the next one takes its place
            first, *rest = others
            first.same_as_id = None
            for other in rest:
                other.same_as_id = first.id
        call.same_as_id = None
        mine = (call.source_id, identity(call.identifier, call.url))
        kept = _apart(session, {call.source_id})
        for other in others:
            theirs = (other.source_id, identity(other.identifier, other.url))
            if mine == theirs or frozenset({mine, theirs}) in kept:
                continue
            (a, key), (b, other_key) = sorted((mine, theirs))
            session.add(CallApart(source_id=a, key=key, other_source_id=b, other_key=other_key,
                                  at=now))  # fmt: skip
            kept.add(frozenset({mine, theirs}))
        session.add_all([call, *others])
        return head, [c.id for c in others if c.id is not None]
