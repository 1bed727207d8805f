"""Sending what the ledger holds: every pending delivery through its channel, each marked in
the ledger right after its transport took it.

Exactly once: a delivery and its announcements are written before anything is sent; a sent
delivery is marked in its own commit the moment the SMTP server or Slack accepted it (for a
digest split over several Slack messages, after each message). A crash or an outage leaves the
rest pending, and the next run sends only that. The one window left is a crash between the
server's acceptance and that commit (milliseconds): the message is then sent again, with the
same Message-ID, which mail systems use to recognise a repeat.
"""

from __future__ import annotations

import logging
import queue
import re
import ssl
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from slack_sdk import WebClient
from slack_sdk.webhook import WebhookClient

from monitor.config import Settings
from monitor.digests import Taxonomy, digest_of, entries_of, materials, plan_digests
from monitor.notices import plan_notices
from monitor.store import ledger
from monitor.store.db import Store
from monitor.store.subscribers import list_subscribers
from monitor.store.tables import Delivery, Subscriber, utc
from notifications import mail, slack
from notifications.digest import Digest, Notice
from notifications.errors import DeliveryError, TransportError
from notifications.registry import destination
from notifications.smtp import SmtpConfig, SmtpSender

logger = logging.getLogger(__name__)


@dataclass
class SendReport:
    sent: int = 0
    messages: int = 0
    failed: int = 0  # refused for good
    deferred: int = 0  # left pending for the next run
    errors: list[str] = field(default_factory=list)


class Outbox:
    """The transports of one run, each opened on first use and closed by ``close``. Clients can
    be handed in (tests, benchmarks); otherwise they are built from the settings."""

    def __init__(
        self,
        settings: Settings,
        *,
        tls: ssl.SSLContext | None = None,
        slack_client: WebClient | None = None,
    ) -> None:
        self.settings = settings
        self._tls = tls
        self._local = threading.local()  # one SMTP connection per sending thread
        self._senders: list[SmtpSender] = []
        self._lock = threading.Lock()
        self._slack = slack_client
        self._webhooks: dict[str, WebhookClient] = {}
        self.down: dict[str, str] = {}  # transport -> why: the rest of the run skips it

    def smtp(self) -> SmtpSender:
        """This thread's SMTP connection (opened on first use, reused for every message)."""
        sender: SmtpSender | None = getattr(self._local, "smtp", None)
        if sender is None:
            s = self.settings
            config = SmtpConfig(host=s.smtp_host, port=s.smtp_port, security=s.smtp_security,
                                username=s.smtp_username,
                                password=s.smtp_password.get_secret_value(),
                                timeout=s.http_timeout, tls=self._tls)  # fmt: skip
            sender = self._local.smtp = SmtpSender(config)
            with self._lock:
                self._senders.append(sender)
        return sender

    def slack(self) -> WebClient:
        if self._slack is None:
            token = self.settings.slack_token.get_secret_value()
            if not token:
                raise TransportError("no Slack token is set", channel="slack",
                                     hint="Set FUNDING_MONITOR_SLACK_TOKEN to a bot token "
                                     "with chat:write.")  # fmt: skip
            self._slack = slack.web_client(token, self.settings.slack_base_url)
        return self._slack

    def webhook(self, url: str) -> WebhookClient:
        if url not in self._webhooks:
            self._webhooks[url] = slack.webhook_client(url)
        return self._webhooks[url]

    def close(self) -> None:
        with self._lock:
            senders, self._senders = self._senders, []
        for sender in senders:
            sender.close()
        self._local = threading.local()


def transport(subscriber: Subscriber) -> str:
    """Deliveries through one transport share its fate within a run."""
    if subscriber.kind == "slack-webhook":
        return f"webhook {subscriber.id}"
    return "smtp" if subscriber.kind == "email" else "slack"


def message_id(settings: Settings, delivery: Delivery) -> str:
    """Stable per delivery: a resend after a crash carries the same Message-ID."""
    domain = settings.mail_from.rpartition("@")[2].strip("<> ") or "localhost"
    period = re.sub(r"[^A-Za-z0-9.-]", "-", delivery.period)
    return f"<fm.{delivery.kind}.{delivery.id}.{period}@{domain}>"


