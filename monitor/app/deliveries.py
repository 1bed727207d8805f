"""The send log as curators read it (the staff deliveries page), and retrying a failed delivery
(that page's button and `digest retry`).

A retry turns a ``failed`` delivery back into a ``pending`` one with its attempts reset, so
that the next `digest send` (or the scheduler) sends it, or sends it at once (``send``: the
same use case as `digest send --subscriber S`). A notice is sent as it was planned. A digest
that failed had its calls released (``ledger.mark_error``), so it is made again: with what the
subscriber is due now and was not yet told, as of now; with nothing left to tell, it is not
retried. The subscriber must be active (a paused one is resumed first); the page says where
the retry will go, so that a wrong address is fixed before.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from monitor.app import audit
from monitor.app.context import App
from monitor.errors import ConfigError, MonitorError
from monitor.redaction import redact
from monitor.store import delivery_log
from monitor.store.subscribers import get_subscriber, shown
from monitor.store.tables import Delivery, Subscriber

STATUSES = ("pending", "sent", "failed", "empty")
KINDS = ("digest", "notice")
PER_PAGE = 50
RETRY_HINT = "See the send log on /staff/deliveries, or `funding-monitor subscribers show S`."


@dataclass(frozen=True)
class Entry:
    """One delivery of the send log, with its subscriber as safe to show (a webhook's path
    blanked) and, for a notice, the source and the state it told of."""

    id: int
    kind: str  # digest | notice
    period: str
    status: str  # pending | sent | failed | empty
    planned_at: datetime | None
    sent_at: datetime | None
    items: int
    attempts: int
    error: str
    subscriber_id: int
    destination: str  # the subscriber's kind: email, slack-channel, slack-webhook…
    address: str
    role: str
    active: bool
    source: str = ""
    state: str = ""

    @property
    def retryable(self) -> bool:
        return self.status == "failed" and self.active


@dataclass(frozen=True)
class Log:
    entries: list[Entry]
    total: int
    page: int
    pages: int
    subscriber: str = ""  # the address of the subscriber filtered on, as shown
    subscriber_kind: str = ""  # and its kind ("email", "slack-webhook"…)


@dataclass(frozen=True)
class Retried:
    """A retried delivery as it is now; ``sent``: how many deliveries the immediate send sent
    (None: left for the next send), with its errors (secrets blanked)."""

    entry: Entry
    calls: int
    sent: int | None = None
    errors: list[str] = field(default_factory=list)


def entry_of(delivery: Delivery, subscriber: Subscriber) -> Entry:
    payload = delivery.payload if delivery.kind == "notice" else {}
    return Entry(
        id=delivery.id or 0, kind=delivery.kind, period=delivery.period, status=delivery.status,
        planned_at=delivery.planned_at, sent_at=delivery.sent_at, items=delivery.items,
        attempts=delivery.attempts,
        error=redact(delivery.error) if delivery.error else "",  # rows stored before blanking
        subscriber_id=subscriber.id or 0, destination=subscriber.kind,
        address=shown(subscriber.kind, subscriber.address), role=subscriber.role,
        active=subscriber.active, source=str(payload.get("source", "")),
        state=str(payload.get("state", "")),
    )  # fmt: skip


def _choice(value: str, allowed: tuple[str, ...], name: str, names: str) -> str | None:
    if value and value not in allowed:
        raise ConfigError(f"unknown {name} {value!r}; {names}: {', '.join(allowed)}")
    return value or None


def log(
    app: App,
    *,
    subscriber: str | int | None = None,
    kind: str = "",
    status: str = "",
    period: str = "",
    since: date | None = None,
    until: date | None = None,
    page: int = 1,
    per_page: int = PER_PAGE,
) -> Log:
    """The send log, newest first, one page of it: the deliveries of one subscriber (id or
    address), kind, status, ledger period, planned on the days ``since`` to ``until``
    (inclusive, in TIMEZONE), as any of them are given. ConfigError for an unknown
    subscriber, kind or status, or a range that ends before it starts."""
    store = app.store(create=False)
    row = get_subscriber(store, subscriber) if subscriber not in (None, "") else None
    if since and until and until < since:
        raise ConfigError(f"the period ends ({until}) before it starts ({since})")
    zone = app.settings.zone
    chosen = delivery_log.Filter(
        subscriber_id=row.id if row else None, kind=_choice(kind, KINDS, "kind", "kinds"),
        status=_choice(status, STATUSES, "status", "statuses"), period=period.strip() or None,
        since=datetime.combine(since, time(0), zone) if since else None,
        until=datetime.combine(until + timedelta(days=1), time(0), zone) if until else None,
    )  # fmt: skip
    size = max(1, min(per_page, 500))
    page = max(1, page)
    rows, total = delivery_log.page(store, chosen, offset=(page - 1) * size, limit=size)
    return Log([entry_of(d, s) for d, s in rows], total, page, max(1, -(-total // size)),
               shown(row.kind, row.address) if row else "", row.kind if row else "")  # fmt: skip


def get(app: App, delivery_id: int) -> Entry:
    """One delivery; ConfigError if there is none."""
    found = delivery_log.one(app.store(create=False), delivery_id)
    if found is None:
        raise ConfigError(f"no delivery {delivery_id}", hint=RETRY_HINT)
    return entry_of(*found)


def retry(
    app: App, delivery_id: int, *, send: bool = False, now: datetime | None = None
) -> Retried:
    """Make a failed delivery pending again (attempts reset) and, with ``send``, send it now
    (``now``: as of then; the app's clock by default). ConfigError when it is not failed, its
    subscriber is not active, or (a digest) nothing is left to tell."""
    from monitor.digests.planning import plan_digests

    store = app.store(create=False)
    before = get(app, delivery_id)
    what = f"delivery {before.id} ({before.kind} {before.period}) to subscriber " \
           f"{before.subscriber_id}"  # fmt: skip
    if before.status != "failed":
        raise ConfigError(f"{what} is {before.status}: only a failed delivery can be retried",
                          hint=RETRY_HINT)  # fmt: skip
    subscriber = get_subscriber(store, before.subscriber_id)
    if not subscriber.active:
        raise ConfigError(f"{what}: the subscriber is paused or unsubscribed, so nothing can "
                          "be sent to them", hint="Resume the subscriber first (its page, or "
                          "`funding-monitor subscribers edit S --resume`).")  # fmt: skip
    now, calls = now or app.now(), before.items
    if before.kind == "digest":
        plans = plan_digests(store, app.settings, now, force=True, only=subscriber, write=False)
        entries = plans[0].entries if plans else ()
        if not entries:
            raise ConfigError(f"{what} has nothing left to send: the subscriber has been told "
                              "of every call it held since, or none is due any more",
                              hint="Their next digest carries what comes next.")  # fmt: skip
        calls = len(entries)
        done = delivery_log.reopen(store, delivery_id, planned_at=now, since=plans[0].since,
                                   announcements=[(e.call_id, key, e.part) for e in entries
                                                  for key in e.keys])  # fmt: skip
    else:
        done = delivery_log.reopen(store, delivery_id)
    if not done:
        raise ConfigError(f"{what} was retried meanwhile", hint=RETRY_HINT)
    audit.record(
        app,
        "delivery.retry",
        what,
        *audit.changed(
            {"status": "failed", "attempts": before.attempts}, {"status": "pending", "attempts": 0}
        ),
    )
    if not send:
        return Retried(get(app, delivery_id), calls)
    from monitor.app import digests

    try:
        report = digests.send(app, now, only=subscriber)
    except MonitorError as exc:  # the leader lock is taken: the scheduler will send it
        return Retried(get(app, delivery_id), calls, 0, [redact(str(exc))])
    return Retried(get(app, delivery_id), calls, report.sent, [redact(e) for e in report.errors])
