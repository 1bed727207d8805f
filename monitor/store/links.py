"""Linking a source's new calls to the same call already stored from another source."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import bindparam, or_, select, update
from sqlmodel import Session, col

from monitor.store.matching import Candidate, best_match, canonical_identifier
from monitor.store.tables import Call

_FIELDS: tuple[Any, ...] = tuple(
    col(field)
    for field in (Call.id, Call.source_id, Call.identifier, Call.url, Call.title, Call.funder,
                  Call.deadlines, Call.last_deadline)
)  # fmt: skip


def _candidate(row: Mapping[Any, Any]) -> Candidate:
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
    return sum(_link(session, ordered[i : i + 500], linked) for i in range(0, len(ordered), 500))


def _keys(call: Candidate) -> list[tuple[str, object]]:
    """What a match can rest on: the identifier, the link, the (non-empty) deadline dates."""
    keys: list[tuple[str, object]] = [("id", call.identifier), ("url", call.url)]
    if call.deadline_days:
        keys.append(("days", call.deadline_days))
    return keys


def _link(session: Session, rows: Sequence[Mapping[str, Any]], linked: set[int]) -> int:
    """Link ``rows`` (in id order); ``linked`` collects the calls linked so far in this pass,
    which can no longer be the call others point at."""
    fresh = [_candidate(row) for row in rows]
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
        other = _candidate(row._mapping)
        for key in _keys(other):
            by_key.setdefault(key, []).append(other)
    links = []
    for call in fresh:  # an earlier call of another source, not itself a copy: as if one by one
        pool = sorted(
            {o.id: o for key in _keys(call) for o in by_key.get(key, [])
             if o.id < call.id and o.id not in linked}.values(),
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
