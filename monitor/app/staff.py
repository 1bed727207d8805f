"""Staff: the addresses that may use the staff pages, with a role, and their sign-in.

``curator``: sources, deliveries, notices and calls entered by hand; ``admin``: everything
(tags, the model, subscribers, users too). A member of staff signs in by a single-use link
sent to their address (no passwords); the answer to asking is the same for any address. A
session names the user and their nonce: ``sign_out_everywhere`` renews the nonce, which ends
every session at once; removing the user does too."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from monitor.app import audit
from monitor.app.context import App
from monitor.errors import ConfigError

if TYPE_CHECKING:
    from monitor.store.tables import StaffUser

logger = logging.getLogger(__name__)

ROLES = ("curator", "admin")
RANK = {"curator": 1, "admin": 2}
LINK_LIFETIME = timedelta(minutes=15)
PER_HOUR = 3  # sign-in links to one address in an hour (shared with subscribers' links)


@dataclass(frozen=True)
class Member:
    """A member of staff, as the faces see one."""

    id: int
    address: str
    role: str
    nonce: str
    created_at: datetime | None
    last_seen_at: datetime | None


def _member(row: StaffUser) -> Member:
    return Member(row.id or 0, row.address, row.role, row.nonce, row.created_at, row.last_seen_at)


def may(role: str, needed: str) -> bool:
    """Whether ``role`` may do what ``needed`` may (an admin may do a curator's work)."""
    return RANK.get(role, 0) >= RANK[needed]


def _role(role: str) -> str:
    if role not in ROLES:
        raise ConfigError(f"role {role!r} is not one of {', '.join(ROLES)}")
    return role


def add(app: App, address: str, role: str) -> Member:
    """Give ``address`` a role (a new user, or a new role for one already there)."""
    from monitor.app.subscriptions import checked_address
    from monitor.store import staff as staff_store

    address, role = checked_address(address), _role(role)
    store = app.store()
    known = staff_store.by_address(store, address)
    if known is not None:
        if known.role == role:
            return _member(known)
        row = staff_store.update(store, known.id or 0, role=role)
        audit.record(app, "user.role", f"user {address}", {"role": known.role}, {"role": role})
        return _member(row)
    row = staff_store.add(store, address, role, app.now())
    audit.record(app, "user.add", f"user {address}", {}, {"role": role})
    return _member(row)


def everyone(app: App) -> list[Member]:
    from monitor.store import staff as staff_store

    return [_member(row) for row in staff_store.list_users(app.store(create=False))]


def remove(app: App, address: str) -> Member:
    """Take away ``address``'s role; its sessions end. ConfigError if it has none."""
    from monitor.store import staff as staff_store

    store = app.store(create=False)
    row = staff_store.by_address(store, address.strip().lower())
    if row is None or row.id is None:
        raise ConfigError(f"{address!r} is not a member of staff",
                          hint="See `funding-monitor users list`.")  # fmt: skip
    staff_store.remove(store, row.id)
    audit.record(app, "user.remove", f"user {row.address}", {"role": row.role}, {})
    return _member(row)


def ask(app: App, address: str, *, base_url: str) -> None:
    """Send a sign-in link if ``address`` belongs to staff; the same (nothing) otherwise.
    ConfigError only for what is not an address."""
    from monitor.app.subscriptions import checked_address, send_link
    from monitor.store import email_links
    from monitor.store import staff as staff_store

    address = checked_address(address)
    store = app.store()
    now = app.now()
    if email_links.sent_since(store, address, now - timedelta(hours=1)) >= PER_HOUR:
        logger.warning("staff sign-in link not sent: %s links this hour already", PER_HOUR)
        return
    if staff_store.by_address(store, address) is None:
        logger.info("staff sign-in asked by an address that is not staff's; nothing sent")
        return
    token = email_links.make_link(store, "staff", address, now, LINK_LIFETIME)
    link = f"{(app.settings.public_url or base_url).rstrip('/')}/staff/sign-in?token={token}"
    send_link(app, "staff", link, address, "en", minutes=int(LINK_LIFETIME.total_seconds() // 60))


def valid(app: App, token: str) -> bool:
    from monitor.store import email_links

    return email_links.peek(app.store(), token[:100], "staff", app.now()) is not None


def sign_in(app: App, token: str) -> Member:
    """Spend a staff link: its user. ConfigError if spent, expired, or the role was taken."""
    from monitor.app.subscriptions import EXPIRED
    from monitor.store import email_links
    from monitor.store import staff as staff_store

    store = app.store()
    link = email_links.use(store, token[:100], "staff", app.now())
    row = staff_store.by_address(store, link.address) if link else None
    if row is None or row.id is None:
        raise EXPIRED
    row = staff_store.update(store, row.id, last_seen_at=app.now())
    logger.info("staff signed in user=%s role=%s", row.id, row.role)
    return _member(row)


def signed_in(app: App, user_id: int, nonce: str) -> Member | None:
    """The user a session names, while its nonce still holds."""
    from monitor.store import staff as staff_store

    row = staff_store.by_id(app.store(create=False), user_id)
    return _member(row) if row is not None and row.nonce == nonce else None


def sign_out_everywhere(app: App, user_id: int) -> None:
    import secrets

    from monitor.store import staff as staff_store

    row = staff_store.update(app.store(), user_id, nonce=secrets.token_hex(8))
    audit.record(app, "user.sign-out", f"user {row.address}", {}, {"sessions": "ended"})
