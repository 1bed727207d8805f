"""Readers' feedback on calls, kept for the admins' review queue."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import col, select

from monitor.store.db import Store
from monitor.store.tables import Feedback

KINDS = ("wrong-tag", "not-relevant", "up", "down")


def add_feedback(
    store: Store,
    call_id: int,
    kind: str,
    at: datetime,
    *,
    tag_id: str | None = None,
    via: str = "web",
    subscriber_id: int | None = None,
) -> Feedback:
    """Record one word on a call. A subscriber saying the same again (a second click on 👍)
    updates the time of the first instead of adding a row; 👍 then 👎 keeps the last only."""
    with store.session() as session:
        if subscriber_id is not None:
            same = {"up": ("up", "down"), "down": ("up", "down")}.get(kind, (kind,))
            query = select(Feedback).where(
                Feedback.call_id == call_id, Feedback.subscriber_id == subscriber_id,
                col(Feedback.kind).in_(same), Feedback.status == "new",
                col(Feedback.tag_id).is_(None) if tag_id is None else Feedback.tag_id == tag_id,
            )  # fmt: skip
            earlier = session.exec(query).first()
            if earlier is not None:
                earlier.kind, earlier.at, earlier.via = kind, at, via
                session.add(earlier)
                session.flush()
                session.refresh(earlier)
                return earlier
        row = Feedback(call_id=call_id, kind=kind, tag_id=tag_id, via=via,
                       subscriber_id=subscriber_id, at=at)  # fmt: skip
        session.add(row)
        session.flush()
        session.refresh(row)
        return row


def list_feedback(store: Store, *, status: str | None = "new", call_id: int | None = None,
                  limit: int = 500) -> list[Feedback]:  # fmt: skip
    """Feedback, newest first."""
    with store.session() as session:
        query = select(Feedback).order_by(col(Feedback.at).desc(), col(Feedback.id).desc())
        if status:
            query = query.where(Feedback.status == status)
        if call_id is not None:
            query = query.where(Feedback.call_id == call_id)
        return list(session.exec(query.limit(limit)))
