"""The send log as staff read it: deliveries filtered and paged, newest first, each with its
subscriber; one delivery; a failed one made pending again (a retry).

The ledger's own writes (planning, marking sent or failed) are ``ledger.py``'s; a retry is
the one write here: it turns a ``failed`` delivery back into a ``pending`` one, attempts
reset, in one statement that only a failed row matches (two curators retrying at once: one
does), with the announcements of its new contents in the same transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, insert, or_, update
from sqlmodel import col, select

from monitor.store.db import Store
from monitor.store.tables import Announcement, Delivery, Subscriber


@dataclass(frozen=True)
class Filter:
    """Which deliveries: all of one subscriber, of one kind (digest, notice), in one status,
    of one ledger period (a digest's ``2026-W48`` or ``2026-11-28``; a day also finds that
    day's notices, ``eu-ft#12@2026-11-28``), planned from ``since`` to before ``until``."""

    subscriber_id: int | None = None
    kind: str | None = None
    status: str | None = None
    period: str | None = None
    since: datetime | None = None
    until: datetime | None = None


def _where(query: Any, f: Filter) -> Any:
    if f.subscriber_id is not None:
        query = query.where(Delivery.subscriber_id == f.subscriber_id)
    if f.kind:
        query = query.where(Delivery.kind == f.kind)
    if f.status:
        query = query.where(Delivery.status == f.status)
    if f.period:
        query = query.where(
            or_(
                col(Delivery.period) == f.period,
                col(Delivery.period).endswith(f"@{f.period}", autoescape=True),
            )
        )
    if f.since is not None:
        query = query.where(col(Delivery.planned_at) >= f.since)
    if f.until is not None:
        query = query.where(col(Delivery.planned_at) < f.until)
    return query


def page(store: Store, f: Filter, *, offset: int = 0,
         limit: int = 50) -> tuple[list[tuple[Delivery, Subscriber]], int]:  # fmt: skip
    """One page of the deliveries ``f`` picks, newest first (by when first planned), each
    with its subscriber; and how many ``f`` picks in all."""
    joined = select(Delivery, Subscriber).join(
        Subscriber, col(Subscriber.id) == Delivery.subscriber_id
    )
    query = _where(joined, f).order_by(col(Delivery.id).desc()).offset(offset).limit(limit)
    counted = _where(select(func.count(col(Delivery.id))), f)
    with store.session() as session:
        rows = [(d, s) for d, s in session.exec(query)]
        total = int(session.exec(counted).one())
    return rows, total


def one(store: Store, delivery_id: int) -> tuple[Delivery, Subscriber] | None:
    """The delivery and its subscriber, or None."""
    with store.session() as session:
        delivery = session.get(Delivery, delivery_id)
        if delivery is None:
            return None
        subscriber = session.get(Subscriber, delivery.subscriber_id)
        return (delivery, subscriber) if subscriber is not None else None


def reopen(
    store: Store,
    delivery_id: int,
    *,
    planned_at: datetime | None = None,
    since: datetime | None = None,
    announcements: Sequence[tuple[int, str, str]] = (),
) -> bool:
    """A failed delivery made pending again, attempts and messages sent reset and its error
    cleared; a digest gets its new contents (``announcements``: call_id, key, part, as
    ``ledger.Planned``'s) planned at ``planned_at`` (the content is rebuilt as of then). False
    when it was not failed (any more): nothing changes."""
    values: dict[str, Any] = {"status": "pending", "attempts": 0, "parts_sent": 0,
                              "error": None, "message_id": None, "sent_at": None}  # fmt: skip
    if planned_at is not None:
        values.update(planned_at=planned_at, since=since,
                      items=len({call for call, _, _ in announcements}))  # fmt: skip
    with store.session() as session:
        done = session.execute(
            update(Delivery)
            .where(col(Delivery.id) == delivery_id, col(Delivery.status) == "failed")
            .values(**values)
        )
        if getattr(done, "rowcount", 0) != 1:
            session.rollback()
            return False
        row = session.get(Delivery, delivery_id)
        assert row is not None
        if announcements:
            session.execute(insert(Announcement), [
                {"subscriber_id": row.subscriber_id, "call_id": call, "key": key,
                 "delivery_id": delivery_id, "part": part}
                for call, key, part in announcements
            ])  # fmt: skip
        session.commit()
    return True
