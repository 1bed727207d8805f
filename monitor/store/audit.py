"""The audit log: changes made by staff, kept in the store and read newest first."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import col, select

from monitor.store.db import Store
from monitor.store.tables import AuditEvent


def add_event(store: Store, at: datetime, actor: str, action: str, target: str,
              before: dict[str, Any], after: dict[str, Any]) -> AuditEvent:  # fmt: skip
    row = AuditEvent(at=at, actor=actor[:320], action=action[:60], target=target[:300],
                     before=before, after=after)  # fmt: skip
    with store.session() as session:
        session.add(row)
        session.commit()
        session.refresh(row)
    return row


def list_events(
    store: Store,
    *,
    actor: str | None = None,
    action: str | None = None,
    older_than: int | None = None,
    limit: int = 100,
) -> list[AuditEvent]:
    """Newest first; ``action`` matches a whole action ("source.edit") or its prefix
    ("source"); ``older_than`` an event id (the next page)."""
    query = select(AuditEvent).order_by(col(AuditEvent.id).desc()).limit(limit)
    if actor:
        query = query.where(AuditEvent.actor == actor)
    if action:
        query = query.where(
            (col(AuditEvent.action) == action) | col(AuditEvent.action).startswith(f"{action}.")
        )
    if older_than is not None:
        query = query.where(col(AuditEvent.id) < older_than)
    with store.session() as session:
        return list(session.exec(query))
