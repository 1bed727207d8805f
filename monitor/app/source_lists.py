"""Source lists into the store: the built-in catalogue, or a curator's TOML or OPML file,
planned first (``plan_*``: what would be added, replaced, left as it is or skipped, and why;
nothing saved), then imported as planned (``import_*``, what ``sources import-catalogue`` and
``sources import`` run). Each source added or replaced is kept in the audit log
(``source.import``).

Replacing a source removes it and adds it anew, as ``sources remove`` then ``add`` would: its
calls, runs and health events go with the old one. A source the same as listed is never
replaced (there is nothing to gain and its calls to lose)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from monitor.app import audit
from monitor.app.context import App
from monitor.app.source_shown import logged, masked, refuse_built_in, target
from monitor.errors import ConfigError
from monitor.ingest import catalogue
from monitor.store import sources as source_store
from monitor.store.db import Store
from monitor.store.tables import Source
from sources.errors import SettingError
from sources.registry import get_kind
from sources.settings import validate

ACTIONS = ("add", "replace", "differs", "same", "skip")
EXISTS = "exists (use --replace to overwrite)"


@dataclass(frozen=True)
class Entry:
    """One source of a list and what importing it would do: ``add`` it, ``replace`` the stored
    one of that name (``calls``: its calls, which go), leave it because it ``differs`` but
    replacing was not asked for, leave it because it is the ``same``, or ``skip`` it
    (``reason``)."""

    name: str
    kind: str
    url: str  # as pages show it (masked)
    action: str
    enabled: bool  # as it would come in
    changes: list[str] = field(default_factory=list)  # what differs from the stored one
    reason: str = ""
    calls: int = 0


@dataclass(frozen=True)
class Plan:
    where: str  # "the built-in catalogue", or the file's name
    overwrite: bool
    entries: list[Entry]

    def count(self, action: str) -> int:
        return sum(e.action == action for e in self.entries)


@dataclass(frozen=True)
class Imported:
    added: list[str]
    disabled: list[str]  # added, but disabled until a curator verifies them
    skipped: list[str]  # "NAME: why"


def plan_catalogue(app: App, *, enable_unverified: bool = False,
                   overwrite: bool = False) -> Plan:  # fmt: skip
    """What importing the built-in catalogue would do; nothing saved."""
    return _plan(app.store(), "the built-in catalogue", _catalogue(enable_unverified),
                 overwrite)[0]  # fmt: skip


def import_catalogue(app: App, *, enable_unverified: bool = False,
                     overwrite: bool = False) -> Imported:  # fmt: skip
    """Add the built-in catalogue (its unverified entries disabled, unless asked)."""
    return _import(app, "the built-in catalogue", _catalogue(enable_unverified), overwrite)


def plan_content(app: App, content: bytes, where: str, *, overwrite: bool = False) -> Plan:
    """What importing a TOML or OPML file (its bytes; ``where``: its name) would do; nothing
    saved. ConfigError naming the line (TOML) or the element (OPML) of a malformed file."""
    return _plan(app.store(), where, _read(content, where), overwrite)[0]


def import_content(app: App, content: bytes, where: str, *,
                   overwrite: bool = False) -> Imported:  # fmt: skip
    """Add the sources of a TOML or OPML file (its bytes; ``where``: its name)."""
    return _import(app, where, _read(content, where), overwrite)


def _catalogue(enable_unverified: bool) -> list[catalogue.SourceSpec]:
    specs = catalogue.load_catalogue()
    return [replace(s, enabled=True) for s in specs] if enable_unverified else specs


def _read(content: bytes, where: str) -> list[catalogue.SourceSpec]:
    """The specs of a file: OPML when it is named so or starts with "<", else TOML."""
    if where.lower().endswith((".opml", ".xml")) or content.lstrip()[:1] == b"<":
        specs = catalogue.read_opml(content, where)
    else:
        specs = catalogue.read_toml(content.decode("utf-8", errors="replace"), where)
    if not specs:
        raise ConfigError(
            f"{where} lists no sources",
            hint="A TOML list has [[source]] tables with name, kind and url; an OPML list has "
            "outline elements with an xmlUrl.",
        )  # fmt: skip
    return specs


def _shown(name: str) -> str:
    """A name as a list gives it: as is when it is a valid name, else quoted (control
    characters escaped)."""
    return name if source_store.NAME.fullmatch(name) else repr(name[:80])


def _differences(old: Source, spec: catalogue.SourceSpec) -> list[str]:
    """The fields in which a stored source differs from its entry (settings compared as their
    kind reads them; being enabled is the curators' choice, not the list's)."""
    if old.kind != spec.kind:
        return ["kind"]
    kind = get_kind(spec.kind)
    ours = validate(kind.name, kind.settings, old.settings)
    theirs = validate(kind.name, kind.settings, spec.settings)
    found = ["url"] if old.url != spec.url else []
    found += ["every"] if (old.every or None) != (spec.every or None) else []
    found += [f"settings.{k}" for k in ours if ours[k] != theirs[k]]
    found += [f"info.{k}" for k in catalogue.INFO_KEYS if old.info.get(k) != spec.info.get(k)]
    return found


def _plan(store: Store, where: str, specs: Sequence[catalogue.SourceSpec],
          overwrite: bool) -> tuple[Plan, list[catalogue.SourceSpec]]:  # fmt: skip
    """The plan, and the specs to write (those to add or replace), in order."""
    stored = {s.name: s for s in source_store.list_sources(store)}
    counts = source_store.call_counts(store)
    entries, chosen, seen = [], [], set()
    for spec in specs:
        shown = Entry(_shown(spec.name), spec.kind[:50], masked(spec.url)[:300], "skip",
                      spec.enabled)  # fmt: skip
        try:
            source_store.check_name(spec.name)
            source_store.check_url(spec.url)
            kind = get_kind(spec.kind)
            refuse_built_in(kind.name, "imported")
            validate(kind.name, kind.settings, spec.settings)
        except (SettingError, ConfigError) as exc:
            entries.append(replace(shown, reason=masked(str(exc))))
            continue
        if spec.name in seen:
            entries.append(replace(shown, reason="listed twice: the first entry is taken"))
            continue
        seen.add(spec.name)
        old = stored.get(spec.name)
        changes = _differences(old, spec) if old is not None else []
        if old is None:
            action = "add"
        elif not changes:
            action = "same"
        else:
            action = "replace" if overwrite else "differs"
        calls = counts.get(old.id or 0, 0) if old is not None and action == "replace" else 0
        entries.append(replace(shown, action=action, changes=changes, calls=calls))
        if action in ("add", "replace"):
            chosen.append(spec)
    return Plan(where, overwrite, entries), chosen


def _import(app: App, where: str, specs: Sequence[catalogue.SourceSpec],
            overwrite: bool) -> Imported:  # fmt: skip
    store = app.store()
    plan, chosen = _plan(store, where, specs, overwrite)
    before = {s.name: logged(s) for s in source_store.list_sources(store)}
    # every chosen source is new, or one the plan replaces
    added, failed = catalogue.import_specs(store, chosen, replace=True)
    now = {s.name: s for s in source_store.list_sources(store)}
    for name in added:
        was, after = before.get(name), logged(now[name])
        if was is None:
            audit.record(app, "source.import", target(now[name]), {}, after)
        else:
            audit.record(app, "source.import", target(now[name]), *audit.changed(was, after))
    skipped = [f"{e.name}: {e.reason}" for e in plan.entries if e.action == "skip"]
    skipped += [f"{e.name}: {EXISTS}" for e in plan.entries
                if e.action == "differs" or (e.action == "same" and not overwrite)]  # fmt: skip
    skipped += [f"{e.name}: unchanged" for e in plan.entries if e.action == "same" and overwrite]
    disabled = [n for n in added if not now[n].enabled]
    return Imported(list(added), disabled, skipped + list(failed))
