"""Searching the calls, as the web face (and its JSON API) asks: full text, facets with counts,
a date range, sort and pages, over an in-memory index of the stored calls (see
``monitor.search.index`` for why one engine serves both databases).

The index is built on first use and kept on the ``App``. It is rebuilt, in a thread of its
own while the previous one keeps answering, when the store's calls or tags change (checked at
most every ``CHECK_EVERY`` seconds) and at least every ``REBUILD_EVERY`` (a deadline passing
changes a status without any row changing)."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime

from monitor.app.context import App
from monitor.errors import ConfigError
from monitor.search.index import FACETS, SORTS, Doc, Found, Index, Query
from monitor.search.text import any_of
from monitor.store import sources as source_store
from monitor.store.tables import CallTag
from monitor.store.tags import call_tags, tag_rows
from monitor.store.views import CallView, ChangeView, all_history, calls_stamp, list_calls

logger = logging.getLogger(__name__)

CHECK_EVERY = 5.0  # seconds between two looks at the store's fingerprint
REBUILD_EVERY = 600.0  # seconds: statuses and "closes within" move with the clock
MAX_PAGE = 100  # calls on one page of results
MAX_EXPORT = 20_000  # calls in one CSV or JSON export
MAX_TEXT = 500  # characters of a query's text
MAX_DAYS = 3650  # "closes within N days"
_KEY = "search"
__all__ = ["FACETS", "SORTS", "Facet", "Query", "Results", "search", "export"]


@dataclass(frozen=True)
class Facet:
    value: str
    label: str  # in the asked language, for tags; the value itself otherwise
    count: int
    chosen: bool


@dataclass(frozen=True)
class Results:
    query: Query
    total: int
    calls: list[CallView]
    facets: dict[str, list[Facet]] = field(default_factory=dict)
    as_of: datetime | None = None  # when the index was built


class _Kept:
    """The index of one App, and what it was built from."""

    def __init__(self) -> None:
        self.index: Index | None = None
        self.views: dict[int, CallView] = {}
        self.labels: dict[str, dict[str, str]] = {}  # tag id -> {"en": …, "sv": …}
        self.given: dict[int, dict[str, CallTag]] = {}  # call id -> its tags, with evidence
        self.history: dict[int, list[ChangeView]] = {}  # call id -> its changes
        self.stamp: tuple[object, ...] | None = None
        self.built = 0.0  # time.monotonic() of the build
        self.checked = 0.0
        self.lock = threading.Lock()  # one build at a time
        self.building = False


def _kept(app: App) -> _Kept:
    with app._opening:  # the App's own lock: two first requests make one _Kept
        kept = app.kept.get(_KEY)
        if kept is None:
            kept = app.kept[_KEY] = _Kept()
    assert isinstance(kept, _Kept)
    return kept


def _build(app: App, kept: _Kept) -> None:
    store = app.store(create=False)
    stamp = calls_stamp(store)
    now = app.now()
    started = time.perf_counter()
    views = list_calls(store, now=now)
    regions = {s.name: tuple(map(str, [*s.info.get("regions", []), *s.info.get("countries", [])]))
               for s in source_store.list_sources(store)}  # fmt: skip
    docs = []
    for view in views:
        names = (view.source, *(link["source"] for link in view.also_listed))
        docs.append(Doc(
            id=view.id, identifier=view.identifier, title=view.title,
            body=any_of([view.summary, view.programme, view.funder, view.call_identifier,
                         view.call_title, *view.keywords]),
            tags=tuple(view.tags), status=view.status,
            programme=view.programme or view.funder, sources=tuple(dict.fromkeys(names)),
            regions=tuple(dict.fromkeys(r for n in names for r in regions.get(n, ()))),
            next_deadline=view.next_deadline, first_seen=view.first_seen,
        ))  # fmt: skip
    index = Index(docs, now)
    labels = {row.id: {"en": row.label_en, "sv": row.label_sv} for row in tag_rows(store)}
    given, history = call_tags(store), all_history(store)
    kept.index, kept.views, kept.labels, kept.stamp = index, {v.id: v for v in views}, labels, stamp
    kept.given, kept.history = given, history
    kept.built = kept.checked = time.monotonic()
    logger.info("search index built calls=%s terms=%s seconds=%.2f", index.size,
                len(index.postings), time.perf_counter() - started)  # fmt: skip


def _rebuild_in_background(app: App, kept: _Kept) -> None:
    def run() -> None:
        try:
            with kept.lock:
                _build(app, kept)
        except Exception:  # the thread's error boundary: the old index keeps answering
            logger.exception("rebuilding the search index failed; the previous one is kept")
        finally:
            kept.building = False

    kept.building = True
    threading.Thread(target=run, name="search-index", daemon=True).start()


def _current(app: App) -> _Kept:
    """The App's index, built now if there is none, rebuilt in the background if stale."""
    kept = _kept(app)
    if kept.index is None:
        with kept.lock:
            if kept.index is None:
                _build(app, kept)
        return kept
    clock = time.monotonic()
    if kept.building or clock - kept.checked < CHECK_EVERY:
        return kept
    kept.checked = clock
    if clock - kept.built > REBUILD_EVERY or calls_stamp(app.store(create=False)) != kept.stamp:
        _rebuild_in_background(app, kept)
    return kept


