"""Staff users: add, find, change, remove."""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Any

from sqlmodel import col, select

from monitor.errors import ConfigError
from monitor.store.db import Store
from monitor.store.tables import StaffUser


def add(store: Store, address: str, role: str, now: datetime) -> StaffUser:
    row = StaffUser(address=address, role=role, nonce=secrets.token_hex(8), created_at=now)
    with store.session() as session:
        session.add(row)
        session.commit()
        session.refresh(row)
    return row


def by_address(store: Store, address: str) -> StaffUser | None:
    with store.session() as session:
        return session.exec(select(StaffUser).where(StaffUser.address == address)).first()


def by_id(store: Store, user_id: int) -> StaffUser | None:
    with store.session() as session:
        return session.get(StaffUser, user_id)


def list_users(store: Store) -> list[StaffUser]:
    with store.session() as session:
        return list(session.exec(select(StaffUser).order_by(col(StaffUser.address))))


def update(store: Store, user_id: int, **changes: Any) -> StaffUser:
    with store.session() as session:
        row = session.get(StaffUser, user_id)
        if row is None:
            raise ConfigError(f"no member of staff {user_id}")
        for name, value in changes.items():
            setattr(row, name, value)
        session.add(row)
        session.commit()
        session.refresh(row)
    return row


def remove(store: Store, user_id: int) -> None:
    with store.session() as session:
        row = session.get(StaffUser, user_id)
        if row is not None:
            session.delete(row)
            session.commit()
