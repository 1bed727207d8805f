"""Subscribers as researchers and admins manage them: add (an address, a Slack channel or a
webhook), change their filters, pause, resume, remove, and their deliveries."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from monitor.app.context import App
from monitor.errors import ConfigError
from monitor.store import ledger
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
    return subscriber_store.add_subscriber(app.store(), kind, address, **fields)


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
    return subscriber_store.update_subscriber(store, row.id, **changes)


def get(app: App, ref: str | int) -> Subscriber:
    """By id or address; ConfigError if unknown."""
    return subscriber_store.get_subscriber(app.store(create=False), ref)


def everyone(app: App) -> list[Subscriber]:
    return subscriber_store.list_subscribers(app.store(create=False))


def deliveries(app: App, row: Subscriber, limit: int = 20) -> list[Delivery]:
    """A subscriber's last deliveries, newest first."""
    return ledger.deliveries(app.store(create=False), row.id, limit=limit)


def remove(app: App, ref: str | int) -> Subscriber:
    """Delete a subscriber and its ledger; returns the row as it was."""
    store = app.store(create=False)
    row = subscriber_store.get_subscriber(store, ref)
    assert row.id is not None
    subscriber_store.remove_subscriber(store, row.id)
    return row
