"""The delivery ledger: planned deliveries, what each announces, and how each ended.

Planning writes a delivery and its announcements in one transaction, so a call can be promised
to a subscriber only once; sending marks each delivery (or each Slack message of it) in its own
transaction right after the transport accepted it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, insert, update
from sqlmodel import col, select

from monitor.redaction import redact
from monitor.store.db import Store, chunks
from monitor.store.tables import Announcement, Delivery, utc

SETTLED = ("sent", "empty")  # a period with one of these is done


@dataclass(frozen=True)
class Planned:
    """A delivery to write: its row values and its announcements (call_id, key, part)."""

    subscriber_id: int
    kind: str
    period: str
    planned_at: datetime
    since: datetime | None = None
    payload: dict[str, Any] = field(default_factory=dict)
    announcements: Sequence[tuple[int, str, str]] = ()


def existing(store: Store, kind: str, periods: Iterable[str]) -> set[tuple[int, str]]:
    """(subscriber_id, period) of the deliveries of ``kind`` already planned for ``periods``."""
    found: set[tuple[int, str]] = set()
    with store.session() as session:
        for chunk in chunks(sorted(set(periods))):
            query = select(Delivery.subscriber_id, Delivery.period).where(
                Delivery.kind == kind, col(Delivery.period).in_(chunk)
            )
            found.update((s, p) for s, p in session.exec(query))
    return found


def last_settled(store: Store, kind: str = "digest") -> dict[int, datetime]:
    """For each subscriber, when its last settled delivery of ``kind`` was planned."""
    query = (
        select(Delivery.subscriber_id, func.max(Delivery.planned_at))
        .where(Delivery.kind == kind, col(Delivery.status).in_(SETTLED))
        .group_by(col(Delivery.subscriber_id))
    )
    with store.session() as session:
        return {s: at for s, at in ((s, utc(at)) for s, at in session.exec(query)) if at}


def announced(store: Store, call_ids: Sequence[int]) -> dict[int, set[tuple[int, str]]]:
    """For each subscriber, the (call_id, key) already announced among ``call_ids``."""
    found: dict[int, set[tuple[int, str]]] = {}
    for sub, call, key in _rows(store, "SELECT subscriber_id, call_id, key FROM announcement "
                                "WHERE call_id IN ({})", call_ids):  # fmt: skip
        found.setdefault(sub, set()).add((call, key))
    return found


def _rows(store: Store, sql: str, ids: Sequence[int]) -> Iterable[tuple[Any, ...]]:
    """The rows of ``sql`` (whose ``IN ({})`` takes the ids), in chunks, through the driver:
    these reads run to hundreds of thousands of rows, where SQLAlchemy's rows cost most."""
    mark = "?" if store.engine.dialect.paramstyle == "qmark" else "%s"
    with store.session() as session:
        connection = session.connection()
        for chunk in chunks(list(ids), 900):
            query = sql.format(", ".join([mark] * len(chunk)))
            yield from connection.exec_driver_sql(query, tuple(chunk)).fetchall()


def plan(store: Store, planned: Sequence[Planned]) -> list[int]:
    """Write the deliveries (pending, or empty when they announce nothing) and their
    announcements in one transaction; returns the new deliveries' ids in order."""
    if not planned:
        return []
    rows = [
        {"subscriber_id": p.subscriber_id, "kind": p.kind, "period": p.period,
         "planned_at": p.planned_at, "since": p.since, "payload": p.payload,
         "items": len({a[0] for a in p.announcements}),
         "status": "pending" if p.announcements or p.kind != "digest" else "empty",
         "attempts": 0, "parts_sent": 0}
        for p in planned
    ]  # fmt: skip
    with store.session() as session:
        ids: list[int] = []
        for chunk in chunks(rows):
            result = session.execute(
                insert(Delivery).returning(col(Delivery.id), sort_by_parameter_order=True),
                list(chunk),
            )
            ids.extend(result.scalars())
        links = [(p.subscriber_id, call, key, delivery_id, part)
                 for p, delivery_id in zip(planned, ids, strict=True)
                 for call, key, part in p.announcements]  # fmt: skip
        _insert_announcements(store, session.connection(), links)
        session.commit()
    return ids


