"""Stored calls as researchers look them up: a filtered listing, one call by its number or its
identifier."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from monitor.app.context import App
from monitor.errors import ConfigError
from monitor.store import feedback as feedback_store
from monitor.store import sources as source_store
from monitor.store.tables import Feedback
from monitor.store.tags import call_tags, tag_rows
from monitor.store.views import CallView, find_call_ids, get_call, list_calls

STATUSES = ("forthcoming", "open", "closed")
MAX_ID = 2**31 - 1  # ids are INTEGER columns: 32 bits on PostgreSQL


@dataclass(frozen=True)
class CallFilter:
    """What a listing keeps: every filter must match; a filter with several values matches
    any of them (``tags=["a", "b"]``: calls with a or b)."""

    statuses: Sequence[str] = ()
    programmes: Sequence[str] = ()  # in the programme or funder, ignoring case
    sources: Sequence[str] = ()
    tags: Sequence[str] = ()
    search: str | None = None
    deadline_before: date | None = None
    limit: int | None = None
    now: datetime = field(default_factory=lambda: datetime.now(UTC))


def find(app: App, wanted: CallFilter) -> list[CallView]:
    """The calls that pass ``wanted``, soonest deadline first. ConfigError for a tag, source or
    status that does not exist (it would silently match nothing), listing the valid ones."""
    store = app.store(create=False)
    _known("status", wanted.statuses, STATUSES)
    if wanted.tags:
        _known("tag", wanted.tags, [row.id for row in tag_rows(store)], "funding-monitor tags list")
    if wanted.sources:
        names = [s.name for s in source_store.list_sources(store)]
        _known("source", wanted.sources, names, "funding-monitor sources list")
    return list_calls(
        store, now=wanted.now, status=wanted.statuses, programme=wanted.programmes,
        deadline_before=wanted.deadline_before, search=wanted.search, source=wanted.sources,
        tag=wanted.tags, limit=wanted.limit,
    )  # fmt: skip


def _known(what: str, given: Sequence[str], valid: Sequence[str], see: str | None = None) -> None:
    unknown = [value for value in given if value not in valid]
    if unknown:
        listed = ", ".join(valid) if valid else "none yet"
        raise ConfigError(f"unknown {what} {', '.join(map(repr, unknown))}; valid: {listed}",
                          hint=f"See `{see}`." if see else None)  # fmt: skip


def show(app: App, ref: str | int, *, now: datetime | None = None) -> CallView:
    """One call with its deadlines, tags and change history, by its number (``12``) or its
    identifier (``HORIZON-HLTH-2026-01``, ignoring case). ConfigError if there is none."""
    number = call_id(app, ref)
    call = get_call(app.store(create=False), number, now=now or datetime.now(UTC))
    if call is None:
        raise ConfigError(f"no call with id {number}", hint=SEE_CALLS)
    return call


def call_id(app: App, ref: str | int) -> int:
    """A call's number as given (whether such a call exists is the caller's to find), or the
    number of the call with that identifier (the first-listed copy); ConfigError if none has."""
    text = str(ref).strip()
    if text.isdigit() and text.isascii():
        number = int(text[:12])
        if len(text) > 10 or number > MAX_ID:  # ids are 32-bit: no call has such a number
            raise ConfigError(f"no call with id {text[:30]}", hint=SEE_CALLS)
        return number
    if not text or len(text) > 300 or any(ord(c) < 32 for c in text):  # no identifier is so
        raise ConfigError(f"no call with identifier {text[:60]!r}", hint=SEE_CALLS)
    ids = find_call_ids(app.store(create=False), text)
    if not ids:
        raise ConfigError(f"no call with identifier {text!r}", hint=SEE_CALLS)
    return ids[0]


SEE_CALLS = "See `funding-monitor calls list`."


@dataclass(frozen=True)
class Evidence:
    """Why a call has one tag: its score, where it came from (rules, model, both, a sub-tag,
    an admin's label) and the reasons recorded when it was tagged."""

    tag: str
    labels: dict[str, str]  # language -> the tag's label
    score: float
    origin: str
    reasons: list[str]


@dataclass(frozen=True)
class CallPage:
    call: CallView
    evidence: list[Evidence]  # in taxonomy order
    labels: dict[str, dict[str, str]]  # every tag in force: id -> language -> label


def page(app: App, ref: str | int, *, now: datetime | None = None) -> CallPage:
    """A call as its page shows it: every field, its history and links, and each tag with the
    evidence that gave it (as stored when it was tagged: no model is loaded)."""
    from monitor.app import search

    store = app.store(create=False)
    number = call_id(app, ref)
    indexed = search.known(app, number) if now is None else None
    if indexed is not None:  # the web face's index holds the call: no query at all
        call, labels, given = indexed.call, indexed.labels, indexed.given
    else:
        call = show(app, number, now=now or app.now())
        labels = {r.id: {"en": r.label_en, "sv": r.label_sv}
                  for r in tag_rows(store, retired=False)}  # fmt: skip
        given = call_tags(store, [call.id]).get(call.id, {})
    evidence = [Evidence(tag, labels[tag], given[tag].score, given[tag].origin,
                         list(given[tag].reasons)) for tag in labels if tag in given]  # fmt: skip
    return CallPage(call, evidence, labels)


FEEDBACK_KINDS = feedback_store.KINDS


def feedback(
    app: App,
    ref: str | int,
    kind: str,
    *,
    tag: str | None = None,
    via: str = "web",
    subscriber_id: int | None = None,
) -> Feedback:
    """Record a reader's word on a call for the admins: ``wrong-tag`` (with the tag),
    ``not-relevant``, or ``up``/``down`` from a digest. ConfigError for a kind, tag or call
    that does not exist."""
    if kind not in FEEDBACK_KINDS:
        raise ConfigError(f"unknown feedback {kind!r}; valid: {', '.join(FEEDBACK_KINDS)}")
    number = call_id(app, ref)
    store = app.store(create=False)
    if get_call(store, number, now=datetime.now(UTC)) is None:
        raise ConfigError(f"no call with id {number}", hint=SEE_CALLS)
    if kind == "wrong-tag":
        given = call_tags(store, [number]).get(number, {})
        if tag not in given:
            listed = ", ".join(given) or "none"
            raise ConfigError(f"call {number} does not have the tag {tag!r}; its tags: {listed}")
    elif tag is not None:
        raise ConfigError(f"a tag is given only with wrong-tag feedback, not with {kind!r}")
    return feedback_store.add_feedback(store, number, kind, datetime.now(UTC), tag_id=tag,
                                       via=via, subscriber_id=subscriber_id)  # fmt: skip


def calendar(app: App, ref: str | int, *, language: str = "en") -> bytes | None:
    """The call's upcoming deadlines as an iCalendar file, or None when it has none."""
    from notifications.ics import call_calendar

    now = app.now()
    call = show(app, ref, now=now)
    return call_calendar(call.id, call.title, call.identifier, call.url, upcoming(call, now),
                         datetime.now(UTC), language, _domain(app))  # fmt: skip


def upcoming(call: CallView, now: datetime) -> list[datetime]:
    """A call's deadlines still to come, in order."""
    return [at for at in (datetime.fromisoformat(d["at"]) for d in call.deadlines) if at >= now]


def _domain(app: App) -> str:
    from urllib.parse import urlsplit

    return urlsplit(app.settings.public_url or "").hostname or "funding-monitor"
