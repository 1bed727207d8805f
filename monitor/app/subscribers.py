"""Subscribers as researchers and admins manage them: add (an address, a Slack channel or a
webhook), change their filters, pause, resume, remove, and their deliveries."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from monitor.app import audit
from monitor.app.context import App
from monitor.errors import ConfigError
from monitor.redaction import redact
from monitor.store import ledger, subscriber_data
from monitor.store import subscribers as subscriber_store
from monitor.store.tables import Delivery, Subscriber
from monitor.store.tags import tag_rows
from notifications.registry import destination

FILTERS = ("tags", "programmes", "places", "keywords")


@dataclass(frozen=True)
class Preferences:
    """What a subscriber wants; None (or empty) leaves a field as it is. A filter given
    replaces the old one; ``clear`` removes filters (``min_days`` for the days left)."""

    filters: dict[str, Sequence[str]] = field(default_factory=dict)  # name in FILTERS → values
    clear: Sequence[str] = ()
    min_days: int | None = None
    reminder_days: str | Sequence[int] | None = None  # "28,7" or [28, 7]
    frequency: str | None = None
    language: str | None = None
    name: str | None = None


def shown_address(row: Subscriber, *, kind: bool = True) -> str:
    """``kind address`` (or the address alone) with a webhook's secret part blanked."""
    address = subscriber_store.shown(row.kind, row.address)
    return f"{row.kind} {address}" if kind else address


def reminder_days(value: str | Sequence[int]) -> list[int]:
    """ "28,7" or [28, 7] → [28, 7]: each window 1 to 365 days, largest first."""
    try:
        parts = value.split(",") if isinstance(value, str) else list(value)
        days = sorted({int(str(p).strip()) for p in parts if str(p).strip()}, reverse=True)
    except ValueError:
        raise ConfigError(f"--reminder-days {value!r} is not a list of days like 28,7") from None
    if not days or any(d < 1 or d > 365 for d in days):
        raise ConfigError(f"--reminder-days {value!r}: each window is 1 to 365 days")
    return days


def _changes(app: App, old: dict[str, Any], wanted: Preferences) -> dict[str, Any]:
    filters = dict(old)
    for name, values in wanted.filters.items():
        if name not in FILTERS:
            raise ConfigError(f"unknown filter {name!r}; filters: {', '.join(FILTERS)}")
        if values:
            filters[name] = list(dict.fromkeys(v.strip() for v in values if v.strip()))
    for name in wanted.clear:
        filters.pop("min_days_left" if name == "min_days" else name, None)
    if wanted.min_days is not None:
        if wanted.min_days < 0:
            raise ConfigError("--min-days must be 0 or more")
        filters["min_days_left"] = wanted.min_days
    known = [row.id for row in tag_rows(app.store(), retired=False)]
    unknown = [t for t in filters.get("tags", []) if t not in known]
    if unknown:
        raise ConfigError(f"unknown tag {', '.join(unknown)}; tags in force: {', '.join(known)}",
                          hint="See `funding-monitor tags list`.")  # fmt: skip
    changes: dict[str, Any] = {"filters": filters}
    for name in ("frequency", "language", "name"):
        if getattr(wanted, name) is not None:
            changes[name] = getattr(wanted, name)
    if wanted.reminder_days:
        changes["reminder_days"] = reminder_days(wanted.reminder_days)
    return changes


def add(
    app: App, kind: str, address: str, wanted: Preferences, *, curator: bool = False
) -> Subscriber:
    """Add a subscriber; the address is checked by its destination kind first."""
    address = destination(kind).check(address)
    fields = _changes(app, {}, wanted)
    fields["role"] = "curator" if curator else "digest"
    row = subscriber_store.add_subscriber(app.store(), kind, address, **fields)
    audit.record(app, "subscriber.add", _target(row), {},
                 {"kind": kind, **fields})  # fmt: skip
    return row


