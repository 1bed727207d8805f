"""Everything the store holds about one subscriber, for the admins' pages and GDPR: when each
was last sent something, their rows gathered for an export, and erasing them.

A subscriber's data: their row and the destinations it owns (a researcher's Slack webhook
row), the ledger (deliveries, with the web copies of the digests sent, and announcements),
the feedback sent through their own links, and the single-use email links made for them or
their address (confirm and sign-in; only a hash of each token is kept). Erasing deletes all
of that but the feedback, which stays as anonymous votes for the review queue (its link to
the subscriber goes); staff sign-in links are a member of staff's, not a subscriber's.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, or_, update
from sqlmodel import col, select

from monitor.errors import ConfigError
from monitor.store.db import Store
from monitor.store.tables import Announcement, Delivery, EmailLink, Feedback, Subscriber, utc

SUBSCRIBER_LINKS = ("confirm", "sign-in")  # email links of a subscriber (not staff's)


@dataclass
class Holdings:
    """The rows of one subscriber and of the destinations it owns."""

    subscriber: Subscriber
    owned: list[Subscriber] = field(default_factory=list)
    deliveries: list[Delivery] = field(default_factory=list)
    announcements: list[Announcement] = field(default_factory=list)
    feedback: list[Feedback] = field(default_factory=list)
    email_links: list[EmailLink] = field(default_factory=list)


def last_sent(store: Store, ids: Iterable[int] | None = None) -> dict[int, datetime]:
    """When each subscriber (of ``ids``, or all) was last sent a delivery."""
    query = (select(Delivery.subscriber_id, func.max(Delivery.sent_at))
             .where(Delivery.status == "sent").group_by(col(Delivery.subscriber_id)))  # fmt: skip
    if ids is not None:
        query = query.where(col(Delivery.subscriber_id).in_(list(ids)))
    with store.session() as session:
        return {s: at for s, at in ((s, utc(at)) for s, at in session.exec(query)) if at}


def _links_of(rows: list[Subscriber]) -> Any:
    ids = [r.id for r in rows]
    emails = [r.address for r in rows if r.kind == "email"]
    return col(EmailLink.kind).in_(SUBSCRIBER_LINKS) & or_(
        col(EmailLink.subscriber_id).in_(ids), col(EmailLink.address).in_(emails)
    )


def holdings(store: Store, subscriber_id: int) -> Holdings:
    """Every row about the subscriber; ConfigError if there is none."""
    with store.session() as session:
        row = session.get(Subscriber, subscriber_id)
        if row is None:
            raise ConfigError(f"no subscriber {subscriber_id}",
                              hint="See `funding-monitor subscribers list`.")  # fmt: skip
        owned = list(session.exec(select(Subscriber).where(Subscriber.owner_id == subscriber_id)
                                  .order_by(col(Subscriber.id))))  # fmt: skip
        ids = [subscriber_id, *(o.id for o in owned)]
        found = Holdings(row, owned)
        found.deliveries = list(session.exec(select(Delivery).where(
            col(Delivery.subscriber_id).in_(ids)).order_by(col(Delivery.id))))  # fmt: skip
        found.announcements = list(
            session.exec(
                select(Announcement)
                .where(col(Announcement.subscriber_id).in_(ids))
                .order_by(
                    col(Announcement.delivery_id), col(Announcement.call_id), col(Announcement.key)
                )
            )
        )
        found.feedback = list(session.exec(select(Feedback).where(
            col(Feedback.subscriber_id).in_(ids)).order_by(col(Feedback.id))))  # fmt: skip
        found.email_links = list(session.exec(select(EmailLink).where(
            _links_of([row, *owned])).order_by(col(EmailLink.id))))  # fmt: skip
    return found


def erase(store: Store, subscriber_id: int) -> Holdings:
    """Delete the subscriber, the destinations it owns, their ledger and email links, and
    unlink their feedback, in one transaction; returns what was held (as ``holdings``)."""
    held = holdings(store, subscriber_id)
    rows = [held.subscriber, *held.owned]
    ids = [r.id for r in rows]
    with store.session() as session:
        session.execute(delete(EmailLink).where(_links_of(rows)))
        session.execute(update(Feedback).where(col(Feedback.subscriber_id).in_(ids))
                        .values(subscriber_id=None))  # fmt: skip
        # the ledger goes by the foreign keys' cascade; said here too, for a database that
        # was made without them
        session.execute(delete(Announcement).where(col(Announcement.subscriber_id).in_(ids)))
        session.execute(delete(Delivery).where(col(Delivery.subscriber_id).in_(ids)))
        session.execute(delete(Subscriber).where(col(Subscriber.owner_id) == subscriber_id))
        session.execute(delete(Subscriber).where(col(Subscriber.id) == subscriber_id))
    return held
