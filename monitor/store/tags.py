"""Storing the taxonomy (and its history), the tags given to calls, labels and models."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, func, insert, update
from sqlmodel import col, or_, select

from classifiers.taxonomy import RULE_FIELDS, Tag, Taxonomy, tag_from_dict
from classifiers.taxonomy import load_taxonomy as default_taxonomy
from monitor.errors import ConfigError
from monitor.store.db import Store, chunks
from monitor.store.tables import Call, CallTag, Label, Source, TagEvent, TagModelRow, TagRow


def _now() -> datetime:
    return datetime.now(UTC)


def tag_of(row: TagRow) -> Tag:
    """The tag a stored row holds (a retired one too)."""
    fields = {"id": row.id, "label_en": row.label_en, "label_sv": row.label_sv,
              "description": row.description, "parent": row.parent}  # fmt: skip
    return tag_from_dict({**fields, **row.rules})


def _rules(tag: Tag) -> dict[str, list[str]]:
    return {name: list(getattr(tag, name)) for name in RULE_FIELDS}


def tag_rows(store: Store, *, retired: bool = True) -> list[TagRow]:
    """Every stored tag in taxonomy order (seeding the default taxonomy on first use)."""
    seed(store)
    with store.session() as session:
        query = select(TagRow).order_by(col(TagRow.position), col(TagRow.id))
        if not retired:
            query = query.where(col(TagRow.retired_at).is_(None))
        return list(session.exec(query))


def active_taxonomy(store: Store) -> Taxonomy:
    """The taxonomy in force: the stored tags that are not retired."""
    return Taxonomy({row.id: tag_of(row) for row in tag_rows(store, retired=False)})


def seed(store: Store) -> bool:
    """Store the default taxonomy if no tag is stored yet; True if it did."""
    with store.session() as session:
        if session.exec(select(func.count()).select_from(TagRow)).one():
            return False
        now = _now()
        for position, tag in enumerate(default_taxonomy().tags.values()):
            session.add(_row(tag, position, now))
            session.add(TagEvent(tag_id=tag.id, kind="seeded", detail=tag.as_dict(), at=now))
        return True


def _row(tag: Tag, position: int, now: datetime) -> TagRow:
    return TagRow(id=tag.id, label_en=tag.label_en, label_sv=tag.label_sv,
                  description=tag.description, parent=tag.parent, rules=_rules(tag),
                  position=position, updated_at=now)  # fmt: skip


def save_tag(store: Store, tag: Tag, kind: str, detail: Mapping[str, Any]) -> None:
    """Add or replace ``tag`` (keeping its place) and record the change as ``kind``."""
    seed(store)
    now = _now()
    with store.session() as session:
        row = session.get(TagRow, tag.id)
        if row is None:
            last = session.exec(select(func.max(TagRow.position))).one()
            session.add(_row(tag, (last or 0) + 1, now))
        else:
            row.label_en, row.label_sv = tag.label_en, tag.label_sv
            row.description, row.parent, row.rules = tag.description, tag.parent, _rules(tag)
            row.updated_at = now
            session.add(row)
        session.add(TagEvent(tag_id=tag.id, kind=kind, detail=dict(detail), at=now))


def set_retired(store: Store, tag_id: str, retired: bool) -> None:
    now = _now()
    with store.session() as session:
        row = session.get(TagRow, tag_id)
        if row is None:
            raise ConfigError(f"unknown tag {tag_id!r}", hint="See `funding-monitor tags list`.")
        row.retired_at = now if retired else None
        row.updated_at = now
        session.add(row)
        session.add(TagEvent(tag_id=tag_id, kind="retired" if retired else "restored",
                             detail={}, at=now))  # fmt: skip
        if retired:
            session.execute(delete(CallTag).where(col(CallTag.tag_id) == tag_id))


def history(store: Store, tag_id: str | None = None) -> list[TagEvent]:
    with store.session() as session:
        query = select(TagEvent).order_by(col(TagEvent.id))
        if tag_id:
            query = query.where(TagEvent.tag_id == tag_id)
        return list(session.exec(query))


def usage(store: Store, tag_id: str) -> dict[str, int]:
    """How much depends on a tag: calls carrying it and labels naming it."""
    with store.session() as session:
        calls = session.exec(select(func.count()).where(CallTag.tag_id == tag_id)).one()
        labels = session.exec(select(func.count()).where(Label.tag_id == tag_id)).one()
        return {"calls": int(calls), "labels": int(labels)}


def counts(store: Store) -> dict[str, int]:
    """How many calls carry each tag (tags on no call are left out)."""
    with store.session() as session:
        query = select(CallTag.tag_id, func.count()).group_by(col(CallTag.tag_id))
        return {tag: int(n) for tag, n in session.exec(query)}


def replace_call_tags(
    store: Store,
    given: Mapping[int, Mapping[str, tuple[float, str, list[str]]]],
    tagged_with: str,
    now: datetime,
) -> None:
    """Set the tags of the calls in ``given`` (call id -> tag -> (score, origin, reasons)),
    replacing what they had, and mark them tagged ``tagged_with``."""
    ids = list(given)
    rows = [{"call_id": cid, "tag_id": tag, "score": s, "origin": o, "reasons": r}
            for cid, tags in given.items() for tag, (s, o, r) in tags.items()]  # fmt: skip
    with store.session() as session:
        for chunk in chunks(ids):
            session.execute(delete(CallTag).where(col(CallTag.call_id).in_(chunk)))
            session.execute(
                update(Call).where(col(Call.id).in_(chunk)).values(tagged_at=now,
                                                                   tagged_with=tagged_with)
            )  # fmt: skip
        for part in chunks(rows):
            session.execute(insert(CallTag), part)


def call_tags(store: Store, call_ids: Sequence[int] | None = None) -> dict[int, dict[str, CallTag]]:
    """Tags per call id (all calls when ``call_ids`` is None)."""
    if call_ids is None:
        queries = [select(CallTag)]
    else:
        ids = list(call_ids)
        queries = [select(CallTag).where(col(CallTag.call_id).in_(chunk))
                   for chunk in chunks(ids)]  # fmt: skip
    out: dict[int, dict[str, CallTag]] = {}
    with store.session() as session:
        for query in queries:
            for row in session.exec(query):
                out.setdefault(row.call_id, {})[row.tag_id] = row
    return out


def put_label(store: Store, call_id: int, tag_id: str, positive: bool) -> None:
    with store.session() as session:
        row = session.exec(
            select(Label).where(Label.call_id == call_id, Label.tag_id == tag_id)
        ).first()
        row = row or Label(call_id=call_id, tag_id=tag_id, positive=positive)
        row.positive, row.at = positive, _now()
        session.add(row)
        # the call is due for tagging again, so that the label takes effect in the stored tags
        session.execute(update(Call).where(col(Call.id) == call_id).values(tagged_at=None))


def labels(store: Store, call_ids: Iterable[int] | None = None) -> dict[int, dict[str, bool]]:
    """Labels per call id: tag -> positive."""
    out: dict[int, dict[str, bool]] = {}
    with store.session() as session:
        query = select(Label)
        if call_ids is not None:
            query = query.where(col(Label.call_id).in_(list(call_ids)))
        for row in session.exec(query):
            out.setdefault(row.call_id, {})[row.tag_id] = row.positive
    return out


def register_model(store: Store, row: TagModelRow, activate: bool) -> int:
    with store.session() as session:
        if activate:
            session.execute(update(TagModelRow).values(active=False))
        row.active = activate
        session.add(row)
        session.flush()
        assert row.id is not None
        return row.id


def activate_model(store: Store, model_id: int) -> None:
    with store.session() as session:
        if session.get(TagModelRow, model_id) is None:
            raise ConfigError(f"no model {model_id}", hint="See `funding-monitor models`.")
        session.execute(update(TagModelRow).values(active=False))
        session.execute(
            update(TagModelRow).where(col(TagModelRow.id) == model_id).values(active=True)
        )


def active_model(store: Store) -> TagModelRow | None:
    with store.session() as session:
        return session.exec(select(TagModelRow).where(col(TagModelRow.active).is_(True))).first()


def models(store: Store) -> list[TagModelRow]:
    with store.session() as session:
        return list(session.exec(select(TagModelRow).order_by(col(TagModelRow.id))))


def calls_page(
    store: Store, after_id: int, limit: int, *, due_for: str | None = None
) -> list[Call]:
    """Calls with id > ``after_id``, in id order, at most ``limit``. With ``due_for`` (a tagger
    name), only calls never tagged, tagged by another tagger, or changed since tagging."""
    query = select(Call).where(col(Call.id) > after_id).order_by(col(Call.id)).limit(limit)
    if due_for is not None:
        query = query.where(or_(
            col(Call.tagged_at).is_(None), col(Call.tagged_with) != due_for,
            col(Call.last_changed) > col(Call.tagged_at),
        ))  # fmt: skip
    with store.session() as session:
        return list(session.exec(query))


def call_texts(store: Store, after_id: int, limit: int) -> list[dict[str, Any]]:
    """What the tagger reads of the calls with id > ``after_id`` (id order, at most
    ``limit``): ``id``, ``source_id``, ``identifier``, ``title``, ``summary``, ``programme``,
    ``funder``; cheaper than whole calls (no description)."""
    fields = (Call.id, Call.source_id, Call.identifier, Call.title, Call.summary, Call.programme,
              Call.funder)  # fmt: skip
    query = (select(*(col(f) for f in fields)).where(col(Call.id) > after_id)
             .order_by(col(Call.id)).limit(limit))  # fmt: skip
    with store.session() as session:
        return [dict(row._mapping) for row in session.execute(query)]


def source_countries(store: Store) -> dict[int, tuple[str, ...]]:
    """Per source id, the countries its curators noted for its funder (``info.countries``),
    for the sources that have any."""
    with store.session() as session:
        rows = session.execute(select(col(Source.id), col(Source.info)))
        found = {source_id: info.get("countries") for source_id, info in rows
                 if isinstance(info, dict)}  # fmt: skip
    return {source_id: tuple(c for c in given if isinstance(c, str))
            for source_id, given in found.items() if isinstance(given, list) and given}  # fmt: skip


def calls_by_id(store: Store, ids: Iterable[int]) -> dict[int, Call]:
    wanted = list(ids)
    out: dict[int, Call] = {}
    with store.session() as session:
        for chunk in chunks(wanted):
            query = select(Call).where(col(Call.id).in_(chunk))
            out.update({c.id: c for c in session.exec(query) if c.id is not None})
    return out