def refresh(app: App) -> None:
    """Build the index now (after a change that must show at once, and in tests)."""
    kept = _kept(app)
    with kept.lock:
        _build(app, kept)


def checked_query(
    *,
    text: str = "",
    chosen: Mapping[str, Sequence[str]] | None = None,
    deadline_from: date | None = None,
    deadline_to: date | None = None,
    closes_within: int | None = None,
    sort: str = "relevance",
    page: int = 1,
    per_page: int = 20,
) -> Query:
    """A Query from what a face was given, or ConfigError naming the value that is wrong."""
    if sort not in SORTS:
        raise ConfigError(f"unknown sort {sort!r}; valid: {', '.join(SORTS)}")
    unknown = [f for f in (chosen or {}) if f not in FACETS]
    if unknown:
        raise ConfigError(f"unknown filter {unknown[0]!r}; valid: {', '.join(FACETS)}")
    if not 1 <= page <= 100_000:
        raise ConfigError(f"page {page} is out of range: use 1 to 100000")
    if not 1 <= per_page <= MAX_EXPORT:
        raise ConfigError(f"per_page {per_page} is out of range: use 1 to {MAX_EXPORT}")
    if closes_within is not None and not 0 <= closes_within <= MAX_DAYS:
        raise ConfigError(f"closes within {closes_within} days is out of range: use 0 to "
                          f"{MAX_DAYS}")  # fmt: skip
    if deadline_from and deadline_to and deadline_from > deadline_to:
        raise ConfigError(f"the deadline range is empty: {deadline_from} is after {deadline_to}")
    kept = {f: list(dict.fromkeys(v for v in vs if v))[:50] for f, vs in (chosen or {}).items()}
    return Query(text=text[:MAX_TEXT], chosen={f: vs for f, vs in kept.items() if vs},
                 deadline_from=deadline_from, deadline_to=deadline_to,
                 closes_within=closes_within, sort=sort, offset=(page - 1) * per_page,
                 limit=per_page)  # fmt: skip


def search(app: App, query: Query, *, lang: str = "en") -> Results:
    """One page of the calls matching ``query``, with every facet's counts."""
    kept = _current(app)
    assert kept.index is not None
    found: Found = kept.index.search(query)
    facets = {
        name: [Facet(value, _label(kept, name, value, lang), count,
                     value in query.chosen.get(name, ())) for value, count in values]
        for name, values in found.facets.items()
    }  # fmt: skip
    calls = [kept.views[i] for i in found.ids if i in kept.views]
    built = datetime.now(UTC) if kept.index is None else kept.index.now
    return Results(query, found.total, calls, facets, built)


@dataclass(frozen=True)
class Known:
    """A call as the index holds it: its view with its history, its tags with their evidence,
    and every tag's labels."""

    call: CallView
    given: dict[str, CallTag]
    labels: dict[str, dict[str, str]]


def known(app: App, call_id: int) -> Known | None:
    """The call from the web face's index (as of its build, at most CHECK_EVERY seconds
    behind the store), when one was built and has it; None otherwise (read the store)."""
    kept = app.kept.get(_KEY)
    if not isinstance(kept, _Kept) or kept.index is None:
        return None
    _current(app)  # a look at the store's fingerprint, as a search makes
    view = kept.views.get(call_id)
    if view is None:
        return None
    return Known(replace(view, changes=kept.history.get(call_id, [])),
                 kept.given.get(call_id, {}), kept.labels)  # fmt: skip


def export(app: App, query: Query) -> list[CallView]:
    """Every call matching ``query`` (at most MAX_EXPORT), in its order, for CSV and JSON."""
    whole = Query(**{**query.__dict__, "offset": 0, "limit": MAX_EXPORT})
    return search(app, whole).calls


def _label(kept: _Kept, facet: str, value: str, lang: str) -> str:
    if facet == "tag":
        labels = kept.labels.get(value)
        return labels.get(lang) or labels["en"] if labels else value
    return value
