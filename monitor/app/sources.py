"""Sources as curators handle them: the kinds, add, update (``edit``: the settings page's form),
try (``trial``; ``preview``: a source not added yet, as the add page shows it), list, enable,
remove, and the catalogue and source lists in and out (``plan_*``: what an import would do,
nothing saved). Every change is kept in the audit log (``audit.record``), whichever face made
it: ``source.add|edit|enable|disable|remove|import``."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from monitor.app import audit
from monitor.app.context import App
from monitor.app.source_shown import hint, logged, masked, refuse_built_in, target
from monitor.config import seconds_of
from monitor.errors import ConfigError
from monitor.store import sources as source_store
from monitor.store.tables import Source
from sources.errors import SourceError
from sources.kind import SourceKind
from sources.records import CallRecord, SourceConfig
from sources.registry import all_kinds, get_kind
from sources.settings import validate

if TYPE_CHECKING:
    from monitor.app.source_lists import Imported


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
    refuse_built_in(kind.name, "added")
    given = dict(settings or {})
    validate(kind.name, kind.settings, given)
    url = url or kind.default_url
    source_store.check_url(url, "--url")
    seconds = seconds_of(every) if every else None
    source = source_store.add_source(app.store(), name, kind.name, url, given, every=seconds)
    audit.record(app, "source.add", target(source), {}, logged(source))
    return source


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
    done = source_store.update_source(store, name, url=url, settings=given, every=seconds)
    before, after = audit.changed(logged(source), logged(done))
    if before or after:
        audit.record(app, "source.edit", target(done), before, after)
    return done


def edit(app: App, name: str, *, url: str, every: str, settings: Mapping[str, str]) -> Source:
    """The settings page's form: the URL, the interval (empty: the FETCH_EVERY setting) and
    every declared setting (empty: its default; undeclared ones are ignored), validated as
    ``add`` validates them: a ConfigError or SettingError naming the setting and the value,
    and nothing saved. A value sent back as the page showed it masked (``masked``: a password
    or key in it blanked) keeps the stored one."""
    source = source_store.get_source(app.store(), name)
    kind = get_kind(source.kind)
    given: dict[str, str] = {}
    unset = []
    for setting in kind.settings:
        value = str(settings.get(setting.name, "")).strip()
        stored = source.settings.get(setting.name)
        if stored is not None and value == masked(str(stored)) != str(stored):
            continue  # the masked value came back untouched: the stored one stays
        if value:
            given[setting.name] = value
        else:
            unset.append(setting.name)
    url = url.strip()
    url = source.url if url == masked(source.url) else url
    source_store.check_url(url, "the URL")
    return update(app, name, url=url, settings=given, unset=unset,
                  every=every.strip() or "default")  # fmt: skip


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
    as_name: str = "test",
) -> Trial:
    """Fetch and parse once (a stored source, or a kind and URL not added yet, named
    ``as_name`` in its messages); nothing is stored. A source's failure comes back in
    ``error``; a wrong name or setting raises."""
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
    config = SourceConfig(name or as_name, url, validate(kind.name, kind.settings, given))
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


@dataclass(frozen=True)
class Item:
    """One call a preview found."""

    title: str
    identifier: str
    url: str
    status: str
    deadline: datetime | None  # the last one


@dataclass(frozen=True)
class Preview:
    """What a source not added yet brings, as one fetch finds it (nothing stored): how many
    calls and of which status, how many fill each field, the first ones, the warnings; or
    the failure and a hint. ``key``: the values previewed (``preview_key``)."""

    key: str
    count: int
    statuses: dict[str, int]
    fields: dict[str, int]
    items: list[Item]
    warnings: list[str]
    error: str | None = None
    hint: str | None = None


def declared(kind_name: str, posted: Mapping[str, str]) -> dict[str, str]:
    """The kind's settings among ``posted`` (a form), those left empty (their defaults) out."""
    kind = get_kind(kind_name)
    return {s.name: value for s in kind.settings
            if (value := str(posted.get(s.name, "")).strip())}  # fmt: skip


