"""The curated catalogue of sources, and a curator's list in and out: TOML (every kind) and
OPML (feeds, for feed readers)."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from importlib.resources import files
from typing import Any
from xml.etree import ElementTree

import tomli_w
from lxml import etree

from monitor.config import every_text, seconds_of
from monitor.errors import ConfigError
from monitor.store import sources as source_store
from monitor.store.db import Store
from monitor.store.tables import Source
from sources.errors import SettingError
from sources.registry import get_kind
from sources.settings import validate

INFO_KEYS = ("funder", "regions", "countries", "verified", "note")


@dataclass(frozen=True)
class SourceSpec:
    """A source as a curator writes it down."""

    name: str
    kind: str
    url: str
    settings: dict[str, str] = field(default_factory=dict)
    enabled: bool = True
    info: dict[str, Any] = field(default_factory=dict)
    every: int | None = None  # seconds between scheduled fetches


def load_catalogue() -> list[SourceSpec]:
    """The catalogue shipped with the package (monitor/data/catalogue.toml)."""
    text = (files("monitor") / "data" / "catalogue.toml").read_text(encoding="utf-8")
    return read_toml(text, "the built-in catalogue")


def read_toml(text: str, where: str) -> list[SourceSpec]:
    """Specs from ``[[source]]`` tables; ConfigError naming the entry and what is wrong."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{where} is not valid TOML: {exc}") from exc
    specs = []
    for index, entry in enumerate(data.get("source", [])):
        missing = [key for key in ("name", "kind", "url") if not entry.get(key)]
        if missing:
            raise ConfigError(f"{where}: source #{index + 1} lacks {', '.join(missing)}")
        settings = {str(k): _text(v) for k, v in (entry.get("settings") or {}).items()}
        info = {key: entry[key] for key in INFO_KEYS if key in entry}
        enabled = bool(entry.get("enabled", info.get("verified", True)))
        try:
            every = seconds_of(str(entry["every"])) if "every" in entry else None
        except ConfigError as exc:
            raise ConfigError(f"{where}: source {entry['name']!r}: {exc}") from exc
        specs.append(SourceSpec(str(entry["name"]), str(entry["kind"]), str(entry["url"]),
                                settings, enabled, info, every))  # fmt: skip
    return specs


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ",".join(str(v) for v in value)
    return str(value)


def write_toml(sources: Iterable[Source]) -> str:
    """Every source as TOML that ``read_toml`` reads back to the same sources."""
    entries = []
    for source in sources:
        entry: dict[str, Any] = {"name": source.name, "kind": source.kind, "url": source.url,
                                 "enabled": source.enabled}  # fmt: skip
        entry.update({k: source.info[k] for k in INFO_KEYS if k in source.info})
        if source.every:
            entry["every"] = every_text(source.every)
        entry["settings"] = dict(source.settings)
        entries.append(entry)
    return tomli_w.dumps({"source": entries})


def write_opml(sources: Iterable[Source]) -> str:
    """Feed sources as OPML 2.0 outlines (what feed readers import)."""
    root = ElementTree.Element("opml", version="2.0")
    head = ElementTree.SubElement(root, "head")
    ElementTree.SubElement(head, "title").text = "funding-monitor feed sources"
    body = ElementTree.SubElement(root, "body")
    for source in sources:
        if source.kind == "feed":
            ElementTree.SubElement(body, "outline", type="rss", text=source.name,
                                   title=str(source.info.get("funder") or source.name),
                                   xmlUrl=source.url)  # fmt: skip
    ElementTree.indent(root)
    return ElementTree.tostring(root, encoding="unicode", xml_declaration=True) + "\n"


def read_opml(content: bytes, where: str) -> list[SourceSpec]:
    """Feed specs from OPML outlines with an xmlUrl (entities and network access refused)."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)
    try:
        root = etree.fromstring(content, parser)
    except etree.XMLSyntaxError as exc:
        raise ConfigError(f"{where} is not valid OPML: {exc}") from exc
    specs = []
    for outline in root.iter("outline"):
        url = outline.get("xmlUrl")
        if url:
            label = outline.get("text") or outline.get("title") or url
            name = re.sub(r"[^a-z0-9]+", "-", label.lower()).strip("-")[:60] or "feed"
            info = {"funder": outline.get("title")} if outline.get("title") else {}
            specs.append(SourceSpec(name, "feed", url, {}, True, info))
    return specs


def _shown(name: str) -> str:
    """A name as a skipped line shows it: as is when it is a valid name, else quoted (repr:
    control characters escaped), so that no entry can write a line of its own."""
    return name if source_store.NAME.fullmatch(name) else repr(name[:80])


def import_specs(
    store: Store, specs: Sequence[SourceSpec], *, replace: bool = False
) -> tuple[list[str], list[str]]:
    """Add (or with ``replace``, overwrite) sources; returns (added, skipped with reason).
    Each spec is validated on its own: one bad entry does not stop the others."""
    existing = {s.name for s in source_store.list_sources(store)}
    added, skipped = [], []
    for spec in specs:
        try:
            source_store.check_name(spec.name)
            source_store.check_url(spec.url)
            kind = get_kind(spec.kind)
            validate(kind.name, kind.settings, spec.settings)
        except (SettingError, ConfigError) as exc:
            skipped.append(f"{_shown(spec.name)}: {exc}")
            continue
        if spec.name in existing:
            if not replace:
                skipped.append(f"{spec.name}: exists (use --replace to overwrite)")
                continue
            source_store.remove_source(store, spec.name)
        source_store.add_source(store, spec.name, spec.kind, spec.url, spec.settings,
                                enabled=spec.enabled, info=spec.info, every=spec.every)  # fmt: skip
        added.append(spec.name)
    return added, skipped
