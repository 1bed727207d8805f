"""The taxonomy as admins edit it: list, show, add, rename, edit rules, retire and restore,
import and export, its history. Every change is validated against the other tags, kept in
the taxonomy's history and in the audit log. ``preview`` says, before anything is saved,
which stored calls an edit would give the tag or take it from, by running the tagger in force
with the edited taxonomy over every stored call; ``apply`` saves the edit and re-tags those
calls at once."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
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
from monitor.app import audit
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


def _save(app: App, taxonomy: Taxonomy, tag: Tag, kind: str, detail: dict[str, Any],
          action: str, old: Tag | None = None) -> None:  # fmt: skip
    taxonomy.with_tag(tag)  # validates the tag and its parent against the others
    tag_store.save_tag(app.store(), tag, kind, detail)
    before, after = audit.changed(old.as_dict() if old else {}, tag.as_dict())
    audit.record(app, action, _target(tag), before, after)


def _target(tag: Tag) -> str:
    return f"tag {tag.id} ({tag.label_en})"


def add(app: App, tag: Tag) -> None:
    store = app.store()
    if tag.id in {r.id for r in tag_store.tag_rows(store)}:
        raise ConfigError(f"tag {tag.id!r} exists", hint="Use `tags edit` or `tags restore`.")
    _save(app, tag_store.active_taxonomy(store), tag, "added", tag.as_dict(), "tag.add")


def rename(app: App, tag_id: str, label_en: str | None, label_sv: str | None) -> Tag:
    taxonomy = tag_store.active_taxonomy(app.store())
    old = taxonomy.get(tag_id)
    tag = renamed(old, label_en, label_sv)
    _save(app, taxonomy, tag, "renamed", {"from": [old.label_en, old.label_sv],
                                          "to": [tag.label_en, tag.label_sv]},
          "tag.rename", old)  # fmt: skip
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
    old = taxonomy.get(tag_id)
    tag = edited(old, change)
    _save(app, taxonomy, tag, "edited", {"set": list(change.sets), "add": list(change.adds),
                                         "remove": list(change.removes)},
          "tag.edit", old)  # fmt: skip
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
        taxonomy = tag_store.active_taxonomy(app.store())
        _save(app, taxonomy, tag, "imported", tag.as_dict(), "tag.import",
              taxonomy.tags.get(tag.id))  # fmt: skip
    return len(tags)


@dataclass(frozen=True)
class Follower:
    """A subscriber whose filter follows a tag, as safe to show: its kind, and the address
    with a webhook's secret part blanked (``shown``: the two together)."""

    id: int
    kind: str
    address: str
    name: str

    @property
    def shown(self) -> str:
        return f"{self.kind} {self.address}"


def _follower(row: Subscriber) -> Follower:
    from monitor.app.subscribers import shown_address

    return Follower(row.id or 0, row.kind, shown_address(row, kind=False), row.name)


@dataclass(frozen=True)
class Retirement:
    """What retiring a tag touches: the calls that carry it, the labels that name it, and the
    subscribers who follow it. ``done``: whether it was retired."""

    calls: int
    labels: int
    followers: list[Follower]
    done: bool


def retire(app: App, tag_id: str, *, force: bool = False) -> Retirement:
    """Retire a tag (its history and labels stay). A tag in use is retired only with
    ``force``; without it the answer says what it would touch, and nothing changes."""
    store = app.store()
    taxonomy = tag_store.active_taxonomy(store)
    taxonomy.without(tag_id)  # refuses a tag that still has sub-tags
    used = tag_store.usage(store, tag_id)
    followers = [_follower(row) for row in following(store, tag_id)]
    if (used["calls"] or used["labels"] or followers) and not force:
        return Retirement(used["calls"], used["labels"], followers, False)
    tag_store.set_retired(store, tag_id, True)
    audit.record(app, "tag.retire", _target(taxonomy.get(tag_id)), {"retired": False},
                 {"retired": True, "calls": used["calls"],
                  "followers": [f.id for f in followers]})  # fmt: skip
    return Retirement(used["calls"], used["labels"], followers, True)


