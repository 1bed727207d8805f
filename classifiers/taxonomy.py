"""The tags: ids, labels in English and Swedish, parents, and the seed rules, read from TOML.

A ``Taxonomy`` is a plain value: an ordered mapping of tag id to ``Tag``. It knows the parent of
each tag, so that a call given a sub-tag also carries its parent (``with_parents``).
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from importlib import resources
from pathlib import Path
from typing import Any

from classifiers.errors import TaxonomyError

ID = re.compile(r"^[a-z][a-z0-9-]{1,39}$")
RULE_FIELDS = (
    "phrases", "negative", "programmes", "identifiers", "funders", "countries", "requires",
)  # fmt: skip
SCALAR_FIELDS = ("label_en", "label_sv", "description", "parent")  # the rest of a tag


@dataclass(frozen=True)
class Tag:
    """One tag and its seed rules (each a tuple of phrases; see ``classifiers.rules``)."""

    id: str
    label_en: str
    label_sv: str
    description: str = ""
    parent: str | None = None
    phrases: tuple[str, ...] = ()
    negative: tuple[str, ...] = ()
    programmes: tuple[str, ...] = ()
    identifiers: tuple[str, ...] = ()
    funders: tuple[str, ...] = ()
    countries: tuple[str, ...] = ()
    # Evidence the tag needs (phrases of the title, programme, funder or summary): without one,
    # neither its rules nor the model give it (a US funder for ``north-america``).
    requires: tuple[str, ...] = ()

    def label(self, language: str) -> str:
        return self.label_sv if language == "sv" else self.label_en

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"id": self.id, "label_en": self.label_en, "label_sv": self.label_sv,
                               "description": self.description}  # fmt: skip
        if self.parent:
            out["parent"] = self.parent
        for name in RULE_FIELDS:
            out[name] = list(getattr(self, name))
        return out


@dataclass(frozen=True)
class Taxonomy:
    """Tags by id, in file order."""

    tags: Mapping[str, Tag] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for tag in self.tags.values():
            if tag.parent is not None and tag.parent not in self.tags:
                raise TaxonomyError(f"tag {tag.id!r}: parent {tag.parent!r} is not a tag")
            if tag.parent is not None and self.tags[tag.parent].parent is not None:
                raise TaxonomyError(f"tag {tag.id!r}: parent {tag.parent!r} has a parent itself")

    @property
    def ids(self) -> list[str]:
        return list(self.tags)

    def children(self, tag_id: str) -> list[str]:
        return [t.id for t in self.tags.values() if t.parent == tag_id]

    def leaves(self) -> list[str]:
        """Tags a model learns: every tag without children (parents follow from them)."""
        return [t for t in self.tags if not self.children(t)]

    def with_parents(self, tag_ids: Iterable[str]) -> set[str]:
        """The tags plus the parent of each."""
        out = {t for t in tag_ids if t in self.tags}
        out |= {p for t in list(out) if (p := self.tags[t].parent)}
        return out

    def get(self, tag_id: str) -> Tag:
        try:
            return self.tags[tag_id]
        except KeyError:
            raise TaxonomyError(
                f"unknown tag {tag_id!r}", hint=f"Known tags: {', '.join(self.tags)}"
            ) from None

    def with_tag(self, tag: Tag) -> Taxonomy:
        """A copy with ``tag`` added or replaced (validated)."""
        check_tag(tag)
        return Taxonomy({**self.tags, tag.id: tag})

    def without(self, tag_id: str) -> Taxonomy:
        self.get(tag_id)
        if self.children(tag_id):
            raise TaxonomyError(
                f"tag {tag_id!r} has sub-tags: {', '.join(self.children(tag_id))}",
                hint="Retire or move its sub-tags first.",
            )
        return Taxonomy({k: v for k, v in self.tags.items() if k != tag_id})


def check_tag(tag: Tag) -> None:
    if not ID.match(tag.id):
        raise TaxonomyError(
            f"invalid tag id {tag.id!r}",
            hint="Use 2–40 lower-case letters, digits and hyphens, starting with a letter.",
        )
    if not tag.label_en.strip() or not tag.label_sv.strip():
        raise TaxonomyError(f"tag {tag.id!r}: both an English and a Swedish label are needed")


def tag_from_dict(data: Mapping[str, Any]) -> Tag:
    """A Tag from a TOML table or stored JSON; says which field is wrong."""
    where = f"tag {data.get('id')!r}" if data.get("id") else "a tag without an id"
    try:
        values: dict[str, Any] = {
            "id": str(data["id"]), "label_en": str(data["label_en"]),
            "label_sv": str(data["label_sv"]), "description": str(data.get("description", "")),
            "parent": data.get("parent") or None,
        }  # fmt: skip
    except KeyError as exc:
        raise TaxonomyError(f"{where}: missing field {exc.args[0]!r}") from None
    for name in RULE_FIELDS:
        items = data.get(name, [])
        if not isinstance(items, list) or not all(isinstance(i, str) and i.strip() for i in items):
            raise TaxonomyError(f"{where}: {name!r} must be a list of non-empty strings")
        values[name] = tuple(i.strip() for i in items)
    tag = Tag(**values)
    check_tag(tag)
    return tag


def taxonomy_from_dicts(items: Iterable[Mapping[str, Any]]) -> Taxonomy:
    tags: dict[str, Tag] = {}
    for item in items:
        tag = tag_from_dict(item)
        if tag.id in tags:
            raise TaxonomyError(f"tag {tag.id!r} is defined twice")
        tags[tag.id] = tag
    return Taxonomy(tags)


def parse_taxonomy(text: str, origin: str = "taxonomy") -> Taxonomy:
    """A Taxonomy from TOML text (``[[tag]]`` tables)."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise TaxonomyError(f"{origin}: not valid TOML: {exc}") from exc
    tags = data.get("tag")
    if not isinstance(tags, list) or not tags:
        raise TaxonomyError(f"{origin}: no [[tag]] tables")
    return taxonomy_from_dicts(tags)


def load_taxonomy(path: str | Path | None = None) -> Taxonomy:
    """The taxonomy in ``path``, or the default one shipped with the package."""
    if path is None:
        text = resources.files("classifiers").joinpath("data/taxonomy.toml").read_text("utf-8")
        return parse_taxonomy(text, "default taxonomy")
    try:
        return parse_taxonomy(Path(path).read_text("utf-8"), str(path))
    except OSError as exc:
        raise TaxonomyError(f"cannot read {path}: {exc.strerror}") from exc


def dump_taxonomy(taxonomy: Taxonomy) -> str:
    """TOML text that ``parse_taxonomy`` reads back to the same taxonomy."""
    import tomli_w

    return tomli_w.dumps({"version": 1, "tag": [t.as_dict() for t in taxonomy.tags.values()]})


def renamed(tag: Tag, label_en: str | None, label_sv: str | None) -> Tag:
    return replace(tag, label_en=label_en or tag.label_en, label_sv=label_sv or tag.label_sv)
