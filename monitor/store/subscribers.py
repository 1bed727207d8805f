"""Subscribers: add, find, change, remove; who follows a tag."""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from sqlmodel import col, select

from monitor.errors import ConfigError
from monitor.store.db import Store
from monitor.store.tables import Subscriber
from notifications.registry import destination
from notifications.slack import safe_webhook

EDITABLE = (
    "name",
    "role",
    "language",
    "frequency",
    "filters",
    "reminder_days",
    "address",
    "owner_id",
)


def new_nonce() -> str:
    return secrets.token_hex(8)


def add_subscriber(store: Store, kind: str, address: str, **fields: Any) -> Subscriber:
    """Store a new subscriber; ConfigError if the same destination is already subscribed."""
    created = fields.pop("created_at", None) or datetime.now(UTC)
    row = Subscriber(
        kind=kind, address=address, token_nonce=new_nonce(), created_at=created, **fields
    )
    with store.session() as session:
        query = select(Subscriber.id).where(Subscriber.kind == kind, Subscriber.address == address)
        if session.exec(query).first() is not None:
            raise ConfigError(
                f"{kind} {shown(kind, address)} is already a subscriber",
                hint="Change it with `funding-monitor subscribers edit`.",
            )
        session.add(row)
        session.commit()
        session.refresh(row)
    return row


def shown(kind: str, address: str) -> str:
    """The destination as safe to show: a webhook URL's path is its secret."""
    if not destination(kind).secret:
        return address
    return safe_webhook(address)


def get_subscriber(store: Store, ref: str | int) -> Subscriber:
    """By id, or by address (email or Slack channel); ConfigError naming ``ref`` if unknown."""
    with store.session() as session:
        if isinstance(ref, int) or str(ref).isdigit():
            row = session.get(Subscriber, int(ref))
        else:
            query = select(Subscriber).where(col(Subscriber.address).in_([ref, ref.lower()]))
            row = session.exec(query).first()
    if row is None:
        raise ConfigError(f"no subscriber {ref!r}",
                          hint="See `funding-monitor subscribers list`.")  # fmt: skip
    return row


def list_subscribers(
    store: Store, *, active_only: bool = False, ids: Iterable[int] | None = None
) -> list[Subscriber]:
    query = select(Subscriber).order_by(col(Subscriber.id))
    if active_only:
        query = query.where(col(Subscriber.active).is_(True))
    if ids is not None:
        query = query.where(col(Subscriber.id).in_(list(ids)))
    with store.session() as session:
        return list(session.exec(query))


def update_subscriber(store: Store, subscriber_id: int, **changes: Any) -> Subscriber:
    unknown = set(changes) - {*EDITABLE, "active", "unsubscribed_at", "token_nonce", "calendar_key"}
    if unknown:
        raise ConfigError(f"cannot change {', '.join(sorted(unknown))} of a subscriber")
    with store.session() as session:
        row = session.get(Subscriber, subscriber_id)
        if row is None:
            raise ConfigError(f"no subscriber {subscriber_id}")
        for name, value in changes.items():
            setattr(row, name, value)
        session.add(row)
        session.commit()
        session.refresh(row)
    return row


def remove_subscriber(store: Store, subscriber_id: int) -> None:
    """Delete the subscriber with its ledger (cascade)."""
    with store.session() as session:
        row = session.get(Subscriber, subscriber_id)
        if row is None:
            raise ConfigError(f"no subscriber {subscriber_id}")
        session.delete(row)
        session.commit()


def following(store: Store, tag_id: str) -> list[Subscriber]:
    """Active subscribers whose filter names ``tag_id``."""
    return [s for s in list_subscribers(store, active_only=True)
            if tag_id in s.filters.get("tags", [])]  # fmt: skip


def owned(store: Store, owner_id: int) -> list[Subscriber]:
    """The destinations a subscriber's email row owns (a Slack webhook they chose)."""
    with store.session() as session:
        query = select(Subscriber).where(Subscriber.owner_id == owner_id)
        return list(session.exec(query.order_by(col(Subscriber.id))))


def by_calendar_key(store: Store, key: str) -> Subscriber | None:
    with store.session() as session:
        return session.exec(select(Subscriber).where(Subscriber.calendar_key == key)).first()


def announced_calls(store: Store, subscriber_id: int) -> list[int]:
    """The calls sent to a subscriber in a digest (new, changed or reminded), once each."""
    from monitor.store.tables import Announcement, Delivery

    with store.session() as session:
        query = (
            select(Announcement.call_id)
            .join(Delivery, col(Delivery.id) == Announcement.delivery_id)
            .where(Announcement.subscriber_id == subscriber_id, Delivery.status == "sent")
            .distinct()
        )
        return sorted(int(i) for i in session.exec(query))
