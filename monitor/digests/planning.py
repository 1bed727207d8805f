"""Digests: choose what each subscriber is due, promise it in the ledger, rebuild it from the
ledger for sending or preview.

A run first *plans*: for every subscriber whose period is due and not yet planned it chooses the
calls (``notifications.selection.choose``) and writes one pending delivery with its
announcements, all subscribers in one transaction. Then ``monitor.digests.sending`` sends every
pending delivery, rebuilt from the ledger, and marks each as sent right after the transport took it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from functools import partial
from typing import Any

from monitor.config import Settings
from monitor.digests.tokens import page_url, unsubscribe_url
from monitor.errors import MonitorError
from monitor.store import ledger
from monitor.store.calls import deadline_from_json
from monitor.store.db import Store
from monitor.store.subscribers import list_subscribers
from monitor.store.tables import Delivery, Subscriber
from monitor.store.tags import tag_rows
from monitor.store.views import CallView, digest_calls, digest_changes
from notifications.digest import Change, Digest, Item, summary_line
from notifications.selection import Candidate, Criteria, Entry, Index, Pool, choose, compose
from sources.deadlines import entry_deadlines, stage_numbers

logger = logging.getLogger(__name__)
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


@dataclass(frozen=True)
class Period:
    key: str  # 2026-W48 (weekly) or 2026-11-28 (daily)
    due_at: datetime


def period_of(frequency: str, now: datetime, settings: Settings, *, ahead: int = 0) -> Period:
    """The period whose due moment passed last at ``now`` (``ahead`` = 1: the next one)."""
    zone = settings.zone
    hour, minute = (int(x) for x in settings.digest_time.split(":"))
    local = now.astimezone(zone)
    if frequency == "daily":
        day = local.date() - timedelta(days=1 if local.time() < time(hour, minute) else 0)
        day += timedelta(days=ahead)
        return Period(day.isoformat(), datetime.combine(day, time(hour, minute), zone))
    weekday = WEEKDAYS.index(settings.digest_weekday)
    day = local.date() - timedelta(days=(local.weekday() - weekday) % 7)
    if local < datetime.combine(day, time(hour, minute), zone):
        day -= timedelta(days=7)
    day += timedelta(weeks=ahead)
    year, week, _ = day.isocalendar()
    return Period(f"{year}-W{week:02d}", datetime.combine(day, time(hour, minute), zone))


def criteria_of(subscriber: Subscriber) -> Criteria:
    f = subscriber.filters
    return Criteria(
        tags=frozenset(f.get("tags", ())),
        programmes=tuple(f.get("programmes", ())),
        places=tuple(f.get("places", ())),
        keywords=tuple(f.get("keywords", ())),
        min_days_left=int(f.get("min_days_left", 0)),
    )


def item_of(view: CallView, now: datetime) -> Item:
    """The call as a digest shows it: its upcoming deadlines, each with its stage (1, 2) when
    the call is two-stage."""
    dated = sorted((deadline_from_json(d) for d in view.deadlines), key=lambda d: d.at)
    numbers = stage_numbers(dated, view.deadline_model)
    upcoming = [(d.at, n) for d, n in zip(dated, numbers or (0,) * len(dated), strict=True)
                if d.at >= now]  # fmt: skip
    return Item(
        call_id=view.id,
        title=view.title,
        url=view.url,
        funder=view.funder,
        programme=view.programme,
        identifier=view.identifier,
        status=view.status,
        deadlines=tuple(at for at, _ in upcoming),
        stages=tuple(n for _, n in upcoming) if numbers else (),
        budget=view.budget,
        currency=view.currency,
        tags=tuple(view.tags),
        opens=view.opens,
        summary=summary_line(view.summary),
    )


def change_of(kind: str, old: Any, new: Any, at: datetime, view: CallView | None) -> Change | None:
    """A stored change as a digest tells it, or None for one it does not (a status change
    other than closing before the deadline)."""
    if kind == "deadline_changed":
        return Change(kind, _moments(old), _moments(new))
    if kind == "budget_changed":
        return Change(kind, _money(old), _money(new))
    if kind == "reopened":
        return Change(kind)
    if kind == "status_changed" and new == "closed" and view is not None:
        # Early only before a deadline a new applicant could meet (a two-stage call closes
        # to them with its first stage: that is on time).
        deadlines = [deadline_from_json(d) for d in view.deadlines]
        still = any(d.at > at for d in entry_deadlines(deadlines, view.deadline_model))
        return Change("closed_early") if still else None
    return None


def _moments(values: Any) -> tuple[datetime, ...]:
    return tuple(datetime.fromisoformat(v) for v in values or () if isinstance(v, str))


def _money(value: Any) -> tuple[float, str | None] | None:
    return (float(value["amount"]), value.get("currency")) if isinstance(value, dict) else None


@dataclass(frozen=True)
class Plan:
    subscriber: Subscriber
    period: Period
    since: datetime
    entries: tuple[Entry, ...]


@dataclass
class Taxonomy:
    """What the digests need of the tags: labels per language, areas in order, parents."""

    labels: dict[str, dict[str, str]]
    areas: list[str]
    parents: dict[str, str]

    @classmethod
    def load(cls, store: Store) -> Taxonomy:
        rows = tag_rows(store)
        return cls(
            labels={"en": {r.id: r.label_en for r in rows}, "sv": {r.id: r.label_sv for r in rows}},
            areas=[r.id for r in rows if r.parent is None and r.retired_at is None],
            parents={r.id: r.parent for r in rows if r.parent},
        )

    def followed(self, tags: Iterable[str]) -> list[str]:
        return [self.parents.get(t, t) for t in tags]


def _due(
    store: Store,
    settings: Settings,
    now: datetime,
    force: bool,
    only: Subscriber | None,
    frequency: str | None = None,
) -> list[tuple[Subscriber, Period]]:
    subscribers = [only] if only else list_subscribers(store, active_only=True)
    subscribers = [s for s in subscribers if s.role == "digest" and s.active
                   and frequency in (None, s.frequency)]  # fmt: skip
    periods = {s.id: period_of(s.frequency, now, settings) for s in subscribers}
    taken = ledger.existing(store, "digest", [p.key for p in periods.values()])
    if force:  # --now: a subscriber whose period is done gets the next one, early
        for s in subscribers:
            if (s.id, periods[s.id].key) in taken:
                periods[s.id] = period_of(s.frequency, now, settings, ahead=1)
        taken |= ledger.existing(store, "digest", [p.key for p in periods.values()])
    return [(s, periods[s.id]) for s in subscribers if (s.id, periods[s.id].key) not in taken]


def plan_digests(
    store: Store,
    settings: Settings,
    now: datetime,
    *,
    force: bool = False,
    only: Subscriber | None = None,
    write: bool = True,
    frequency: str | None = None,
    problems: list[str] | None = None,
) -> list[Plan]:
    """Choose every due digest's content (of subscribers at ``frequency``, if given) and (with
    ``write``) promise it in the ledger. One subscriber whose digest cannot be chosen (a value
    stored before the checks, a bug) is left out with a line in ``problems`` and the
    traceback in the log; the others are planned. Without ``problems``, that raises a
    MonitorError naming the subscriber instead."""
    due = _due(store, settings, now, force, only, frequency)
    windows: dict[int | None, tuple[int, ...]] = {}
    for subscriber, _period in list(due):
        try:
            windows[subscriber.id] = reminder_windows(subscriber, settings)
        except ValueError as exc:
            _planning_failed(subscriber, exc, problems)
            due.remove((subscriber, _period))
    if not due:
        return []
    settled = ledger.last_settled(store)
    lookback = timedelta(days=settings.digest_lookback_days)
    # min(…, now): a clock pinned in the past (--as-of) still sees what was new then
    since = {s.id: min(settled.get(s.id or 0) or _created(s), now) - lookback for s, _ in due}
    horizon = now + timedelta(days=max(max(w) for w in windows.values()))
    pool = load_pool(store, now, since=min(since.values()), horizon=horizon)
    # Only two kinds of call can be due to a subscriber: one first seen lately (new), or one
    # they were introduced to (a change, a reminder). The first are indexed by tag.
    earliest = min(since.values())
    fresh = Index(pool, (i for i, c in pool.candidates.items() if earliest <= c.first_seen <= now))
    announced = ledger.announced(store, list(pool.candidates))
    plans = []
    for subscriber, period in due:
        try:  # one subscriber's boundary: their digest alone is left out
            criteria = criteria_of(subscriber)
            seen: set[tuple[int, str]] = announced.get(subscriber.id or 0, set())
            known = {call for call, key in seen if key == "new"}
            ids = sorted(known | fresh.select(criteria))
            entries = choose(criteria, pool, ids, _lookup(seen), now=now,
                             since=since[subscriber.id],
                             windows=windows[subscriber.id])  # fmt: skip
        except Exception as exc:  # recorded and logged with its traceback
            _planning_failed(subscriber, exc, problems)
            continue
        plans.append(Plan(subscriber, period, since[subscriber.id], tuple(entries)))
    if write:
        ledger.plan(store, [_planned(p, now) for p in plans])
        logger.info("digests planned=%d with_items=%d", len(plans),
                    sum(1 for p in plans if p.entries))  # fmt: skip
    return plans


MAX_WINDOW = 365  # days: the largest reminder window the command line accepts


def reminder_windows(subscriber: Subscriber, settings: Settings) -> tuple[int, ...]:
    """The subscriber's reminder windows in days (else the default); ValueError naming them
    when one is not a whole number of days from 1 to ``MAX_WINDOW`` (a row stored before that
    was checked)."""
    windows = tuple(subscriber.reminder_days or settings.reminder_days)
    if not windows or not all(isinstance(w, int) and 1 <= w <= MAX_WINDOW for w in windows):
        raise ValueError(f"reminder windows {list(windows)[:5]!r} are not whole days from 1 to "
                         f"{MAX_WINDOW}")  # fmt: skip
    return windows


def _planning_failed(subscriber: Subscriber, exc: Exception, problems: list[str] | None) -> None:
    who = f"subscriber {subscriber.id} ({subscriber.kind})"  # an address may be a secret URL
    message = f"{who}: digest not planned: {exc.__class__.__name__}: {exc}"
    if problems is None:
        raise MonitorError(message, hint=PLANNING_HINT) from exc
    logger.error("digest not planned subscriber=%s error=%s", subscriber.id, message,
                 exc_info=not isinstance(exc, ValueError))  # fmt: skip
    problems.append(message)


PLANNING_HINT = (
    "Fix the subscription with `funding-monitor subscribers edit` (for example "
    "--reminder-days 28,7 or --min-days 0); the other subscribers' digests are not affected."
)


def _lookup(seen: set[tuple[int, str]]) -> Callable[[int, str], bool]:
    return lambda call_id, key: (call_id, key) in seen


def _created(subscriber: Subscriber) -> datetime:
    assert subscriber.created_at is not None
    return subscriber.created_at


def _planned(plan: Plan, now: datetime) -> ledger.Planned:
    assert plan.subscriber.id is not None
    return ledger.Planned(
        subscriber_id=plan.subscriber.id, kind="digest", period=plan.period.key,
        planned_at=now, since=plan.since,
        announcements=[(e.call_id, key, e.part) for e in plan.entries for key in e.keys],
    )  # fmt: skip


def load_pool(store: Store, now: datetime, *, since: datetime, horizon: datetime) -> Pool:
    """The calls a run may announce: first seen since ``since``, changed since, or with a
    deadline before ``horizon``."""
    rows = digest_calls(store, now=now, since=since, horizon=horizon)
    views = {view.id: view for view, _ in rows}
    candidates: dict[int, Candidate] = {}
    for view, info in rows:
        try:  # one call that cannot be shown stays out of every digest, not every digest out
            candidates[view.id] = _candidate(view, info, now)
        except Exception:  # logged with its traceback
            logger.exception("call left out of the digests call=%s", view.id)
    changes: dict[int, list[tuple[int, datetime, Change]]] = {}
    for change_id, call_id, kind, old, new, at in digest_changes(store, since=since):
        try:
            change = change_of(kind, old, new, at, views.get(call_id))
        except Exception:  # as above, for one stored change
            logger.exception("change left out of the digests change=%s call=%s", change_id,
                             call_id)  # fmt: skip
            continue
        if change is not None and call_id in candidates:
            changes.setdefault(call_id, []).append((change_id, at, change))
    return Pool(candidates, changes)


def _candidate(view: CallView, info: Mapping[str, Any], now: datetime) -> Candidate:
    text = " ".join((view.title, view.summary, view.identifier, view.call_title, *view.keywords))
    places = [*info.get("regions", ()), *info.get("countries", ())]
    return Candidate.of(item_of(view, now), view.first_seen, text, places)


def digest_of(
    delivery: Delivery | None,
    subscriber: Subscriber,
    entries: Sequence[Entry],
    items: Mapping[int, Item],
    changes: Mapping[int, Change],
    *,
    settings: Settings,
    taxonomy: Taxonomy,
    now: datetime,
    period: str,
) -> Digest:
    """The digest the subscriber reads, from its entries (as planned or as in the ledger),
    with the subscriber's own links when PUBLIC_URL and SECRET_KEY are set: preferences, 👍/👎
    on each call and, for a delivery of the ledger, its web copy ("view in browser")."""
    language = subscriber.language
    reference = f"{delivery.id}" if delivery is not None and delivery.id else ""
    link = partial(page_url, settings, subscriber)
    votes = {}
    if link("/feedback"):
        votes = {e.call_id: (link("/feedback", call=e.call_id, vote="up"),
                             link("/feedback", call=e.call_id, vote="down"))
                 for e in entries}  # fmt: skip
    blank = Digest(
        language=language,
        timezone=settings.timezone,
        as_of=now,
        period=period,
        reminder_days=tuple(subscriber.reminder_days or settings.reminder_days),
        tag_labels=taxonomy.labels[language],
        unsubscribe_url=unsubscribe_url(settings, subscriber),
        preferences_url=link("/preferences"),
        web_url=link(f"/digests/{reference}") if reference else "",
        votes=votes,
        reference=reference,
    )
    followed = taxonomy.followed(subscriber.filters.get("tags", ()))
    return compose(entries, items, changes, areas=taxonomy.areas, followed=followed, digest=blank)


def entries_of(rows: Iterable[tuple[int, str, str]]) -> list[Entry]:
    """A delivery's ledger rows (call_id, key, part) back into entries, one per call."""
    grouped: dict[int, tuple[str, list[str]]] = {}
    for call_id, key, part in rows:
        grouped.setdefault(call_id, (part, []))[1].append(key)
    return [
        Entry(call_id, part, tuple(keys),
              tuple(int(k.split(":", 1)[1]) for k in keys if k.startswith("change:")))
        for call_id, (part, keys) in grouped.items()
    ]  # fmt: skip