def restore(app: App, tag_id: str) -> None:
    """Bring a retired tag back (the calls get it again when they are next classified)."""
    store = app.store()
    row = next((r for r in tag_store.tag_rows(store) if r.id == tag_id), None)
    was = row is not None and row.retired_at is not None
    tag_store.set_retired(store, tag_id, False)  # ConfigError for an unknown tag
    if row is not None and was:
        audit.record(app, "tag.restore", _target(tag_store.tag_of(row)), {"retired": True},
                     {"retired": False})  # fmt: skip


# --- what the admins' pages read ---------------------------------------------------------


@dataclass(frozen=True)
class TagInfo:
    """A tag (a plain ``Tag``: fields and rules), whether it is retired, how many calls carry
    it and how many subscribers follow it."""

    tag: Tag
    retired: bool
    calls: int
    followers: int


@dataclass(frozen=True)
class Overview:
    """The taxonomy as a tree: each top-level tag in force with its sub-tags; retired apart."""

    tree: list[tuple[TagInfo, list[TagInfo]]]
    retired: list[TagInfo]


@dataclass(frozen=True)
class Change:
    """One entry of a tag's history: seeded, added, renamed, edited, imported, retired,
    restored, with what changed."""

    at: datetime
    kind: str
    detail: dict[str, Any]


@dataclass(frozen=True)
class TagPage:
    """One tag with what depends on it, its history (oldest first), and the tags it may have
    as a parent (top-level tags in force other than itself)."""

    info: TagInfo
    children: list[str]
    followers: list[Follower]
    history: list[Change]
    parents: list[Tag]


def _infos(app: App) -> list[TagInfo]:
    from monitor.store.subscribers import list_subscribers

    store = app.store(create=False)
    carried = tag_store.counts(store)
    followed: dict[str, int] = {}
    for row in list_subscribers(store, active_only=True):
        for tag_id in set(row.filters.get("tags", [])):
            followed[tag_id] = followed.get(tag_id, 0) + 1
    return [TagInfo(tag_store.tag_of(r), r.retired_at is not None, carried.get(r.id, 0),
                    followed.get(r.id, 0)) for r in tag_store.tag_rows(store)]  # fmt: skip


def overview(app: App) -> Overview:
    infos = _infos(app)
    live = [i for i in infos if not i.retired]
    tree = [(i, [c for c in live if c.tag.parent == i.tag.id]) for i in live if not i.tag.parent]
    return Overview(tree, [i for i in infos if i.retired])


def page(app: App, tag_id: str) -> TagPage | None:
    """One tag (retired or not) for its page; None for an unknown id."""
    infos = _infos(app)
    info = next((i for i in infos if i.tag.id == tag_id), None)
    if info is None:
        return None
    store = app.store(create=False)
    live = [i.tag for i in infos if not i.retired]
    return TagPage(
        info, [t.id for t in live if t.parent == tag_id],
        [_follower(row) for row in following(store, tag_id)],
        [Change(e.at or datetime.min, e.kind, dict(e.detail))
         for e in tag_store.history(store, tag_id)],
        [t for t in live if t.parent is None and t.id != tag_id],
    )  # fmt: skip


def change_to(tag: Tag, description: str, parent: str | None,
              rules: Mapping[str, Sequence[str]]) -> Edit:  # fmt: skip
    """The ``Edit`` that turns ``tag`` into one with this description, parent and rule lists
    (each item stripped; blanks and repeats dropped); a list not given stays."""
    sets = [f"description={description}"] if description != tag.description else []
    if (parent or None) != tag.parent:
        sets.append(f"parent={parent or ''}")
    adds, removes = [], []
    for name in RULE_FIELDS:
        if name not in rules:
            continue
        wanted = list(dict.fromkeys(i.strip() for i in rules[name] if i.strip()))
        old = getattr(tag, name)
        adds += [f"{name}={i}" for i in wanted if i not in old]
        removes += [f"{name}={i}" for i in old if i not in wanted]
    return Edit(sets, adds, removes)


