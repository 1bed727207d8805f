"""Sending what the ledger holds: every pending delivery through its channel, each marked in
the ledger right after its transport took it. No channel is known here by name: a subscriber's
destination kind is looked up in ``notifications.registry`` and its ``Channel`` renders the
content, opens the sender and says how its transport is shared.

Exactly once: a delivery and its announcements are written before anything is sent; a sent
delivery is marked in its own commit the moment its channel (the SMTP server, Slack, Teams)
accepted it (for a digest split over several messages, after each message). A crash or an
outage leaves the rest pending, and the next run sends only that. The one window left is a
crash between the server's acceptance and that commit (milliseconds): the message is then sent
again, with the same Message-ID, which mail systems use to recognise a repeat.

One delivery's failure is its own. Its contents are built and rendered inside its error
boundary: a digest that cannot be made (a value no renderer can show, a bug) is recorded with
the error, logged with its traceback, and tried again in the next runs, up to
``delivery_max_attempts``; then it is given up on (``failed``, its calls released for a later
digest) and reported. A recipient refused for now (an SMTP 4xx for its address: a full
mailbox, greylisting) is that delivery's alone in the same way, counted and given up on at the
cap, while the others go through; a server that defers ``SERVER_DEFERS`` recipients in a row
is down. A transport's fault (server down, login or token refused) is no delivery's: its
deliveries wait, however many runs it takes, and are not counted.
"""

from __future__ import annotations

import logging
import queue
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, ParamSpec, TypeVar

from monitor import redaction
from monitor.config import Settings
from monitor.digests import web_copies
from monitor.digests.notices import plan_notices
from monitor.digests.planning import Taxonomy, digest_of, entries_of, materials, plan_digests
from monitor.errors import StoreError
from monitor.store import ledger
from monitor.store.db import Store
from monitor.store.subscribers import list_subscribers, shown
from monitor.store.tables import Delivery, Subscriber, utc
from notifications.channel import Channel, Clients, Envelope, Sender
from notifications.digest import Digest, Notice
from notifications.errors import DeliveryError, MessageError, RecipientDeferred
from notifications.registry import destination
from sources.text import clean_line

logger = logging.getLogger(__name__)
T = TypeVar("T")
P = ParamSpec("P")


@dataclass
class SendReport:
    sent: int = 0
    messages: int = 0
    failed: int = 0  # refused for good
    deferred: int = 0  # left pending for the next run
    given_up: int = 0  # failed by its own fault too many times: failed, its calls released
    copies_dropped: int = 0  # web copies older than WEB_COPY_DAYS dropped after the send
    errors: list[str] = field(default_factory=list)  # one line each, secrets blanked


Contents = Digest | Notice | Exception  # an exception: what building it raised


class Outbox:
    """The senders of one run, each opened on first use and closed by ``close``. Clients can
    be handed in (tests, benchmarks: ``Outbox(settings, tls=…, slack_client=…, http=…)``, the
    fields of ``notifications.channel.Clients``); otherwise each channel builds its own from
    the settings."""

    def __init__(self, settings: Settings, clients: Clients | None = None, **given: Any) -> None:
        self.settings = settings
        self.clients = clients or Clients(**given)
        self._local = threading.local()  # a parallel channel's sender: one per sending thread
        self._shared: dict[str, Sender] = {}  # the others': one each (one thread posts)
        self._opened: list[Sender] = []
        self._lock = threading.Lock()
        self.down: dict[str, str] = {}  # transport -> why: the rest of the run skips it
        self.deferring: dict[str, int] = {}  # transport -> recipients it deferred in a row

    def sender(self, channel: Channel) -> Sender:
        """The channel's sender for this thread (opened on first use, reused after)."""
        senders = self._shared
        if channel.parallel:
            senders = self._local.__dict__.setdefault("senders", {})
        sender = senders.get(channel.kind)
        if sender is None:
            sender = senders[channel.kind] = channel.open(self.settings, self.clients)
            with self._lock:
                self._opened.append(sender)
        return sender

    def close(self) -> None:
        with self._lock:
            opened, self._opened = self._opened, []
        self._shared = {}
        self._local = threading.local()
        for sender in opened:
            sender.close()