def edit(
    app: App, ref: str | int, wanted: Preferences, *, active: bool | None = None
) -> Subscriber:
    """Change a subscriber's preferences; ``active`` pauses (False) or resumes (True)."""
    store = app.store(create=False)
    row = subscriber_store.get_subscriber(store, ref)
    assert row.id is not None
    changes = _changes(app, row.filters, wanted)
    if active is not None:
        changes["active"] = active
        changes["unsubscribed_at"] = None
    saved = subscriber_store.update_subscriber(store, row.id, **changes)
    before, after = audit.changed(
        {k: getattr(row, k) for k in changes if k != "unsubscribed_at"},
        {k: v for k, v in changes.items() if k != "unsubscribed_at"},
    )
    if before or after:
        verb = "edit" if set(after) - {"active"} else "resume" if active else "pause"
        audit.record(app, f"subscriber.{verb}", _target(row), before, after)
    return saved


def _target(row: Subscriber) -> str:
    """A subscriber as the audit log names it: by number and kind, never its address (the
    log outlives an erased subscriber)."""
    return f"subscriber {row.id} ({row.kind})"


def get(app: App, ref: str | int) -> Subscriber:
    """By id or address; ConfigError if unknown."""
    return subscriber_store.get_subscriber(app.store(create=False), ref)


def everyone(app: App) -> list[Subscriber]:
    return subscriber_store.list_subscribers(app.store(create=False))


def deliveries(app: App, row: Subscriber, limit: int = 20) -> list[Delivery]:
    """A subscriber's last deliveries, newest first."""
    return ledger.deliveries(app.store(create=False), row.id, limit=limit)


def remove(app: App, ref: str | int) -> Subscriber:
    """Delete a subscriber's data (GDPR erasure): its row and the destinations it owns, their
    ledger (deliveries, web copies, announcements) and email links; their feedback stays,
    unlinked from them. Returns the row as it was."""
    store = app.store(create=False)
    row = subscriber_store.get_subscriber(store, ref)
    assert row.id is not None
    held = subscriber_data.erase(store, row.id)
    audit.record(app, "subscriber.remove", _target(row), _counts(held), {})
    return row


def pause(app: App, ref: str | int) -> Subscriber:
    """Stop sending to a subscriber, keeping it (`subscribers edit S --pause`)."""
    return edit(app, ref, Preferences(), active=False)


def resume(app: App, ref: str | int) -> Subscriber:
    """Send to a paused (or unsubscribed) subscriber again (`subscribers edit S --resume`)."""
    return edit(app, ref, Preferences(), active=True)


@dataclass(frozen=True)
class Row:
    """A subscriber as the admins' pages show it: the address safe to show (a webhook's
    path blanked), ``state`` active, paused or unsubscribed, and when it was last sent
    something."""

    id: int
    kind: str
    address: str
    name: str
    role: str
    language: str
    frequency: str
    filters: dict[str, Any]
    reminder_days: list[int]
    state: str
    created_at: datetime | None
    last_sent_at: datetime | None
    owner_id: int | None

    @property
    def active(self) -> bool:
        return self.state == "active"


def _row(s: Subscriber, last: dict[int, datetime]) -> Row:
    state = "active" if s.active else "paused" if s.unsubscribed_at is None else "unsubscribed"
    return Row(s.id or 0, s.kind, shown_address(s, kind=False), s.name, s.role, s.language,
               s.frequency, dict(s.filters), list(s.reminder_days), state, s.created_at,
               last.get(s.id or 0), s.owner_id)  # fmt: skip


STATES = ("active", "paused", "unsubscribed")


@dataclass(frozen=True)
class Listing:
    rows: list[Row]
    total: int
    page: int
    pages: int


