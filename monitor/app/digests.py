"""Digests as admins run them: what is due, a subscriber's next digest rendered without
sending it, sending what is due, and honouring an unsubscribe token; and as a subscriber reads
them on the web: the digests they were sent, and each one's web copy."""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from monitor.app.context import App
from monitor.digests.planning import plan_digests, preview
from monitor.digests.sending import SendReport, message_id, send_due
from monitor.digests.tokens import honour
from monitor.digests.web_copies import SentDigest, copy_of, sent_digests
from monitor.errors import ConfigError
from monitor.store import ledger
from monitor.store.leader import leading
from monitor.store.tables import Delivery, Subscriber
from notifications import mail, slack, teams


def render(app: App, row: Subscriber, now: datetime, fmt: str) -> str | None:
    """A subscriber's next digest in one format (html, text, Slack or Teams JSON, eml), or None when
    nothing is due; nothing is written."""
    if fmt == "eml" and row.kind != "email":
        raise ConfigError("--format eml is for email subscribers; use slack for Slack ones")
    settings = app.settings
    digest = preview(app.store(create=False), settings, row, now)
    if digest is None:
        return None
    if fmt == "html":
        return mail.render_html(digest)
    if fmt == "text":
        return mail.render_text(digest)
    if fmt == "slack":
        messages = slack.render_digest(digest)
        return json.dumps([{"text": m.text, "blocks": list(m.blocks)} for m in messages],
                          ensure_ascii=False, indent=2)  # fmt: skip
    if fmt == "teams":
        cards = teams.render_digest(digest)
        return json.dumps([card.payload() for card in cards], ensure_ascii=False, indent=2)
    fake = Delivery(id=0, subscriber_id=row.id or 0, period=digest.period)
    message = mail.digest_message(digest, sender=settings.mail_from, recipient=row.address,
                                  message_id=message_id(settings, fake), date=now)  # fmt: skip
    return message.as_string()


@dataclass(frozen=True)
class Due:
    subscriber: Subscriber
    period: str
    calls: int


@dataclass(frozen=True)
class Plan:
    due: list[Due]
    pending: int  # deliveries left pending by earlier runs


def due(app: App, now: datetime, *, force: bool = False, only: Subscriber | None = None) -> Plan:
    """What a send would do now (``force``: every digest due), writing nothing."""
    store = app.store(create=False)
    plans = plan_digests(store, app.settings, now, force=force, only=only, write=False)
    pending = ledger.pending(store, subscriber_id=only.id if only else None)
    return Plan([Due(p.subscriber, p.period.key, len(p.entries)) for p in plans], len(pending))


def send(
    app: App, now: datetime, *, force: bool = False, only: Subscriber | None = None
) -> SendReport:
    """Plan and send every due digest and curators' notice, holding the leader lock so that
    it never runs beside a `serve` sending from the same ledger."""
    store = app.store(create=False)
    with leading(store):
        return send_due(store, app.settings, now, force=force, subscriber=only)


def unsubscribe(app: App, token: str) -> tuple[Subscriber | None, bool]:
    """Honour a token (or a whole link): (the subscriber or None if removed, whether this
    call unsubscribed it)."""
    return honour(app.store(create=False), app.settings, token)


def _own(app: App, subscriber_id: int) -> list[int]:
    """The subscriber and the destinations it owns (its Slack webhook)."""
    from monitor.store.subscribers import owned

    return [subscriber_id, *(r.id for r in owned(app.store(create=False), subscriber_id) if r.id)]


def sent(app: App, subscriber_id: int) -> list[SentDigest]:
    """The digests sent to the subscriber, by any of its channels (delivery id, period,
    sent_at, calls, whether its web copy is still kept), newest first; digests only, never
    notices; [] for an unknown subscriber."""
    store = app.store(create=False)
    cut = app.now() - timedelta(days=app.settings.web_copy_days)
    found = [replace(d, kept=d.sent_at >= cut)
             for one in _own(app, subscriber_id) for d in sent_digests(store, one)]  # fmt: skip
    return sorted(found, key=lambda d: (d.sent_at, d.id), reverse=True)


def web_copy(app: App, subscriber_id: int, delivery_id: int) -> str | None:
    """The HTML of the subscriber's digest ``delivery_id`` as it was sent (the email's HTML,
    whatever the channel), or None when that delivery is not the digest of this subscriber
    (or of a destination it owns), was not sent, or has no copy."""
    store = app.store(create=False)
    for one in _own(app, subscriber_id):
        if (copy := copy_of(store, one, delivery_id)) is not None:
            return copy
    return None