def deliver(
    outbox: Outbox,
    subscriber: Subscriber,
    delivery: Delivery,
    content: Digest | Notice,
    now: datetime,
    on_part: Callable[[int], None],
) -> tuple[int, str | None]:
    """Send ``content``; returns (messages posted in all, Message-ID or None). Slack messages
    already posted for this delivery (``parts_sent``) are not posted again."""
    if destination(subscriber.kind).channel == mail.CHANNEL:
        mid = message_id(outbox.settings, delivery)
        sender, recipient = outbox.settings.mail_from, subscriber.address
        if isinstance(content, Digest):
            message = mail.digest_message(content, sender=sender, recipient=recipient,
                                          message_id=mid, date=now)  # fmt: skip
        else:
            message = mail.notice_message(content, sender=sender, recipient=recipient,
                                          message_id=mid, date=now)  # fmt: skip
        outbox.smtp().send(message)
        return 1, mid
    messages = (slack.render_digest(content) if isinstance(content, Digest)
                else slack.render_notice(content))  # fmt: skip
    for number in range(delivery.parts_sent, len(messages)):
        if subscriber.kind == "slack-channel":
            slack.post(outbox.slack(), subscriber.address, messages[number])
        else:
            slack.post_webhook(outbox.webhook(subscriber.address), messages[number])
        on_part(number + 1)
    return len(messages), None


def notice_of(delivery: Delivery, subscriber: Subscriber, settings: Settings) -> Notice:
    p = delivery.payload
    since = datetime.fromisoformat(p["since"]) if p.get("since") else None
    planned = utc(delivery.planned_at)
    assert planned is not None
    return Notice(language=subscriber.language, timezone=settings.timezone, as_of=planned,
                  source=p["source"], state=p["state"], reason=p.get("reason", ""),
                  since=since, reference=str(delivery.id))  # fmt: skip


def send_pending(
    store: Store,
    settings: Settings,
    outbox: Outbox,
    now: datetime,
    *,
    subscriber_id: int | None = None,
    kind: str | None = None,
    stop: threading.Event | None = None,
) -> SendReport:
    """Send every pending delivery (of one subscriber, or of one kind, if given), oldest first
    within each transport; once ``stop`` is set, the rest stay pending for the next run. Emails
    go out over ``settings.send_connections`` SMTP connections at once, so that one digest is
    rendered while another waits for the server; each Slack destination is posted to in order,
    by one thread (Slack's rate limits are per channel)."""
    report = SendReport()
    todo = ledger.pending(store, subscriber_id=subscriber_id, kind=kind)
    if not todo:
        return report
    subscribers = {s.id: s for s in list_subscribers(store, ids={d.subscriber_id for d in todo})}
    contents = _contents(store, settings, todo, subscribers)
    lanes: dict[str, queue.SimpleQueue[Delivery]] = {}
    for delivery in todo:
        subscriber = subscribers[delivery.subscriber_id]
        assert delivery.id is not None
        if not subscriber.active:
            ledger.mark_error(store, delivery.id, "unsubscribed before it was sent",
                              permanent=True)  # fmt: skip
            continue
        lanes.setdefault(destination(subscriber.kind).channel, queue.SimpleQueue()).put(delivery)
    lock = threading.Lock()

    def drain(lane: queue.SimpleQueue[Delivery]) -> None:
        while True:
            try:
                delivery = lane.get_nowait()
            except queue.Empty:
                return
            subscriber = subscribers[delivery.subscriber_id]
            assert delivery.id is not None
            if transport(subscriber) in outbox.down or (stop is not None and stop.is_set()):
                with lock:
                    report.deferred += 1
                continue
            _send_one(store, outbox, subscriber, delivery, contents[delivery.id], now,
                      report, lock)  # fmt: skip

    width = {mail.CHANNEL: settings.send_connections}  # other channels: one thread, in order
    threads = [threading.Thread(target=drain, args=(lane,), name=f"send-{route}-{n}")
               for route, lane in lanes.items() for n in range(width.get(route, 1))]  # fmt: skip
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return report


