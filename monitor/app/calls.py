"""Stored calls as researchers look them up: a filtered listing, one call by its number or its
identifier."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from monitor.app.context import App
from monitor.errors import ConfigError
from monitor.store import sources as source_store
from monitor.store.tags import tag_rows
from monitor.store.views import CallView, find_call_ids, get_call, list_calls

STATUSES = ("forthcoming", "open", "closed")


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
    if text.isdigit():
        return int(text)
    ids = find_call_ids(app.store(create=False), text)
    if not ids:
        raise ConfigError(f"no call with identifier {text!r}", hint=SEE_CALLS)
    return ids[0]


SEE_CALLS = "See `funding-monitor calls list`."