SERVER_DEFERS = 5  # recipients deferred in a row (4xx) after which the server itself is down


def transport(subscriber: Subscriber) -> str:
    """Deliveries through one transport share its fate within a run."""
    return destination(subscriber.kind).transport(subscriber.id)


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
    """Send ``content`` through the subscriber's channel; returns (messages in all, the
    Message-ID the channel's messages carry, or None). The messages already sent for this
    delivery (``parts_sent``) are not sent again; each but the last is marked as it goes (the
    last is marked with the delivery)."""
    channel = destination(subscriber.kind)
    envelope = Envelope(sender=outbox.settings.mail_from, recipient=subscriber.address,
                        message_id=message_id(outbox.settings, delivery), date=now)  # fmt: skip
    outgoing = channel.render(content, envelope)
    count = len(outgoing.messages)
    for number in range(delivery.parts_sent, count):
        outbox.sender(channel).deliver(subscriber.address, outgoing.messages[number])
        if number + 1 < count:
            on_part(number + 1)
    return count, outgoing.message_id


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
    within each transport; once ``stop`` is set, the rest stay pending for the next run. Each
    destination kind is a lane: a parallel channel's (email) is worked by
    ``settings.send_connections`` threads at once, each with its own sender (SMTP connection),
    so that one digest is rendered while another waits for the server; any other channel's is
    posted to in order by one thread (Slack's and Teams' rate limits are per channel)."""
    report = SendReport()
    todo = ledger.pending(store, subscriber_id=subscriber_id, kind=kind)
    if not todo:
        return report
    subscribers = {s.id: s for s in list_subscribers(store, ids={d.subscriber_id for d in todo})}
    redaction.remember(*settings.secrets)
    for subscriber in subscribers.values():
        secrets = destination(subscriber.kind).secrets
        if secrets is not None:
            redaction.remember(*secrets(subscriber.address))
    contents = _contents(store, settings, todo, subscribers)
    lanes: dict[str, queue.SimpleQueue[Delivery]] = {}
    for delivery in todo:
        subscriber = subscribers[delivery.subscriber_id]
        assert delivery.id is not None
        if not subscriber.active:
            ledger.mark_error(store, delivery.id, "unsubscribed before it was sent",
                              permanent=True, counted=False)  # fmt: skip
            continue
        lanes.setdefault(subscriber.kind, queue.SimpleQueue()).put(delivery)
    lock = threading.Lock()
    crashed: list[BaseException] = []

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
            one = Attempt(store, outbox, subscriber, delivery, now, report, lock,
                          settings.delivery_max_attempts)  # fmt: skip
            one.send(contents[delivery.id])

    def lane_thread(lane: queue.SimpleQueue[Delivery]) -> None:
        try:
            drain(lane)
        except BaseException as exc:  # the ledger itself failed: the run fails, in the caller
            crashed.append(exc)

    def width(kind: str) -> int:  # a channel not parallel: one thread, posting in order
        return settings.send_connections if destination(kind).parallel else 1

    threads = [threading.Thread(target=lane_thread, args=(lane,), name=f"send-{kind}-{n}")
               for kind, lane in lanes.items() for n in range(width(kind))]  # fmt: skip
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if crashed:
        raise crashed[0]
    return report


@dataclass
class Attempt:
    """One delivery's try, and its error boundary: whatever goes wrong is recorded on it, and
    the others carry on. Only the ledger failing (StoreError) stops the run."""

    store: Store
    outbox: Outbox
    subscriber: Subscriber
    delivery: Delivery
    now: datetime
    report: SendReport
    lock: threading.Lock
    max_attempts: int

    @property
    def id(self) -> int:
        assert self.delivery.id is not None
        return self.delivery.id

    @property
    def keys(self) -> str:
        """For log lines: which delivery, whose, through what."""
        return f"delivery={self.id} subscriber={self.subscriber.id} channel={self.subscriber.kind}"

    @property
    def named(self) -> str:
        """For people: the delivery and its subscriber as safe to show."""
        d, s = self.delivery, self.subscriber
        return (f"delivery {d.id} ({d.kind} {d.period}) to subscriber {s.id} "
                f"({s.kind} {shown(s.kind, s.address)})")  # fmt: skip

    def send(self, content: Contents) -> None:
        try:
            if isinstance(content, Exception):
                raise content
            if isinstance(content, Digest):  # its web copy first: every digest sent has one
                web_copies.keep(self.store, self.delivery, content)
            parts, mid = deliver(self.outbox, self.subscriber, self.delivery, content, self.now,
                                 lambda n: ledger.mark_part(self.store, self.id, n))  # fmt: skip
        except StoreError:
            raise
        except MessageError as exc:  # this message alone was refused: as good as a bug of ours
            self.own_fault(f"refused: {exc}", exc.hint, None)
            return
        except RecipientDeferred as exc:  # this address, for now: it alone waits
            self.own_fault(
                f"deferred: {exc}", exc.hint, None, why="recipient deferred", level=logging.WARNING
            )  # the recipient's server's word: not ours
            self.deferred_in_a_row(exc)
            return
        except DeliveryError as exc:
            self.refused(exc)
            return
        except Exception as exc:  # building, rendering or sending it hit a bug
            self.own_fault(f"could not be made or sent: {exc.__class__.__name__}: {exc}",
                           "This is a bug of funding-monitor: please report it with the "
                           "traceback from the log.", exc)  # fmt: skip
            return
        ledger.mark_sent(self.store, self.id, self.now, parts_sent=parts, message_id=mid)
        with self.lock:
            self.outbox.deferring.pop(transport(self.subscriber), None)
            self.report.sent += 1
            self.report.messages += parts - self.delivery.parts_sent
        logger.info("delivery sent %s kind=%s items=%d", self.keys, self.delivery.kind,
                    self.delivery.items)  # fmt: skip

    def refused(self, exc: DeliveryError) -> None:
        """The transport's fault (wait; its other deliveries too) or the recipient's (failed,
        its calls released). Neither counts as an attempt of this delivery."""
        permanent = not exc.retry
        message = _line(f"{exc}" + (f"; hint: {exc.hint}" if exc.hint else ""))
        ledger.mark_error(self.store, self.id, message, permanent=permanent, counted=False)
        with self.lock:
            self.report.errors.append(f"{self.named}: {message}")
            if permanent:
                self.report.failed += 1
            else:
                self.report.deferred += 1
                self.outbox.down[transport(self.subscriber)] = message
        logger.warning("delivery %s %s error=%s", "refused" if permanent else "deferred",
                       self.keys, _line(str(exc)))  # fmt: skip

    def deferred_in_a_row(self, exc: RecipientDeferred) -> None:
        """A server that defers ``SERVER_DEFERS`` recipients in a row defers them all: the
        rest of its deliveries wait for the next run instead of each being tried."""
        through = transport(self.subscriber)
        with self.lock:
            count = self.outbox.deferring[through] = self.outbox.deferring.get(through, 0) + 1
            if count != SERVER_DEFERS:  # said once (parallel senders may defer a few more)
                return
            self.outbox.down[through] = _line(f"{count} recipients deferred in a row: {exc}")
            self.report.errors.append(
                f"{self.subscriber.kind}: the server deferred {count} recipients in a row, as if "
                "it took no mail for now: the rest of its deliveries wait for the next run"
            )
        logger.warning("transport deferred transport=%s recipients_in_a_row=%d", through, count)

    def own_fault(self, what: str, hint: str, exc: Exception | None,
                  why: str = "refused as malformed",
                  level: int = logging.ERROR) -> None:  # fmt: skip
        """This delivery failed by itself: counted; given up on at the cap. ``why`` and
        ``level``: the log line's words and level when there is no exception to log."""
        attempt = self.delivery.attempts + 1
        give_up = attempt >= self.max_attempts
        if give_up:
            after = f"given up after {attempt} attempts" + (
                "; its calls are released for a later digest" if self.delivery.kind == "digest"
                else "")  # fmt: skip
        else:
            after = f"attempt {attempt} of {self.max_attempts}, tried again in the next run"
        message = _line(f"{self.named} {what}; {after}. {hint}")
        ledger.mark_error(self.store, self.id, message, permanent=give_up)
        with self.lock:
            self.report.errors.append(message)
            if give_up:
                self.report.given_up += 1
            else:
                self.report.deferred += 1
        if exc is not None:
            logger.error("delivery crashed %s attempt=%d error=%s", self.keys, attempt,
                         _line(f"{exc.__class__.__name__}: {exc}"), exc_info=exc)  # fmt: skip
        else:
            logger.log(level, "delivery %s %s attempt=%d error=%s", why, self.keys, attempt,
                       _line(what))  # fmt: skip
        if give_up:
            logger.error("delivery given up %s attempts=%d", self.keys, attempt)