def _send_one(
    store: Store,
    outbox: Outbox,
    subscriber: Subscriber,
    delivery: Delivery,
    content: Digest | Notice,
    now: datetime,
    report: SendReport,
    lock: threading.Lock,
) -> None:
    """One delivery's error boundary: its failure is recorded and the others carry on."""
    assert delivery.id is not None
    delivery_id = delivery.id

    def on_part(parts: int) -> None:
        ledger.mark_part(store, delivery_id, parts)

    try:
        parts, mid = deliver(outbox, subscriber, delivery, content, now, on_part)
    except DeliveryError as exc:
        permanent = not exc.retry
        ledger.mark_error(store, delivery_id, str(exc), permanent=permanent)
        where = f"delivery={delivery_id} subscriber={subscriber.id} channel={subscriber.kind}"
        with lock:
            report.errors.append(f"{where}: {exc}")
            if permanent:
                report.failed += 1
            else:
                report.deferred += 1
                outbox.down[transport(subscriber)] = str(exc)
        logger.warning("delivery %s %s error=%s", "refused" if permanent else "deferred",
                       where, exc)  # fmt: skip
        return
    except Exception as exc:  # job boundary: one delivery's bug must not stop the others
        logger.exception("delivery crashed delivery=%s subscriber=%s", delivery_id,
                         subscriber.id)  # fmt: skip
        ledger.mark_error(store, delivery_id, f"{exc.__class__.__name__}: {exc}", permanent=False)
        with lock:
            report.deferred += 1
            report.errors.append(f"delivery={delivery_id}: {exc.__class__.__name__}: {exc}")
        return
    ledger.mark_sent(store, delivery_id, now, parts_sent=parts, message_id=mid)
    with lock:
        report.sent += 1
        report.messages += parts - delivery.parts_sent
    logger.info(
        "delivery sent delivery=%s subscriber=%s channel=%s kind=%s items=%d",
        delivery_id, subscriber.id, subscriber.kind, delivery.kind, delivery.items,
    )  # fmt: skip


def _contents(
    store: Store,
    settings: Settings,
    todo: list[Delivery],
    subscribers: dict[int | None, Subscriber],
) -> dict[int, Digest | Notice]:
    """Each pending delivery's content, rebuilt from the ledger as of when it was planned."""
    digests = [d for d in todo if d.kind == "digest"]
    rows = ledger.entries(store, [d.id for d in digests if d.id is not None])
    taxonomy = Taxonomy.load(store)
    contents: dict[int, Digest | Notice] = {}
    by_time: dict[datetime, list[Delivery]] = {}
    for d in digests:
        planned = utc(d.planned_at)
        assert planned is not None
        by_time.setdefault(planned, []).append(d)
    for planned, group in by_time.items():
        entries = {d.id: entries_of(rows.get(d.id or 0, [])) for d in group}
        items, changes = materials(store, [e for es in entries.values() for e in es], planned)
        for d in group:
            assert d.id is not None
            contents[d.id] = digest_of(d, subscribers[d.subscriber_id], entries[d.id], items,
                                       changes, settings=settings, taxonomy=taxonomy,
                                       now=planned, period=d.period)  # fmt: skip
    for d in todo:
        if d.kind == "notice" and d.id is not None:
            contents[d.id] = notice_of(d, subscribers[d.subscriber_id], settings)
    return contents


def send_due(
    store: Store,
    settings: Settings,
    now: datetime,
    *,
    force: bool = False,
    subscriber: Subscriber | None = None,
    outbox: Outbox | None = None,
    frequency: str | None = None,
    stop: threading.Event | None = None,
) -> SendReport:
    """The `digest send` job: plan the curators' notices and every due digest (of subscribers
    at ``frequency``, if given; ``force``: due now whatever the schedule), then send everything
    pending. What the scheduler's digest jobs and `run --once` call too."""
    if subscriber is None:
        plan_notices(store, settings, now)
    plan_digests(store, settings, now, force=force, only=subscriber, frequency=frequency)
    return send_with(store, settings, now, outbox, stop=stop,
                     subscriber_id=subscriber.id if subscriber else None)  # fmt: skip


def send_with(
    store: Store,
    settings: Settings,
    now: datetime,
    outbox: Outbox | None,
    **pending: Any,
) -> SendReport:
    """``send_pending`` through ``outbox``, or through one of its own, closed after."""
    box = outbox or Outbox(settings)
    try:
        return send_pending(store, settings, box, now, **pending)
    finally:
        if outbox is None:
            box.close()