# --- the preview of an edit, and saving it -----------------------------------------------


@dataclass(frozen=True)
class CallLine:
    id: int
    identifier: str
    title: str


@dataclass(frozen=True)
class Shift:
    """The stored calls one tag would be given (``gained``) or lose, in id order."""

    tag_id: str
    gained: list[CallLine]
    lost: list[CallLine]


@dataclass(frozen=True)
class Preview:
    """What saving ``tag`` would change: the calls run (``checked``), the shifts (the tag's
    first, then any other tag's, e.g. its parent's), by which tagger, how the tag is decided
    (its rules alone, the model alone, or either), in how many seconds; ``key`` names exactly
    this edited tag (a save can check it is what was previewed)."""

    tag: Tag
    key: str
    checked: int
    shifts: list[Shift]
    tagger: str
    warning: str | None
    decided_by: str  # rules | model | union; "" for a tag with sub-tags (they decide)
    seconds: float

    @property
    def calls(self) -> list[int]:
        """Every call whose tags change."""
        return sorted({c.id for s in self.shifts for c in (*s.gained, *s.lost)})


def key_of(tag: Tag) -> str:
    import hashlib
    import json

    text = json.dumps(tag.as_dict(), sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


class _Once:
    """The active model for the taggers of a preview: the scores of the documents last asked
    for are computed once (every tagger of a preview has the same model)."""

    def __init__(self, model: Any) -> None:
        self.model, self.tags = model, model.tags
        self._docs: object = None
        self._scores: list[dict[str, float]] = []

    def scores(self, docs: Sequence[Any]) -> list[dict[str, float]]:
        if docs is not self._docs:
            self._docs, self._scores = docs, self.model.scores(docs)
        return self._scores


PROBE = ("probe-before", "probe-after")


def _probes(before: Taxonomy, tag: Tag, moved: bool, model: Any, how: Any) -> Any:
    """Taggers that say, per call, whether the tag's own rules fire before and after the
    edit: one tagger of a taxonomy of the two rule sets as two tags (one pass over the calls
    matches both); when the tag moves to another parent, whether the tag is given at all,
    its model score included, on either side (two taggers of the tag alone)."""
    from classifiers.tagger import Tagger

    old = before.tags.get(tag.id)
    if not moved:
        sides = {name: replace(t, id=name, parent=None)
                 for name, t in zip(PROBE, (old, tag), strict=True) if t is not None}  # fmt: skip
        return [Tagger(Taxonomy(sides))]
    return [Tagger(Taxonomy({tag.id: replace(t, parent=None)}), model, how)
            for t in (old, tag) if t is not None]  # fmt: skip


def _candidates(probes: list[Any], tag_id: str, moved: bool, docs: list[Any]) -> list[int]:
    """The documents the edit can change: its rules say something else on them, or (moved)
    it is given on either side."""
    if not moved:
        found = probes[0].tag(docs)
        return [i for i, r in enumerate(found) if (PROBE[0] in r.scores) != (PROBE[1] in r.scores)]
    given = [[tag_id in r.scores for r in p.tag(docs)] for p in probes]
    return [i for i in range(len(docs)) if any(side[i] for side in given)]


def _preview(app: App, tag: Tag) -> Preview:
    """Tag the stored calls with the tagger in force (the stored taxonomy, the active model
    and its per-tag combination) and with the same tagger on the taxonomy with ``tag`` added
    or replaced, labels overriding as in classification (``given_tags``), and compare.

    Only calls on which the tag's own rules say something else can change (or, when it moves
    to another parent, those it is given on either side; a tag with sub-tags has its calls
    from theirs, which the edit leaves alone): a first pass finds them among every call
    (``_probes``, cheap), the second runs both whole taggers over those calls only."""
    import time

    from classifiers.tagger import Tagger
    from monitor.tagging.classify import BATCH, active_tagger, given_tags
    from monitor.tagging.documents import documents

    started = time.perf_counter()
    store = app.store(create=False)
    active = active_tagger(store, app.settings, bootstrap=False)
    before = active.tagger.taxonomy
    after = before.with_tag(tag)  # validated against the other tags
    row = tag_store.active_model(store) if active.tagger.model else None
    how = (row and dict(row.combination)) or "union"
    model = _Once(active.tagger.model) if active.tagger.model else None
    old, new = Tagger(before, model, how), Tagger(after, model, how)  # type: ignore[arg-type]
    moved = tag.id in before.tags and before.tags[tag.id].parent != tag.parent
    probes = [] if after.children(tag.id) else _probes(before, tag, moved, model, how)
    labels = tag_store.labels(store)
    gained: dict[str, list[CallLine]] = {}
    lost: dict[str, list[CallLine]] = {}
    checked, last = 0, 0
    while calls := tag_store.call_texts(store, last, BATCH):
        docs = documents(store, calls)
        picked = _candidates(probes, tag.id, moved, docs) if probes else []
        few = [docs[i] for i in picked]
        for i, was, now in zip(picked, old.tag(few), new.tag(few), strict=True):
            call, mine = calls[i], labels.get(calls[i]["id"], {})
            then, later = set(given_tags(was, mine, before)), set(given_tags(now, mine, after))
            line = CallLine(call["id"], call["identifier"], call["title"])
            for t in later - then:
                gained.setdefault(t, []).append(line)
            for t in then - later:
                lost.setdefault(t, []).append(line)
        checked += len(calls)
        last = calls[-1]["id"]
    shifted = sorted(set(gained) | set(lost), key=lambda t: (t != tag.id, t))
    shifts = [Shift(t, gained.get(t, []), lost.get(t, [])) for t in shifted]
    return Preview(tag, key_of(tag), checked, shifts, active.name, active.warning,
                   new.combination.get(tag.id, ""),
                   round(time.perf_counter() - started, 3))  # fmt: skip


def preview(app: App, tag_id: str, change: Edit) -> Preview:
    """Which stored calls ``change`` of a tag in force would give it or take it from (and
    its parent…); nothing is saved. TaxonomyError for an unknown tag, ConfigError or
    TaxonomyError for an edit that is not valid."""
    return _preview(app, edited(get(app, tag_id), change))


def preview_new(app: App, tag: Tag) -> Preview:
    """Which stored calls a new tag would be given; nothing is saved."""
    if tag.id in {r.id for r in tag_store.tag_rows(app.store(create=False))}:
        raise ConfigError(f"tag {tag.id!r} exists", hint="Edit it on its own page.")
    return _preview(app, tag)


@dataclass(frozen=True)
class Applied:
    """An edit saved (``saved``) and the calls re-tagged at once, or, when the edit was not
    the one previewed, nothing saved and the preview of the edit as given."""

    preview: Preview
    saved: bool
    retagged: int


def apply(app: App, tag_id: str, change: Edit, previewed: str | None = None) -> Applied:
    """Save an edit of a tag (as ``edit``) and re-tag the stored calls it changes with the
    tagger in force, so that they carry (or lose) the tag at once; the others are re-tagged
    by the next classification, as after any taxonomy change. ``previewed``: the preview's
    ``key``; an edit other than that one is previewed again, not saved."""
    from monitor.tagging.classify import classify_calls

    found = preview(app, tag_id, change)
    if previewed is not None and previewed != found.key:
        return Applied(found, False, 0)
    edit(app, tag_id, change)
    done = classify_calls(app.store(), app.settings, found.calls, now=app.now())
    return Applied(found, True, done.tagged)


def create(app: App, tag: Tag) -> Applied:
    """Add a tag (as ``add``) and give it at once to the stored calls the tagger in force
    gives it."""
    from monitor.tagging.classify import classify_calls

    found = preview_new(app, tag)
    add(app, tag)
    done = classify_calls(app.store(), app.settings, found.calls, now=app.now())
    return Applied(found, True, done.tagged)