def _line(text: str) -> str:
    """One line (a message must not forge log or output lines), every secret blanked."""
    return redaction.redact(clean_line(text))


def _contents(
    store: Store,
    settings: Settings,
    todo: list[Delivery],
    subscribers: dict[int | None, Subscriber],
) -> dict[int, Contents]:
    """Each pending delivery's content, rebuilt from the ledger as of when it was planned, or
    the exception that building it raised (it fails alone, in its ``Attempt``). The calls of
    the deliveries planned together are read together; when that fails, each delivery reads
    its own, so that one bad call fails only the digests that hold it."""
    digests = [d for d in todo if d.kind == "digest"]
    rows = ledger.entries(store, [d.id for d in digests if d.id is not None])
    taxonomy = Taxonomy.load(store)
    contents: dict[int, Contents] = {}
    by_time: dict[datetime, list[Delivery]] = {}
    for d in digests:
        planned = utc(d.planned_at)
        assert planned is not None
        by_time.setdefault(planned, []).append(d)
    for planned, group in by_time.items():
        entries = {d.id: entries_of(rows.get(d.id or 0, [])) for d in group}
        shared = _built(materials, store, [e for es in entries.values() for e in es], planned)
        for d in group:
            assert d.id is not None
            own = entries[d.id]
            found = shared if not isinstance(shared, Exception) else _built(
                materials, store, own, planned)  # fmt: skip
            contents[d.id] = found if isinstance(found, Exception) else _built(
                digest_of, d, subscribers[d.subscriber_id], own, *found, settings=settings,
                taxonomy=taxonomy, now=planned, period=d.period)  # fmt: skip
    for d in todo:
        if d.kind == "notice" and d.id is not None:
            contents[d.id] = _built(notice_of, d, subscribers[d.subscriber_id], settings)
    return contents


def _built(make: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T | Exception:
    """``make(*args, **kwargs)``, or the exception it raised (the ledger failing is the run's,
    not one delivery's, and is raised)."""
    try:
        return make(*args, **kwargs)
    except StoreError:
        raise
    except Exception as exc:  # the delivery's error boundary, completed in Attempt.send
        return exc


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
    pending; then drop the web copies older than WEB_COPY_DAYS (a run for every subscriber
    only). What the scheduler's digest jobs and `run --once` call too."""
    if subscriber is None:
        plan_notices(store, settings, now)
    problems: list[str] = []  # subscribers whose digest could not be planned: exit 1, named
    plan_digests(store, settings, now, force=force, only=subscriber, frequency=frequency,
                 problems=problems)  # fmt: skip
    report = send_with(store, settings, now, outbox, stop=stop,
                       subscriber_id=subscriber.id if subscriber else None)  # fmt: skip
    report.errors[:0] = [redaction.redact(p) for p in problems]
    if subscriber is None:  # the web copies past their time go with a whole run's send
        kept_from = now - timedelta(days=settings.web_copy_days)
        report.copies_dropped = web_copies.prune(store, kept_from)
    return report


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