def preview_key(name: str, kind_name: str, url: str, settings: Mapping[str, str],
                every: str) -> str:  # fmt: skip
    """A fingerprint of what is previewed, so that a save can tell it is what was seen."""
    import hashlib
    import json

    values = [name, kind_name, url, dict(sorted(settings.items())), every]
    return hashlib.sha256(json.dumps(values).encode()).hexdigest()[:32]


def preview(app: App, name: str, kind_name: str, *, url: str = "",
            settings: Mapping[str, str] | None = None, every: str = "",
            limit: int = 10) -> Preview:  # fmt: skip
    """The add page's preview: the values checked as ``add`` checks them (ConfigError or
    SettingError naming the name, URL, setting or interval, before any request), then one
    fetch through the polite client, as ``sources test`` does (``trial``)."""
    source_store.check_name(name)
    if any(s.name == name for s in source_store.list_sources(app.store())):
        raise ConfigError(f"a source named {name!r} already exists")
    kind = get_kind(kind_name)
    refuse_built_in(kind.name, "added")
    given = dict(settings or {})
    validate(kind.name, kind.settings, given)
    url = url.strip() or kind.default_url
    if not url:
        raise ConfigError(f"a source of kind {kind.name!r} needs a URL: the address to fetch")
    source_store.check_url(url, "the URL")
    if every:
        seconds_of(every)
    key = preview_key(name, kind.name, url, given, every)
    tried = trial(app, kind_name=kind.name, url=url, settings=given, as_name=name)
    if tried.error is not None:
        error = masked(str(tried.error))
        return Preview(key, 0, {}, {}, [], [], error, hint(error))
    records = tried.records
    statuses = {s: sum(r.status == s for r in records) for s in ("open", "forthcoming", "closed")}
    fields = {
        "deadlines": sum(bool(r.deadlines) for r in records),
        "opens": sum(r.opens is not None for r in records),
        "description": sum(bool(r.description) for r in records),
        "budget": sum(r.budget is not None for r in records),
        "programme": sum(bool(r.programme) for r in records),
        "funder": sum(bool(r.funder) for r in records),
        "keywords": sum(bool(r.keywords) for r in records),
    }  # fmt: skip
    items = [Item(r.title, r.identifier, r.url, r.status,
                  r.deadlines[-1].at if r.deadlines else None)
             for r in records[:limit]]  # fmt: skip
    return Preview(key, len(records), statuses, fields, items,
                   [masked(w) for w in tried.warnings])  # fmt: skip


def export(app: App, fmt: str) -> tuple[str, int]:
    """The sources as TOML (or OPML, for feeds): (text, number of sources)."""
    from monitor.ingest import catalogue

    sources = source_store.list_sources(app.store(create=False))
    text = catalogue.write_opml(sources) if fmt == "opml" else catalogue.write_toml(sources)
    return text, len(sources)


def import_catalogue(
    app: App, *, enable_unverified: bool = False, overwrite: bool = False
) -> Imported:
    """Add the built-in catalogue (its unverified entries disabled, unless asked)."""
    from monitor.app import source_lists

    return source_lists.import_catalogue(app, enable_unverified=enable_unverified,
                                         overwrite=overwrite)  # fmt: skip


def import_file(app: App, file: Path, *, overwrite: bool = False) -> Imported:
    """Add the sources of a TOML or OPML file."""
    if not file.is_file():
        raise ConfigError(f"{file} not found")
    from monitor.app import source_lists

    return source_lists.import_content(app, file.read_bytes(), str(file), overwrite=overwrite)


def remove(app: App, name: str) -> int:
    """Remove a source and its calls: how many calls went."""
    store = app.store()
    source = source_store.get_source(store, name)
    calls = source_store.remove_source(store, name)
    audit.record(app, "source.remove", target(source), {**logged(source), "calls": calls}, {})
    return calls


def set_enabled(app: App, name: str, enabled: bool) -> None:
    """Enable or disable a source; ConfigError for enabling a built-in kind's (never fetched)."""
    store = app.store()
    source = source_store.get_source(store, name)
    if enabled:
        refuse_built_in(source.kind, "enabled")
    source_store.set_enabled(store, name, enabled)
    if source.enabled != enabled:
        audit.record(app, "source.enable" if enabled else "source.disable", target(source),
                     {"enabled": source.enabled}, {"enabled": enabled})  # fmt: skip
