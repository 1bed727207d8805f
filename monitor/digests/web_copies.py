"""The web copies of sent digests: each digest's HTML (the email's, whatever the subscriber's
channel) is kept with its delivery in the ledger, ``Delivery.payload["web"]``, for the
subscriber's own pages ("view in browser", "my digests").

The copy is written just before the digest is handed to its channel, so every digest a
subscriber received has one (a crash after the channel took it cannot leave it without); it is
shown once the delivery is sent (or, for one split over several messages, once its first
message is).

A copy is some 100 KB, every week, for every subscriber: copies older than ``WEB_COPY_DAYS``
are dropped (``prune``, after each `digest send`), the delivery itself stays in the log."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import col, select

from monitor.store.db import Store
from monitor.store.tables import Delivery, utc
from notifications import mail
from notifications.digest import Digest

WEB = "web"  # the payload's key of the web copy
LISTED = 1000  # the newest deliveries of a subscriber looked at for the list of sent digests
BATCH = 500  # deliveries read and written at a time when copies are dropped


@dataclass(frozen=True)
class SentDigest:
    """A digest the subscriber was sent, as their list of digests shows it."""

    id: int  # the delivery's id: its web copy is /digests/ID
    period: str  # 2026-W48 or 2026-11-28
    sent_at: datetime  # aware (UTC)
    items: int  # calls in it
    kept: bool = True  # its web copy is still kept (False: sent before the retention cut)


def keep(store: Store, delivery: Delivery, digest: Digest) -> None:
    """Store ``digest``'s web copy with ``delivery`` (nothing is written when the very same
    copy is there: a retry). Raises StoreError when the ledger cannot be written."""
    assert delivery.id is not None
    html = mail.web_copy(digest)
    if delivery.payload.get(WEB) == html:
        return
    with store.session() as session:
        row = session.get(Delivery, delivery.id)
        if row is None:
            return
        row.payload = {**row.payload, WEB: html}  # a new value: the JSON column sees it changed
        session.add(row)
    delivery.payload = {**delivery.payload, WEB: html}


def _shown(delivery: Delivery) -> bool:
    """A digest the subscriber has (at least the start of) in hand."""
    return delivery.kind == "digest" and (delivery.status == "sent" or delivery.parts_sent > 0)


def sent_digests(store: Store, subscriber_id: int) -> list[SentDigest]:
    """The digests sent to the subscriber, newest first (of its newest ``LISTED``
    deliveries); none for an unknown subscriber."""
    query = (
        select(Delivery.id, Delivery.period, Delivery.sent_at, Delivery.items)
        .where(
            Delivery.subscriber_id == subscriber_id,
            Delivery.kind == "digest",
            Delivery.status == "sent",
            col(Delivery.sent_at).is_not(None),
        )
        .order_by(col(Delivery.id).desc())
        .limit(LISTED)
    )  # fmt: skip  (the columns only: never the copies themselves)
    with store.session() as session:
        rows = list(session.exec(query))
    return [SentDigest(id=i, period=period, sent_at=at, items=items)
            for i, period, sent, items in rows if i is not None and (at := utc(sent))]  # fmt: skip


def prune(store: Store, before: datetime) -> int:
    """Drop the web copies of digests sent before ``before`` (the deliveries stay, with their
    status and calls); the number dropped. Read and written ``BATCH`` deliveries at a time."""
    dropped, after = 0, 0
    while True:
        with store.session() as session:
            rows = list(session.exec(
                select(Delivery).where(Delivery.kind == "digest", col(Delivery.id) > after,
                                       col(Delivery.sent_at) < before)
                .order_by(col(Delivery.id)).limit(BATCH)
            ))  # fmt: skip
            for row in rows:
                if WEB in row.payload:
                    row.payload = {k: v for k, v in row.payload.items() if k != WEB}
                    session.add(row)
                    dropped += 1
        if len(rows) < BATCH:
            return dropped
        after = rows[-1].id or after


def copy_of(store: Store, subscriber_id: int, delivery_id: int) -> str | None:
    """The web copy of the subscriber's digest ``delivery_id``; None when there is no such
    delivery, it is another subscriber's (or a notice), it was not sent, or it has no copy
    (sent before copies were kept)."""
    if not 0 < delivery_id < 2**31:  # no row has such an id (and PostgreSQL would refuse it)
        return None
    with store.session() as session:
        row = session.get(Delivery, delivery_id)
    if row is None or row.subscriber_id != subscriber_id or not _shown(row):
        return None
    html = row.payload.get(WEB)
    return html if isinstance(html, str) else None
