"""Signed subscriber tokens (itsdangerous): the subscriber's id and nonce, signed with
FUNDING_MONITOR_SECRET_KEY, one salt per use: unsubscribe links, and the links of a digest to
the subscriber's own pages (preferences, the web copy of a digest, 👍/👎 on a call).
Rotating a subscriber's nonce revokes every token it had."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import lru_cache

from itsdangerous import BadData, URLSafeSerializer

from monitor.config import Settings
from monitor.errors import ConfigError
from monitor.store import subscribers as subscriber_store
from monitor.store.db import Store
from monitor.store.tables import Subscriber

SALT = "funding-monitor/unsubscribe"
PAGES_SALT = "funding-monitor/subscriber-pages"


def _serializer(settings: Settings, salt: str = SALT) -> URLSafeSerializer | None:
    key = settings.secret_key.get_secret_value()
    return URLSafeSerializer(key, salt=salt) if key else None


def token_for(settings: Settings, subscriber: Subscriber, salt: str = SALT) -> str | None:
    """The subscriber's unsubscribe token (or, by ``salt``, another use's), or None when no
    secret key is set."""
    key = settings.secret_key.get_secret_value()
    if not key:
        return None
    return _signed(key, salt, subscriber.id, subscriber.token_nonce)


# A digest carries one subscriber's token in every 👍/👎 link (two per call): signing it once
# per subscriber, not per link, halved the rendering time of bench/digest.py's digests. The
# same key, salt, id and nonce always sign to the same token (no timestamp).
@lru_cache(maxsize=1024)
def _signed(key: str, salt: str, subscriber_id: int | None, nonce: str) -> str:
    return str(URLSafeSerializer(key, salt=salt).dumps([subscriber_id, nonce]))


def page_url(settings: Settings, subscriber: Subscriber, path: str, **query: object) -> str:
    """PUBLIC_URL + ``path`` with the subscriber's pages token (and ``query``), e.g.
    ``page_url(s, sub, "/preferences")``, ``page_url(s, sub, "/feedback", call=12, vote="up")``;
    "" when PUBLIC_URL or SECRET_KEY is not set (the digest then leaves the link out)."""
    from urllib.parse import urlencode

    token = token_for(settings, subscriber, PAGES_SALT)
    if not token or not settings.public_url:
        return ""
    return f"{settings.public_url.rstrip('/')}{path}?{urlencode({'token': token, **query})}"


def subscriber_of(store: Store, settings: Settings, token: str) -> Subscriber:
    """The subscriber whose pages token this is; ConfigError when it is not one we signed,
    was revoked, or its subscriber is gone."""
    subscriber_id, nonce = read_token(settings, token, PAGES_SALT)
    try:
        row = subscriber_store.get_subscriber(store, subscriber_id)
    except ConfigError:
        raise ConfigError("this link's subscription no longer exists") from None
    if row.token_nonce != nonce:
        raise ConfigError("this link was revoked: ask for a new one")
    return row


def unsubscribe_url(settings: Settings, subscriber: Subscriber) -> str:
    """PUBLIC_URL/unsubscribe?token=…, or "" when PUBLIC_URL or SECRET_KEY is not set."""
    token = token_for(settings, subscriber)
    if not token or not settings.public_url:
        return ""
    return f"{settings.public_url.rstrip('/')}/unsubscribe?token={token}"


def read_token(settings: Settings, token: str, salt: str = SALT) -> tuple[int, str]:
    """(subscriber id, nonce) from a token; ConfigError if it is not one we signed."""
    serializer = _serializer(settings, salt)
    if serializer is None:
        raise ConfigError("no FUNDING_MONITOR_SECRET_KEY is set, so no token can be checked")
    token = token.strip().rpartition("token=")[2]  # a whole link is accepted too
    try:
        value = serializer.loads(token)
    except BadData:
        raise ConfigError(
            f"this {'unsubscribe ' if salt == SALT else ''}token is not valid (altered, "
            "truncated, or signed with another key)",
            hint="Copy the whole link from the email; or remove the subscriber with "
            "`funding-monitor subscribers remove`.",
        ) from None
    if not (isinstance(value, list) and len(value) == 2 and isinstance(value[0], int)):
        raise ConfigError("this unsubscribe token has an unexpected content")
    return value[0], str(value[1])


def honour(store: Store, settings: Settings, token: str) -> tuple[Subscriber | None, bool]:
    """Unsubscribe the token's subscriber: (the subscriber, or None if it was removed; True if
    this call unsubscribed it, False if it already was). ConfigError for a bad token."""
    subscriber_id, nonce = read_token(settings, token)
    try:
        row = subscriber_store.get_subscriber(store, subscriber_id)
    except ConfigError:
        return None, False
    if row.token_nonce != nonce:
        raise ConfigError("this unsubscribe token was revoked (the subscriber was re-keyed)")
    if not row.active and row.unsubscribed_at is not None:
        return row, False
    row = subscriber_store.update_subscriber(store, subscriber_id, active=False,
                                             unsubscribed_at=datetime.now(UTC))  # fmt: skip
    return row, True
