"""The taxonomy as admins edit it: list, show, add, rename, edit rules, retire and restore,
import and export, its history. Every change is validated against the other tags and kept
in the taxonomy's history."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from classifiers.taxonomy import (
    RULE_FIELDS,
    SCALAR_FIELDS,
    Tag,
    Taxonomy,
    dump_taxonomy,
    parse_taxonomy,
    renamed,
)
from monitor.app.context import App
from monitor.errors import ConfigError
from monitor.store import tags as tag_store
from monitor.store.subscribers import following
from monitor.store.tables import Subscriber, TagEvent, TagRow

SCALARS = SCALAR_FIELDS


def rows(app: App, *, retired: bool = False) -> list[TagRow]:
    """The tags in force (with ``retired``, the retired ones too), parents before sub-tags."""
    return tag_store.tag_rows(app.store(create=False), retired=retired)


def get(app: App, tag_id: str) -> Tag:
    """One tag in force with its rules; TaxonomyError naming the valid ones if unknown."""
    return tag_store.active_taxonomy(app.store(create=False)).get(tag_id)


def export(app: App) -> str:
    """The taxonomy in force as TOML (what ``import_file`` reads)."""
    return dump_taxonomy(tag_store.active_taxonomy(app.store(create=False)))


def history(app: App, tag_id: str | None = None) -> list[TagEvent]:
    return tag_store.history(app.store(create=False), tag_id)


def _save(app: App, taxonomy: Taxonomy, tag: Tag, kind: str, detail: dict[str, Any]) -> None:
    taxonomy.with_tag(tag)  # validates the tag and its parent against the others
    tag_store.save_tag(app.store(), tag, kind, detail)


def add(app: App, tag: Tag) -> None:
    store = app.store()
    if tag.id in {r.id for r in tag_store.tag_rows(store)}:
        raise ConfigError(f"tag {tag.id!r} exists", hint="Use `tags edit` or `tags restore`.")
    _save(app, tag_store.active_taxonomy(store), tag, "added", tag.as_dict())


def rename(app: App, tag_id: str, label_en: str | None, label_sv: str | None) -> Tag:
    taxonomy = tag_store.active_taxonomy(app.store())
    old = taxonomy.get(tag_id)
    tag = renamed(old, label_en, label_sv)
    _save(app, taxonomy, tag, "renamed", {"from": [old.label_en, old.label_sv],
                                          "to": [tag.label_en, tag.label_sv]})  # fmt: skip
    return tag


@dataclass(frozen=True)
class Edit:
    """A change of one tag: ``sets`` are FIELD=VALUE for the scalar fields; ``adds`` and
    ``removes`` are RULES=TEXT for the rule lists."""

    sets: Sequence[str] = ()
    adds: Sequence[str] = ()
    removes: Sequence[str] = ()


def edit(app: App, tag_id: str, change: Edit) -> Tag:
    taxonomy = tag_store.active_taxonomy(app.store())
    tag = edited(taxonomy.get(tag_id), change)
    _save(app, taxonomy, tag, "edited", {"set": list(change.sets), "add": list(change.adds),
                                         "remove": list(change.removes)})  # fmt: skip
    return tag


def edited(tag: Tag, change: Edit) -> Tag:
    """``tag`` with ``change`` applied (pure); ConfigError for a field or rule that is not."""
    changes: dict[str, Any] = {}
    for item in change.sets:
        field, _, value = item.partition("=")
        if field not in SCALARS:
            raise ConfigError(f"cannot set {field!r}", hint=f"Settable: {', '.join(SCALARS)}.")
        changes[field] = value or None if field == "parent" else value
    for option, items_given in (("add", change.adds), ("remove", change.removes)):
        for item in items_given:
            field, _, value = item.partition("=")
            if field not in RULE_FIELDS or not value:
                raise ConfigError(f"--{option} {item!r}: use RULES=TEXT",
                                  hint=f"Rule lists: {', '.join(RULE_FIELDS)}.")  # fmt: skip
            items = list(changes.get(field, getattr(tag, field)))
            if option == "add" and value not in items:
                items.append(value)
            elif option == "remove":
                if value not in items:
                    raise ConfigError(f"tag {tag.id!r} has no {field} rule {value!r}")
                items.remove(value)
            changes[field] = tuple(items)
    return replace(tag, **changes)


def import_file(app: App, file: Path) -> int:
    """Add or replace the tags of a TOML file: how many."""
    try:
        text = file.read_text("utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read {file}: {exc.strerror}") from exc
    tags = list(parse_taxonomy(text, str(file)).tags.values())
    for tag in tags:
        _save(app, tag_store.active_taxonomy(app.store()), tag, "imported", tag.as_dict())
    return len(tags)


@dataclass(frozen=True)
class Retirement:
    """What retiring a tag touches: the calls that carry it, the labels that name it, and the
    subscribers who follow it. ``done``: whether it was retired."""

    calls: int
    labels: int
    followers: list[Subscriber]
    done: bool


def retire(app: App, tag_id: str, *, force: bool = False) -> Retirement:
    """Retire a tag (its history and labels stay). A tag in use is retired only with
    ``force``; without it the answer says what it would touch, and nothing changes."""
    store = app.store()
    tag_store.active_taxonomy(store).without(tag_id)  # refuses a tag that still has sub-tags
    used = tag_store.usage(store, tag_id)
    followers = following(store, tag_id)
    if (used["calls"] or used["labels"] or followers) and not force:
        return Retirement(used["calls"], used["labels"], followers, False)
    tag_store.set_retired(store, tag_id, True)
    return Retirement(used["calls"], used["labels"], followers, True)


def restore(app: App, tag_id: str) -> None:
    tag_store.set_retired(app.store(), tag_id, False)
