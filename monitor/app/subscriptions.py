"""Researchers subscribing themselves, by email and without a password: an address asks, a
single-use link arrives (a confirmation for a new subscription, double opt-in; a sign-in link
for a known one), and opening it leads to one's preferences.

The answer to asking is the same whether or not an address is known (no one learns who is
subscribed), and at most ``PER_HOUR`` links go to one address in an hour; what happened is in
the log. A link works once, until it expires."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from monitor.app import subscribers
from monitor.app.context import App
from monitor.errors import ConfigError
from monitor.redaction import redact
from monitor.store import email_links
from monitor.store import subscribers as subscriber_store
from monitor.store.tables import Subscriber
from notifications.errors import DeliveryError
from notifications.registry import destination

logger = logging.getLogger(__name__)

PER_HOUR = 3  # links to one address in an hour
LIFETIME = {"confirm": timedelta(hours=48), "sign-in": timedelta(hours=1)}
PAGE = {"confirm": "/confirm", "sign-in": "/sign-in"}
EXPIRED = ConfigError("this link does not work any more: it was used already, or it expired",
                      hint="Ask for a new one on the subscribe page.")  # fmt: skip


def checked_address(address: str) -> str:
    """The address, normalised (lower case: one person, however they type it); ConfigError
    saying what is wrong with it."""
    try:
        return destination("email").check(address.strip()[:320]).lower()
    except DeliveryError as exc:
        raise ConfigError(str(exc)) from None


def ask(app: App, address: str, *, base_url: str, language: str = "en",
        wanted: Mapping[str, Sequence[str]] | None = None) -> str:  # fmt: skip
    """Send ``address`` its link: a sign-in link if it is subscribed, else a confirmation of a
    new subscription with ``wanted`` filters. Returns the normalised address; raises only for
    an address that is not one (the same answer otherwise, sent or not)."""
    address = checked_address(address)
    store = app.store()
    now = app.now()
    if email_links.sent_since(store, address, now - timedelta(hours=1)) >= PER_HOUR:
        logger.warning("subscription link not sent: %s links this hour already", PER_HOUR)
        return address
    known = _subscriber(app, address)
    subscribed = known is not None and any(r.active for r in destinations(app, known))
    kind = "sign-in" if subscribed else "confirm"
    token = email_links.make_link(
        store, kind, address, now, LIFETIME[kind],
        subscriber_id=known.id if known else None,
        wanted={"filters": {k: list(v) for k, v in (wanted or {}).items()},
                "language": language},
    )  # fmt: skip
    link = f"{(app.settings.public_url or base_url).rstrip('/')}{PAGE[kind]}?token={token}"
    hours = int(LIFETIME[kind].total_seconds() // 3600)
    send_link(app, kind, link, address, language if known is None else known.language,
              hours=hours)  # fmt: skip
    return address


def _subscriber(app: App, address: str) -> Subscriber | None:
    try:
        row = subscriber_store.get_subscriber(app.store(), address)
    except ConfigError:
        return None
    return row if row.kind == "email" else None


def send_link(app: App, kind: str, link: str, address: str, language: str, *, hours: int = 0,
              minutes: int = 0) -> None:  # fmt: skip
    """Email a single-use link (``confirm``, ``sign-in`` or ``staff``); a refusal is logged,
    never shown (the page says the same whether or not it went)."""
    from notifications.channel import Clients
    from notifications.sign_in import link_message
    from notifications.smtp import open_sender

    message = link_message(kind, link, language=language if language in ("en", "sv") else "en",
                           sender=app.settings.mail_from, to=address, hours=hours,
                           minutes=minutes)  # fmt: skip
    try:
        with open_sender(app.settings, Clients()) as sender:
            sender.deliver(address, message)
    except DeliveryError as exc:  # the page says the same; the operator reads why here
        logger.error("subscription link not sent kind=%s: %s", kind, redact(str(exc)))
    else:
        logger.info("subscription link sent kind=%s", kind)


def valid(app: App, kind: str, token: str) -> bool:
    """Whether a link still works (nothing changes: a mail scanner's GET spends nothing)."""
    return email_links.peek(app.store(), token[:100], kind, app.now()) is not None


def confirm(app: App, token: str) -> Subscriber:
    """Spend a confirmation link: the new (or renewed) subscription. ConfigError if spent or
    expired."""
    link = email_links.use(app.store(), token[:100], "confirm", app.now())
    if link is None:
        raise EXPIRED
    wanted: dict[str, Any] = link.wanted or {}
    language = wanted.get("language") if wanted.get("language") in ("en", "sv") else "en"
    filters: dict[str, Sequence[str]] = {
        str(k): [str(x) for x in v] for k, v in (wanted.get("filters") or {}).items()
        if k in subscribers.FILTERS and isinstance(v, list)
    }  # fmt: skip
    preferences = subscribers.Preferences(filters=filters, language=language)
    known = _subscriber(app, link.address)
    if known is not None:  # unsubscribed earlier, or asked twice: this subscription, again
        row = subscribers.edit(app, known.id or 0, preferences, active=True)
    else:
        row = subscribers.add(app, "email", link.address, preferences)
    logger.info("subscription confirmed subscriber=%s", row.id)
    return row


def sign_in(app: App, token: str) -> Subscriber:
    """Spend a sign-in link: its subscriber. ConfigError if spent, expired or gone."""
    link = email_links.use(app.store(), token[:100], "sign-in", app.now())
    if link is None:
        raise EXPIRED
    known = _subscriber(app, link.address)
    if known is None:
        raise EXPIRED
    return known


def signed_in(app: App, subscriber_id: int, nonce: str) -> Subscriber | None:
    """The subscriber a session names, while its nonce (its sign-in) still holds."""
    try:
        row = subscriber_store.get_subscriber(app.store(create=False), subscriber_id)
    except ConfigError:
        return None
    return row if row.token_nonce == nonce and row.kind == "email" else None


def from_link(app: App, token: str) -> Subscriber:
    """The subscriber of a digest's link to their pages (the email row that owns the Slack
    webhook a Slack digest went to); ConfigError if it is not valid."""
    from monitor.digests.tokens import subscriber_of

    store = app.store(create=False)
    row = subscriber_of(store, app.settings, token[:300])
    return subscriber_store.get_subscriber(store, row.owner_id) if row.owner_id else row


def destinations(app: App, row: Subscriber) -> list[Subscriber]:
    """Where a subscriber's digests may go: their email row, then the destinations it owns."""
    return [row, *subscriber_store.owned(app.store(create=False), row.id or 0)]


@dataclass(frozen=True)
class Channel:
    """How a subscriber receives their digests: ``email``, or ``slack`` through their own
    incoming webhook (``webhook``: its address as safe to show, the secret path blanked)."""

    kind: str
    webhook: str = ""


def channel(app: App, row: Subscriber) -> Channel:
    hooks = [r for r in destinations(app, row)[1:] if r.kind == "slack-webhook"]
    shown = subscriber_store.shown(hooks[0].kind, hooks[0].address) if hooks else ""
    return Channel("slack" if any(r.active for r in hooks) else "email", shown)


def save(app: App, subscriber_id: int, wanted: subscribers.Preferences, *,
         via: str = "email", webhook: str = "") -> Subscriber:  # fmt: skip
    """New preferences (the filters given replace the old; an empty one is cleared), for the
    email row and every destination it owns, and the channel: ``email``, or ``slack`` through
    ``webhook`` (a new webhook is checked by posting a message there first; none given keeps
    the one set before). ConfigError saying what is wrong; nothing is saved then."""
    cleared = [name for name in subscribers.FILTERS if not wanted.filters.get(name)]
    if wanted.min_days in (None, 0):
        cleared.append("min_days")
    change = subscribers.Preferences(
        filters={k: v for k, v in wanted.filters.items() if v}, clear=cleared,
        min_days=wanted.min_days or None, frequency=wanted.frequency, language=wanted.language,
    )  # fmt: skip
    row = subscriber_store.get_subscriber(app.store(create=False), subscriber_id)
    hook = next((r for r in destinations(app, row)[1:] if r.kind == "slack-webhook"), None)
    if via == "slack":
        if webhook.strip():
            hook = _connect(app, row, hook, webhook.strip(), wanted.language or row.language)
        elif hook is None:
            raise ConfigError("paste the address of a Slack incoming webhook to get your "
                              "digests in Slack")  # fmt: skip
    elif via != "email":
        raise ConfigError("choose email or Slack")
    keep = hook.id if via == "slack" and hook is not None else None
    for other in destinations(app, row)[1:]:  # the same preferences; only the chosen one on
        subscribers.edit(app, other.id or 0, change, active=other.id == keep)
    saved = subscribers.edit(app, subscriber_id, change, active=via == "email")
    logger.info("preferences saved subscriber=%s via=%s", subscriber_id, via)
    return saved


def _connect(app: App, row: Subscriber, hook: Subscriber | None, url: str,
             language: str) -> Subscriber:  # fmt: skip
    """The subscriber's webhook row for ``url``, once Slack took a message posted there."""
    from monitor import redaction
    from notifications.slack import (
        check_webhook_host,
        connected_message,
        post_webhook,
        webhook_client,
        webhook_secrets,
    )

    hosts = app.settings.slack_webhook_hosts.split(",")
    try:
        url = check_webhook_host(url[:500], hosts)
    except DeliveryError as exc:
        raise ConfigError(str(exc)) from None
    redaction.remember(*webhook_secrets(url))
    if hook is not None and hook.address == url:
        return hook
    try:
        post_webhook(webhook_client(url, retries=1, timeout=10), connected_message(language))
    except DeliveryError as exc:
        raise ConfigError(f"Slack did not take a message at this webhook, so nothing was saved: "
                          f"{redact(str(exc))}") from None  # fmt: skip
    if hook is not None:
        return subscriber_store.update_subscriber(app.store(), hook.id or 0, address=url)
    return subscriber_store.add_subscriber(
        app.store(), "slack-webhook", url, owner_id=row.id, filters=row.filters,
        language=language, frequency=row.frequency, reminder_days=row.reminder_days,
        active=False,
    )  # fmt: skip


def leave(app: App, subscriber_id: int) -> Subscriber:
    """Unsubscribe from the preferences page, from every channel (this browser is signed
    out by the face)."""
    from datetime import UTC, datetime

    # The nonce stays: the unsubscribe links of sent digests keep saying "already unsubscribed".
    store = app.store(create=False)
    row = subscriber_store.get_subscriber(store, subscriber_id)
    for other in destinations(app, row)[1:]:
        subscriber_store.update_subscriber(store, other.id or 0, active=False,
                                           unsubscribed_at=datetime.now(UTC))  # fmt: skip
    row = subscriber_store.update_subscriber(
        store, subscriber_id, active=False, unsubscribed_at=datetime.now(UTC)
    )
    logger.info("unsubscribed subscriber=%s via=preferences", row.id)
    return row


def calendar_key(app: App, subscriber_id: int, *, renew: bool = False) -> str:
    """The secret of the subscriber's calendar feed URL (made on first ask; ``renew``: a new
    one, and the old URL stops working)."""
    import secrets

    row = subscriber_store.get_subscriber(app.store(create=False), subscriber_id)
    if row.calendar_key and not renew:
        return row.calendar_key
    key = secrets.token_urlsafe(32)
    subscriber_store.update_subscriber(app.store(), subscriber_id, calendar_key=key)
    return key


def calendar(app: App, key: str, *, domain: str = "funding-monitor") -> bytes:
    """The calendar feed of a key: the upcoming deadlines of every call sent to its
    subscriber in a digest. ConfigError for a key that is not (or no longer) one."""
    from monitor.app import search
    from monitor.app.calls import show, upcoming
    from notifications.ics import calls_calendar

    store = app.store(create=False)
    row = subscriber_store.by_calendar_key(store, key[:64]) if len(key) >= 32 else None
    if row is None or row.id is None:
        raise ConfigError("no calendar at this address (it may have been renewed)")
    now = app.now()
    entries = []
    announced = {c for r in destinations(app, row) for c in subscriber_store.announced_calls(
        store, r.id or 0)}  # fmt: skip
    for call_id in sorted(announced):
        indexed = search.known(app, call_id)  # the web face's index, else the store
        try:
            call = indexed.call if indexed else show(app, call_id, now=now)
        except ConfigError:
            continue  # removed since
        if dates := upcoming(call, now):
            entries.append((call.id, call.title, call.identifier, call.url, dates))
    return calls_calendar(entries, now, row.language if row.language in ("en", "sv") else "en",
                          domain)  # fmt: skip
