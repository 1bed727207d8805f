"""What the curators' source pages show, as plain values: the health dashboard (what `status`
shows of the sources, with each one's runs, calls and an operator's hint for its last error;
sorted and filtered), one source (its settings with secrets masked, run history, recent
calls, health events), and what removing a source would delete and what stays."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from monitor.app.context import App
from monitor.app.paging import window
from monitor.app.source_shown import hint, masked
from monitor.config import every_text
from monitor.store import source_pages
from monitor.store import sources as source_store
from monitor.store.source_pages import Removal, SourceRow
from sources.registry import BUILT_IN, get_kind

SORTS = source_pages.SORTS
PER_PAGE = 50  # sources on a page of the dashboard
# each sort's first order: the unhealthy, A, the latest run, the most failures first
FIRST_ORDER = {"health": "asc", "name": "asc", "last_run": "desc", "failures": "desc"}
HEALTH = ("unhealthy", "healthy")
RUNS_SHOWN = 20
CALLS_SHOWN = 20
EVENTS_SHOWN = 20
FIGURES_DAYS = 30  # the successful runs a source's average items is taken over


@dataclass(frozen=True)
class SourceHealth:
    """A source's line on the dashboard."""

    name: str
    kind: str
    enabled: bool
    healthy: bool
    health_reason: str | None
    last_run_at: datetime | None
    last_outcome: str | None  # ok | error, None before its first run
    last_items: int | None  # items of its last finished run
    average_items: float | None  # per successful run in FIGURES_DAYS
    ok_runs: int  # in FIGURES_DAYS
    failures: int  # in a row
    last_error: str | None  # masked
    hint: str | None  # what an operator can do about it
    calls: int | None  # stored; on one source's page only
    fetched: bool  # False for a built-in kind's (calls entered by hand)


@dataclass(frozen=True)
class Dashboard:
    rows: list[SourceHealth]  # the page's
    kinds: list[str]  # every kind with a source
    total: int  # sources before filtering
    unhealthy: int
    matching: int  # sources the filters keep
    page: int
    pages: int


def dashboard(app: App, *, kind: str = "", health: str = "", sort: str = "health",
              order: str = "", page: int = 1, per_page: int = PER_PAGE) -> Dashboard:  # fmt: skip
    """The sources as `status` lists them (unhealthy first, then by name), with their figures;
    only those of ``kind`` and of ``health`` ("unhealthy", "healthy") when given; sorted by
    ``sort`` (one of SORTS) in ``order`` ("asc", "desc"; default: FIRST_ORDER's), ties by name;
    page ``page`` of ``per_page``. The store sorts and cuts: the figures are read for the rows
    shown only."""
    store = app.store(create=False)
    sort = sort if sort in SORTS else "health"
    descending = (order or FIRST_ORDER[sort]) == "desc"
    healthy = (health == "healthy") if health in HEALTH else None
    counts = source_pages.tally(store)
    size = max(1, min(per_page, 500))
    matching = counts.matching(kind, healthy)
    page, pages, start = window(matching, page, size)
    rows = source_pages.source_rows(store, _since(), kind=kind, healthy=healthy, sort=sort,
                                    descending=descending, offset=start, limit=size)  # fmt: skip
    return Dashboard([_health(r) for r in rows], counts.kinds, counts.total, counts.unhealthy,
                     matching, page, pages)  # fmt: skip


def _since() -> datetime:
    return datetime.now(UTC) - timedelta(days=FIGURES_DAYS)


def _reason(row: SourceRow) -> str | None:
    """Why the source is unhealthy, without the last error it quotes (shown beside it)."""
    reason, error = row.health_reason, row.last_error
    if reason and error and reason.endswith(f"; last error: {error}"):
        reason = reason[: -len(f"; last error: {error}")]
    return masked(reason) if reason else None


