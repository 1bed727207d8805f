"""Calls entered by hand, written as a source's listing is (``monitor/store/calls.py``): typed
change events, links to other sources' copies, nothing written for an unchanged call."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func
from sqlmodel import col, select

from monitor.store.calls import Listing, claim, content_hash, record_of, upsert_listings
from monitor.store.db import Store
from monitor.store.tables import Call, CallChange, Source
from sources.records import CallRecord


@dataclass(frozen=True)
class Stored:
    """A stored call of the source: its id, its record, and its content hash."""

    id: int
    record: CallRecord
    digest: str


@dataclass(frozen=True)
class Written:
    """What writing one record did: ``added``, ``updated`` or ``unchanged``, with the typed
    changes recorded (kind, old, new)."""

    call_id: int
    external_id: str
    outcome: str
    changes: list[tuple[str, Any, Any]]


Maker = Callable[[Mapping[str, Stored]], Sequence[CallRecord]]


def write_entered(store: Store, source_id: int, make: Maker, now: datetime) -> list[Written]:
    """Store the records that ``make`` builds from the source's stored calls (external id →
    ``Stored``), in one transaction that takes the source's row first, so that what ``make``
    read cannot change before it is written (two curators, one call). Only these calls are
    written: the source's others stay as they are. An error ``make`` raises writes nothing."""
    with store.session() as session:
        claim(session, [source_id])
        rows = session.exec(select(Call).where(Call.source_id == source_id)).all()
        stored = {r.external_id: Stored(r.id or 0, record_of(r), r.content_hash) for r in rows}
        records = list(make(stored))
        if not records:
            return []
        # The events of this write are those after the last one so far (the source's row is
        # ours: no one else writes these calls' events meanwhile).
        last = session.exec(select(func.max(CallChange.id))).one() or 0
        upsert_listings(store, [Listing(source_id, records, complete=False)], now, session)
        wanted = [r.external_id for r in records]
        ids = dict(session.execute(
            select(col(Call.external_id), col(Call.id))
            .where(Call.source_id == source_id, col(Call.external_id).in_(wanted))
        ).all())  # fmt: skip
        changes: dict[int, list[tuple[str, Any, Any]]] = {}
        events = (
            select(CallChange)
            .where(col(CallChange.call_id).in_(list(ids.values())), col(CallChange.id) > last)
            .order_by(col(CallChange.id))
        )
        for event in session.exec(events):
            if event.kind != "new":
                changes.setdefault(event.call_id, []).append((event.kind, event.old, event.new))
    written = []
    for record in records:
        before = stored.get(record.external_id)
        outcome = ("added" if before is None else
                   "unchanged" if before.digest == content_hash(record) else "updated")  # fmt: skip
        call_id = ids[record.external_id]
        written.append(Written(call_id, record.external_id, outcome, changes.get(call_id, [])))
    return written


def owners(store: Store, call_ids: Sequence[int]) -> dict[int, Source]:
    """The source of each of these calls that exists."""
    if not call_ids:
        return {}
    with store.session() as session:
        rows = session.exec(
            select(Call.id, Source).join(Source, col(Source.id) == Call.source_id)
            .where(col(Call.id).in_(list(call_ids)))
        ).all()  # fmt: skip
        return {call_id: source for call_id, source in rows if call_id is not None}
