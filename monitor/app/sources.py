"""Sources as curators handle them: the kinds, add, update, try, list, enable, remove, and the
catalogue and source lists in and out."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from monitor.app.context import App
from monitor.config import seconds_of
from monitor.errors import ConfigError
from monitor.store import sources as source_store
from monitor.store.tables import Source
from sources.errors import SourceError
from sources.kind import SourceKind
from sources.records import CallRecord, SourceConfig
from sources.registry import BUILT_IN, all_kinds, get_kind
from sources.settings import validate

if TYPE_CHECKING:
    from monitor.ingest import catalogue


def kinds() -> list[SourceKind]:
    """Every source kind, with its declared settings."""
    return all_kinds()


def add(
    app: App,
    name: str,
    kind_name: str,
    *,
    url: str | None = None,
    settings: dict[str, str] | None = None,
    every: str | None = None,
) -> Source:
    """Add a source; its settings are validated against its kind before anything is stored.
    ConfigError for a built-in kind (``manual``: calls entered by hand have their own source)."""
    kind = get_kind(kind_name)
    _not_built_in(kind.name, "added")
    given = dict(settings or {})
    validate(kind.name, kind.settings, given)
    url = url or kind.default_url
    source_store.check_url(url, "--url")
    seconds = seconds_of(every) if every else None
    return source_store.add_source(app.store(), name, kind.name, url, given, every=seconds)


def update(
    app: App,
    name: str,
    *,
    url: str | None = None,
    settings: dict[str, str] | None = None,
    unset: Sequence[str] = (),
    every: str | None = None,
) -> Source:
    """Change a source's URL, settings (``unset``: back to their defaults) or interval
    (``every="default"``: the FETCH_EVERY setting)."""
    store = app.store()
    source = source_store.get_source(store, name)
    kind = get_kind(source.kind)
    given = {**source.settings, **(settings or {})}
    for key in unset:
        given.pop(key, None)
    validate(kind.name, kind.settings, given)
    url = url or source.url
    source_store.check_url(url, "--url")
    seconds = None if every is None else 0 if every == "default" else seconds_of(every)
    return source_store.update_source(store, name, url=url, settings=given, every=seconds)


@dataclass(frozen=True)
class Listing:
    sources: list[Source]
    calls: dict[int, int]  # source id → calls stored


def listing(app: App) -> Listing:
    store = app.store(create=False)
    return Listing(source_store.list_sources(store), source_store.call_counts(store))


@dataclass(frozen=True)
class Trial:
    """What one fetch of a source would store: its records and warnings, or the failure."""

    name: str
    records: list[CallRecord]
    warnings: list[str]
    error: SourceError | None = None


def trial(
    app: App,
    name: str | None = None,
    *,
    kind_name: str | None = None,
    url: str | None = None,
    settings: dict[str, str] | None = None,
) -> Trial:
    """Fetch and parse once (a stored source, or a kind and URL not added yet); nothing is
    stored. A source's failure comes back in ``error``; a wrong name or setting raises."""
    if name:
        source = source_store.get_source(app.store(create=False), name)
        kind, url, given = get_kind(source.kind), url or source.url, dict(source.settings)
        given.update(settings or {})
    elif kind_name:
        kind, given = get_kind(kind_name), dict(settings or {})
        url = url or kind.default_url
    else:
        raise ConfigError("give a source NAME, or --kind (and --url) to try a new source")
    source_store.check_url(url, "--url")
    config = SourceConfig(name or "test", url, validate(kind.name, kind.settings, given))
    from monitor.ingest.parse_pool import parse_alone  # the fetching half, loaded to fetch only
    from monitor.ingest.runs import http_client
    from sources.http import build_client

    ours = app.settings
    with build_client(user_agent=ours.user_agent, timeout=ours.http_timeout) as raw:
        http = http_client(ours, raw).with_budget(ours.fetch_budget)
        try:
            result = kind.fetch(http, config, None)
            records, warnings = parse_alone(kind.parse, result, datetime.now(UTC))
        except SourceError as exc:
            return Trial(config.name, [], [], exc.with_source(config.name))
    return Trial(config.name, list(records), [*result.warnings, *warnings])


def export(app: App, fmt: str) -> tuple[str, int]:
    """The sources as TOML (or OPML, for feeds): (text, number of sources)."""
    from monitor.ingest import catalogue

    sources = source_store.list_sources(app.store(create=False))
    text = catalogue.write_opml(sources) if fmt == "opml" else catalogue.write_toml(sources)
    return text, len(sources)


@dataclass(frozen=True)
class Imported:
    added: list[str]
    disabled: list[str]  # added, but disabled until a curator verifies them
    skipped: list[str]  # "NAME: why"


def import_catalogue(
    app: App, *, enable_unverified: bool = False, overwrite: bool = False
) -> Imported:
    """Add the built-in catalogue (its unverified entries disabled, unless asked)."""
    from monitor.ingest import catalogue

    specs = catalogue.load_catalogue()
    if enable_unverified:
        specs = [replace(spec, enabled=True) for spec in specs]
    return _import(app, specs, overwrite)


def import_file(app: App, file: Path, *, overwrite: bool = False) -> Imported:
    """Add the sources of a TOML or OPML file."""
    if not file.is_file():
        raise ConfigError(f"{file} not found")
    from monitor.ingest import catalogue

    content = file.read_bytes()
    if file.suffix.lower() in (".opml", ".xml") or content.lstrip()[:1] == b"<":
        specs = catalogue.read_opml(content, str(file))
    else:
        specs = catalogue.read_toml(content.decode("utf-8", errors="replace"), str(file))
    return _import(app, specs, overwrite)


def _import(app: App, specs: list[catalogue.SourceSpec], overwrite: bool) -> Imported:
    from monitor.ingest import catalogue

    added, skipped = catalogue.import_specs(app.store(), specs, replace=overwrite)
    disabled = [s.name for s in specs if s.name in added and not s.enabled]
    return Imported(list(added), disabled, list(skipped))


def remove(app: App, name: str) -> int:
    """Remove a source and its calls: how many calls went."""
    return source_store.remove_source(app.store(), name)


def set_enabled(app: App, name: str, enabled: bool) -> None:
    """Enable or disable a source; ConfigError for enabling a built-in kind's (never fetched)."""
    store = app.store()
    if enabled:
        _not_built_in(source_store.get_source(store, name).kind, "enabled")
    source_store.set_enabled(store, name, enabled)


def _not_built_in(kind: str, done: str) -> None:
    """ConfigError when ``kind`` is built in (its calls are entered by hand, never fetched)."""
    if kind in BUILT_IN:
        raise ConfigError(
            f"a source of kind {kind!r} is built in and is never {done}: its calls are entered "
            "by hand", hint="Use `funding-monitor calls add|edit|import`.",
        )  # fmt: skip