def _insert_announcements(store: Store, connection: Any, rows: list[tuple[Any, ...]]) -> None:
    """Hundreds of thousands of rows a week, straight to the driver: PostgreSQL's COPY, or
    SQLite's executemany (both several times faster than SQLAlchemy's per-row insert())."""
    columns = "subscriber_id, call_id, key, delivery_id, part"
    if store.dialect == "postgresql":
        raw = connection.connection.dbapi_connection
        with (
            raw.cursor() as cursor,
            cursor.copy(f"COPY announcement ({columns}) FROM STDIN") as copy,
        ):
            for row in rows:
                copy.write_row(row)
        return
    mark = "?" if store.engine.dialect.paramstyle == "qmark" else "%s"
    sql = f"INSERT INTO announcement ({columns}) VALUES ({', '.join([mark] * 5)})"
    for chunk in chunks(rows, 5000):
        connection.exec_driver_sql(sql, list(chunk))


def pending(
    store: Store, *, subscriber_id: int | None = None, kind: str | None = None
) -> list[Delivery]:
    query = select(Delivery).where(Delivery.status == "pending").order_by(col(Delivery.id))
    if subscriber_id is not None:
        query = query.where(Delivery.subscriber_id == subscriber_id)
    if kind is not None:
        query = query.where(Delivery.kind == kind)
    with store.session() as session:
        return list(session.exec(query))


def entries(store: Store, delivery_ids: Sequence[int]) -> dict[int, list[tuple[int, str, str]]]:
    """For each delivery, its announcements (call_id, key, part), in call order."""
    found: dict[int, list[tuple[int, str, str]]] = {}
    sql = ("SELECT delivery_id, call_id, key, part FROM announcement WHERE delivery_id IN ({}) "
           "ORDER BY delivery_id, call_id, key")  # fmt: skip
    for delivery, call, key, part in _rows(store, sql, delivery_ids):
        found.setdefault(delivery, []).append((call, key, part))
    return found


def mark_part(store: Store, delivery_id: int, parts_sent: int) -> None:
    """One more Slack message of the delivery is posted."""
    _set(store, delivery_id, parts_sent=parts_sent)


def mark_sent(
    store: Store, delivery_id: int, at: datetime, *, parts_sent: int, message_id: str | None
) -> None:
    _set(store, delivery_id, status="sent", sent_at=at, parts_sent=parts_sent,
         message_id=message_id, error=None)  # fmt: skip


def mark_error(
    store: Store, delivery_id: int, error: str, *, permanent: bool, counted: bool = True
) -> None:
    """A failed attempt, its error stored with every secret blanked. Transient: stays pending
    for the next run. Permanent: failed, and its calls are released so that a corrected
    subscriber gets them in a later digest. ``counted``: the delivery's own failure, which
    ``attempts`` counts (a transport's outage or a refused recipient is not)."""
    with store.session() as session:
        values: dict[str, Any] = {"error": redact(error)[:2000]}
        if counted:
            values["attempts"] = col(Delivery.attempts) + 1
        if permanent:
            values["status"] = "failed"
            session.execute(
                delete(Announcement).where(col(Announcement.delivery_id) == delivery_id)
            )
        session.execute(update(Delivery).where(col(Delivery.id) == delivery_id).values(**values))
        session.commit()


def _set(store: Store, delivery_id: int, **values: Any) -> None:
    with store.session() as session:
        session.execute(update(Delivery).where(col(Delivery.id) == delivery_id).values(**values))
        session.commit()


def deliveries(store: Store, subscriber_id: int | None = None, limit: int = 50) -> list[Delivery]:
    """The newest deliveries first."""
    query = select(Delivery).order_by(col(Delivery.id).desc()).limit(limit)
    if subscriber_id is not None:
        query = query.where(Delivery.subscriber_id == subscriber_id)
    with store.session() as session:
        return list(session.exec(query))


def periods(store: Store, kind: str) -> set[str]:
    """Every period a delivery of ``kind`` was planned for."""
    with store.session() as session:
        return set(session.exec(select(Delivery.period).where(Delivery.kind == kind).distinct()))
