"""Single-use email links: made with a random token (only its SHA-256 is stored), used once
before they expire, counted per address for the sending limit."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, update
from sqlmodel import col, select

from monitor.store.db import Store
from monitor.store.tables import EmailLink


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "replace")).hexdigest()


def make_link(
    store: Store,
    kind: str,
    address: str,
    now: datetime,
    lifetime: timedelta,
    *,
    subscriber_id: int | None = None,
    wanted: dict[str, Any] | None = None,
) -> str:
    """A new link's token (to put in the email; never stored as such)."""
    token = secrets.token_urlsafe(32)
    with store.session() as session:
        session.add(EmailLink(token_hash=_hash(token), kind=kind, address=address,
                              subscriber_id=subscriber_id, wanted=wanted or {},
                              created_at=now, expires_at=now + lifetime))  # fmt: skip
    return token


def sent_since(store: Store, address: str, since: datetime) -> int:
    """Links made for ``address`` since then (any kind)."""
    with store.session() as session:
        query = select(func.count(col(EmailLink.id))).where(
            EmailLink.address == address, col(EmailLink.created_at) >= since
        )
        return int(session.exec(query).one())


def peek(store: Store, token: str, kind: str, now: datetime) -> EmailLink | None:
    """The link of ``token`` if it is of ``kind``, unused and not expired (nothing changes)."""
    with store.session() as session:
        row = session.exec(select(EmailLink).where(EmailLink.token_hash == _hash(token))).first()
    if row is None or row.kind != kind or row.used_at is not None:
        return None
    return row if row.expires_at is not None and row.expires_at > now else None


def use(store: Store, token: str, kind: str, now: datetime) -> EmailLink | None:
    """Spend the link: the row if this call used it (exactly one caller can), else None."""
    with store.session() as session:
        spent = session.execute(
            update(EmailLink)
            .where(col(EmailLink.token_hash) == _hash(token), col(EmailLink.kind) == kind,
                   col(EmailLink.used_at).is_(None), col(EmailLink.expires_at) > now)
            .values(used_at=now)
        )  # fmt: skip
        if getattr(spent, "rowcount", 0) != 1:
            return None
        return session.exec(select(EmailLink).where(EmailLink.token_hash == _hash(token))).one()