def _health(row: SourceRow) -> SourceHealth:
    return SourceHealth(
        row.name, row.kind, row.enabled, row.healthy, _reason(row), row.last_run_at,
        row.last_outcome, row.last_items, row.average_items, row.ok_runs,
        row.consecutive_failures, masked(row.last_error) if row.last_error else None,
        hint(row.last_error, row.health_reason if not row.healthy else None),
        row.calls, row.kind not in BUILT_IN,
    )  # fmt: skip


@dataclass(frozen=True)
class SettingShown:
    name: str
    value: str  # as stored, masked; "" when it has its default
    default: str
    description: str


@dataclass(frozen=True)
class RunShown:
    id: int
    started_at: datetime | None
    seconds: float | None  # None while it runs
    outcome: str  # running | ok | error | cancelled
    items: int
    new: int
    updated: int
    unchanged: int
    unseen: int
    error: str | None  # masked
    warnings: list[str]


@dataclass(frozen=True)
class CallShown:
    id: int
    identifier: str
    title: str
    first_seen: datetime | None
    deadline: datetime | None  # the last one
    listed: bool  # still in the source's listing


@dataclass(frozen=True)
class EventShown:
    kind: str  # unhealthy | healthy
    reason: str
    at: datetime | None


@dataclass(frozen=True)
class SourcePage:
    health: SourceHealth
    url: str  # masked
    every: str  # "" for the FETCH_EVERY setting's
    default_every: str
    info: dict[str, object]  # the curators' notes: funder, regions, verified, note
    description: str  # of its kind
    settings: list[SettingShown]
    runs: list[RunShown]
    calls: list[CallShown]
    events: list[EventShown]


def _text(value: object) -> str:
    """A setting's value as it is written (``--set KEY=VALUE``, a form)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return ",".join(map(str, value)) if isinstance(value, tuple | list) else str(value)


def settings_of(kind_name: str, stored: dict[str, object] | None = None) -> list[SettingShown]:
    """A kind's declared settings with their defaults and help, and the ``stored`` values
    (masked) where a source has its own."""
    given = stored or {}
    return [SettingShown(s.name, masked(_text(given[s.name])) if s.name in given else "",
                         _text(s.default), s.description)
            for s in get_kind(kind_name).settings]  # fmt: skip


def page(app: App, name: str) -> SourcePage | None:
    """One source's page, None when there is no such source."""
    store = app.store(create=False)
    found = source_store.find_source(store, name)
    if found is None or found.id is None:
        return None
    rows = source_pages.source_rows(store, _since(), source_id=found.id)
    if not rows:  # removed meanwhile
        return None
    row = rows[0]
    runs = source_pages.runs_of(store, found.id, RUNS_SHOWN)
    calls = source_pages.recent_calls(store, found.id, CALLS_SHOWN)
    kind = get_kind(found.kind)
    settings = settings_of(kind.name, found.settings)
    events = source_pages.events_of(store, found.id, EVENTS_SHOWN)
    return SourcePage(
        _health(row),
        masked(found.url), every_text(found.every) if found.every else "",
        app.settings.fetch_every, dict(found.info), kind.description, settings,
        [RunShown(r.id or 0, r.started_at,
                  (r.finished_at - r.started_at).total_seconds()
                  if r.finished_at and r.started_at else None,
                  r.outcome, r.items, r.new, r.updated, r.unchanged, r.unseen,
                  masked(r.error) if r.error else None, [masked(w) for w in r.warnings])
         for r in runs],
        [CallShown(c.id or 0, c.identifier, c.title, c.first_seen, c.last_deadline,
                   c.unseen_since is None) for c in calls],
        [EventShown(e.kind, masked(e.reason), e.at) for e in events],
    )  # fmt: skip


def removal(app: App, name: str) -> Removal:
    """What removing the source would delete (its calls with their changes, tags, labels and
    feedback; its runs and health events) and the linked calls of other sources that stay.
    ConfigError when there is no such source."""
    store = app.store(create=False)
    found = source_store.get_source(store, name)
    assert found.id is not None
    return source_pages.removal(store, found.id)