def listing(app: App, *, text: str = "", state: str = "", page: int = 1,
            per_page: int = 50) -> Listing:  # fmt: skip
    """Subscribers, oldest first, one page: those whose address as shown (never a webhook's
    secret path) or name holds ``text`` (any case), in ``state`` if given."""
    store = app.store(create=False)
    last = subscriber_data.last_sent(store)
    rows = [_row(s, last) for s in subscriber_store.list_subscribers(store)]
    wanted = text.strip().casefold()
    found = [r for r in rows if (not wanted or wanted in r.address.casefold()
                                 or wanted in r.name.casefold())
             and state in ("", r.state)]  # fmt: skip
    size, page = max(1, min(per_page, 500)), max(1, page)
    return Listing(found[(page - 1) * size : page * size], len(found), page,
                   max(1, -(-len(found) // size)))  # fmt: skip


@dataclass(frozen=True)
class Profile:
    """One subscriber, the destinations it owns (or its owner), and how many rows of each
    kind the store holds about it (what an erasure deletes)."""

    row: Row
    owned: list[Row]
    owner: Row | None
    held: dict[str, int]


def profile(app: App, subscriber_id: int) -> Profile:
    """ConfigError if there is no such subscriber."""
    store = app.store(create=False)
    held = subscriber_data.holdings(store, subscriber_id)
    ids = [subscriber_id, *(o.id or 0 for o in held.owned)]
    owner_id = held.subscriber.owner_id
    if owner_id:
        ids.append(owner_id)
    last = subscriber_data.last_sent(store, ids)
    owner = subscriber_store.get_subscriber(store, owner_id) if owner_id else None
    return Profile(_row(held.subscriber, last), [_row(o, last) for o in held.owned],
                   _row(owner, last) if owner else None, _counts(held))  # fmt: skip


def _counts(held: subscriber_data.Holdings) -> dict[str, int]:
    return {"destinations": len(held.owned), "deliveries": len(held.deliveries),
            "announcements": len(held.announcements), "feedback": len(held.feedback),
            "email_links": len(held.email_links)}  # fmt: skip


LEFT_OUT = (
    "a webhook URL's path (the secret that lets anyone post there): blanked",
    "the secrets of signed links (token nonce, calendar feed key) and the hashes of email "
    "links' tokens",
    "the web copies of digests sent (they hold the subscriber's signed links): only whether "
    "each has one",
)


def export_data(app: App, ref: str | int) -> dict[str, Any]:
    """Everything the store holds about a subscriber (GDPR access), as JSON-ready values:
    the row and the destinations it owns, their deliveries and announcements, their
    feedback, and the email links made for them (their metadata). No secret: ``left_out``
    says what is not given and why. ConfigError if there is no such subscriber."""
    store = app.store(create=False)
    row = subscriber_store.get_subscriber(store, ref)
    assert row.id is not None
    held = subscriber_data.holdings(store, row.id)
    audit.record(app, "subscriber.export", _target(row), {}, _counts(held))
    return {
        "exported_at": _iso(app.now()),
        "subscriber": _person(held.subscriber),
        "destinations": [_person(o) for o in held.owned],
        "deliveries": [{
            "id": d.id, "subscriber_id": d.subscriber_id, "kind": d.kind, "period": d.period,
            "status": d.status, "planned_at": _iso(d.planned_at), "since": _iso(d.since),
            "sent_at": _iso(d.sent_at), "calls": d.items, "attempts": d.attempts,
            "messages_sent": d.parts_sent, "message_id": d.message_id,
            "error": redact(d.error) if d.error else None,
            "notice": {k: v for k, v in d.payload.items() if k != "web"} if d.kind == "notice"
            else None, "web_copy": "web" in d.payload,
        } for d in held.deliveries],
        "announcements": [{"delivery_id": a.delivery_id, "call_id": a.call_id, "key": a.key,
                           "part": a.part} for a in held.announcements],
        "feedback": [{"id": f.id, "call_id": f.call_id, "kind": f.kind, "tag_id": f.tag_id,
                      "via": f.via, "at": _iso(f.at), "status": f.status}
                     for f in held.feedback],
        "email_links": [{"id": e.id, "kind": e.kind, "address": e.address,
                         "subscriber_id": e.subscriber_id, "asked_for": e.wanted,
                         "created_at": _iso(e.created_at), "expires_at": _iso(e.expires_at),
                         "used_at": _iso(e.used_at)} for e in held.email_links],
        "left_out": list(LEFT_OUT),
    }  # fmt: skip


def _person(s: Subscriber) -> dict[str, Any]:
    return {"id": s.id, "kind": s.kind, "address": shown_address(s, kind=False),
            "address_blanked": destination(s.kind).secret, "name": s.name, "role": s.role,
            "language": s.language, "frequency": s.frequency, "filters": s.filters,
            "reminder_days": s.reminder_days, "active": s.active,
            "created_at": _iso(s.created_at), "unsubscribed_at": _iso(s.unsubscribed_at),
            "owner_id": s.owner_id, "calendar_feed": bool(s.calendar_key)}  # fmt: skip


def _iso(at: datetime | None) -> str | None:
    return at.isoformat() if at else None
