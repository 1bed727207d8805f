"""The web copies of sent digests: each digest's HTML (the email's, whatever the subscriber's
channel) is kept with its delivery in the ledger, ``Delivery.payload["web"]``, for the
subscriber's own pages ("view in browser", "my digests").

The copy is written just before the digest is handed to its channel, so every digest a
subscriber received has one (a crash after the channel took it cannot leave it without); it is
shown once the delivery is sent (or, for one split over several messages, once its first
message is)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from monitor.store import ledger
from monitor.store.db import Store
from monitor.store.tables import Delivery, utc
from notifications import mail
from notifications.digest import Digest

WEB = "web"  # the payload's key of the web copy
LISTED = 1000  # the newest deliveries of a subscriber looked at for the list of sent digests


@dataclass(frozen=True)
class SentDigest:
    """A digest the subscriber was sent, as their list of digests shows it."""

    id: int  # the delivery's id: its web copy is /digests/ID
    period: str  # 2026-W48 or 2026-11-28
    sent_at: datetime  # aware (UTC)
    items: int  # calls in it


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
    found = []
    for d in ledger.deliveries(store, subscriber_id, limit=LISTED):
        sent_at = utc(d.sent_at)
        if d.id is not None and d.kind == "digest" and d.status == "sent" and sent_at:
            found.append(SentDigest(id=d.id, period=d.period, sent_at=sent_at, items=d.items))
    return found


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
