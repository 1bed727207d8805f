"""Readers' feedback on calls, kept for the admins' review queue."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, update
from sqlmodel import col, select

from monitor.store.db import Store
from monitor.store.tables import Feedback

KINDS = ("wrong-tag", "not-relevant", "up", "down")
DOUBTED = ("down", "not-relevant")  # feedback that puts its call first in the review queue


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


def get_feedback(store: Store, feedback_id: int) -> Feedback | None:
    with store.session() as session:
        return session.get(Feedback, feedback_id)


def set_status(store: Store, feedback_id: int, status: str, *, was: str = "new") -> bool:
    """Mark one piece of feedback ``status`` (accepted, dismissed) if it is still ``was``, in
    one statement (two admins deciding at once: one of them does); False when it was not."""
    query = (update(Feedback).where(col(Feedback.id) == feedback_id, col(Feedback.status) == was)
             .values(status=status))  # fmt: skip
    with store.session() as session:
        return bool(session.execute(query).rowcount)  # type: ignore[attr-defined]


def calls_said(store: Store, kinds: tuple[str, ...], *, status: str = "new") -> list[int]:
    """The calls with feedback of these kinds still ``status``, the latest said first."""
    last = func.max(Feedback.at)
    query = (select(Feedback.call_id, last)
             .where(col(Feedback.kind).in_(kinds), Feedback.status == status)
             .group_by(col(Feedback.call_id))
             .order_by(last.desc(), col(Feedback.call_id)))  # fmt: skip
    with store.session() as session:
        return [int(call_id) for call_id, _ in session.execute(query)]