def materials(
    store: Store, entries: Iterable[Entry], now: datetime
) -> tuple[dict[int, Item], dict[int, Change]]:
    """The items and changes that ``entries`` name, as of ``now``."""
    entries = list(entries)
    call_ids = sorted({e.call_id for e in entries})
    views = {view.id: view for view, _ in digest_calls(store, now=now, ids=call_ids)}
    items = {i: item_of(v, now) for i, v in views.items()}
    change_ids = sorted({c for e in entries for c in e.changes})
    changes = {}
    for change_id, call_id, kind, old, new, at in digest_changes(store, ids=change_ids):
        change = change_of(kind, old, new, at, views.get(call_id))
        if change is not None:
            changes[change_id] = change
    return items, changes


def preview(
    store: Store, settings: Settings, subscriber: Subscriber, now: datetime
) -> Digest | None:
    """The digest ``subscriber`` would get if sent at ``now``; nothing is written. None when
    nothing is due."""
    plans = plan_digests(store, settings, now, force=True, only=subscriber, write=False)
    if not plans or not plans[0].entries:
        return None
    entries = plans[0].entries
    items, changes = materials(store, entries, now)
    taxonomy = Taxonomy.load(store)
    period = plans[0].period.key
    return digest_of(None, subscriber, entries, items, changes, settings=settings,
                     taxonomy=taxonomy, now=now, period=period)  # fmt: skip
