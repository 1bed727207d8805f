"""Writing calls: the idempotent upsert of a listing, with typed change events."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from typing import Any

from sqlalchemy import insert, update
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from monitor.store.db import Store, chunks
from monitor.store.links import link_new_calls
from monitor.store.sources import RunCounts
from monitor.store.tables import Call, CallChange, Source
from sources.records import CallRecord, Deadline
from sources.text import html_to_text

SUMMARY_CHARS = 6000
# Fields whose change is reported as ``details_changed`` (the others have typed events).
_DETAILS = (
    "url",
    "funder",
    "programme",
    "call_identifier",
    "call_title",
    "action_types",
    "keywords",
    "description",
    "source_status",
    "flags",
    "identifier",
)


def deadline_json(deadline: Deadline) -> dict[str, Any]:
    return {"at": deadline.at.isoformat(), "raw": deadline.raw, "date_only": deadline.date_only}


def deadline_from_json(value: dict[str, Any]) -> Deadline:
    return Deadline(datetime.fromisoformat(value["at"]), value.get("raw", ""), value["date_only"])


def record_of(call: Call) -> CallRecord:
    """The record a stored call holds (``record_values`` the other way; the opening in UTC)."""
    return CallRecord(
        external_id=call.external_id, identifier=call.identifier, title=call.title,
        url=call.url, funder=call.funder, programme=call.programme, status=call.status,
        description=call.description, call_identifier=call.call_identifier,
        call_title=call.call_title, action_types=tuple(call.action_types), opens=call.opens,
        deadlines=tuple(deadline_from_json(d) for d in call.deadlines), budget=call.budget,
        currency=call.currency, keywords=tuple(call.keywords), source_status=call.source_status,
        flags=tuple(call.flags),
    )  # fmt: skip


def _utc(value: datetime | None) -> datetime | None:
    return value.astimezone(UTC) if value is not None else None


def record_values(record: CallRecord) -> dict[str, Any]:
    """The columns a record sets, except the derived ``summary`` (costly; see ``_with_summary``)."""
    return {
        "external_id": _key(record.external_id),
        "identifier": _key(record.identifier),
        "title": record.title,
        "description": record.description,
        "url": record.url,
        "funder": _clip(record.funder),
        "programme": _clip(record.programme),
        "call_identifier": _key(record.call_identifier),
        "call_title": record.call_title,
        "action_types": list(record.action_types),
        "opens": _utc(record.opens),
        "deadlines": [deadline_json(d) for d in record.deadlines],
        "last_deadline": _utc(max((d.at for d in record.deadlines), default=None)),
        "status": record.status,
        "source_status": record.source_status,
        "budget": record.budget,
        "currency": record.currency,
        "keywords": list(record.keywords),
        "flags": list(record.flags),
    }


# The short text columns are VARCHAR(300): PostgreSQL refuses longer values (SQLite does not),
# and one Grants.gov opportunity listing dozens of programmes would fail its whole source.
SHORT = 300


def _clip(text: str) -> str:
    return text if len(text) <= SHORT else text[: SHORT - 1] + "…"


def _key(text: str) -> str:
    """An identifier cut to fit, still unique: a long one keeps a hash of the whole."""
    if len(text) <= SHORT:
        return text
    return f"{text[: SHORT - 17]}~{hashlib.blake2b(text.encode(), digest_size=8).hexdigest()}"


def content_hash(record: CallRecord) -> str:
    """A fingerprint of everything stored about a call: equal hashes mean nothing to write."""
    digest = hashlib.blake2b(digest_size=20)
    for value in (
        record.external_id,
        record.identifier,
        record.title,
        record.url,
        record.funder,
        record.programme,
        record.status,
        record.source_status or "",
        record.call_identifier,
        record.call_title,
        repr(record.budget),
        record.currency or "",
        record.opens.isoformat() if record.opens else "",
        "\x1e".join(record.action_types),
        "\x1e".join(record.keywords),
        "\x1e".join(record.flags),
        "\x1e".join(f"{d.at.isoformat()}|{d.raw}|{d.date_only}" for d in record.deadlines),
        record.description,
    ):
        digest.update(value.encode("utf-8", "surrogatepass"))
        digest.update(b"\x1f")
    return digest.hexdigest()


def _with_summary(values: dict[str, Any]) -> dict[str, Any]:
    """Add the plain-text summary: the description's text, at most SUMMARY_CHARS long (the
    whole HTML is kept in ``description``)."""
    text = html_to_text(values["description"], max_html=SUMMARY_CHARS * 4)
    if len(text) > SUMMARY_CHARS:
        text = text[:SUMMARY_CHARS].rsplit(" ", 1)[0] + " …"
    values["summary"] = text
    return values


@dataclass
class _Plan:
    """What one listing means for the stored calls of its source."""

    fresh: list[dict[str, Any]] = field(default_factory=list)  # rows to insert
    changed: dict[int, tuple[CallRecord, str]] = field(default_factory=dict)  # id -> new state
    back: list[int] = field(default_factory=list)  # unseen calls listed again
    gone: list[int] = field(default_factory=list)  # listed calls missing now
    unchanged: int = 0


def _plan(
    incoming: dict[str, CallRecord],
    known: dict[str, tuple[int, str, Any]],
    now: datetime,
    complete: bool = True,
) -> _Plan:
    plan = _Plan()
    for ext, record in incoming.items():
        digest = content_hash(record)
        if ext not in known:
            row = _with_summary(record_values(record))
            row.update(content_hash=digest, first_seen=now, last_seen=now, last_changed=now)
            plan.fresh.append(row)
            continue
        call_id, old_digest, unseen = known[ext]
        if unseen is not None:
            plan.back.append(call_id)
        if old_digest != digest:
            plan.changed[call_id] = (record, digest)
        elif unseen is None:
            plan.unchanged += 1
    if complete:  # a partial listing (calls entered by hand) says nothing of the others
        plan.gone = [
            cid for ext, (cid, _, unseen) in known.items() if ext not in incoming and not unseen
        ]
    return plan


def upsert_calls(
    store: Store,
    source_id: int,
    records: Iterable[CallRecord],
    now: datetime,
    run_id: int | None = None,
    session: Session | None = None,
) -> RunCounts:
    """Store one complete listing of a source in one transaction.

    New calls are inserted with a ``new`` event; changed calls are updated with typed events;
    an unchanged call writes nothing. Stored calls missing from the listing are kept and marked
    unseen (event ``unseen``; ``last_seen`` becomes the source's previous successful run); when
    they come back they get ``reappeared``.
    """
    return upsert_listings(store, [Listing(source_id, records, run_id)], now, session)[0]


@dataclass(frozen=True)
class Listing:
    """One source's complete listing from one run."""

    source_id: int
    records: Iterable[CallRecord]
    run_id: int | None = None
    complete: bool = True  # False: only these calls, the source's others left as they are


def upsert_listings(
    store: Store, listings: Sequence[Listing], now: datetime, session: Session | None = None
) -> list[RunCounts]:
    """``upsert_calls`` for several sources' listings at once, in one transaction and a handful
    of statements (a fetch run writes the sources whose fetches completed together)."""
    events: list[dict[str, Any]] = []

    def event(
        call_id: int, kind: str, old: Any = None, new: Any = None, *, run_id: int | None
    ) -> None:
        events.append(
            {"call_id": call_id, "run_id": run_id, "kind": kind, "old": old, "new": new, "at": now}
        )

    ids = [listing.source_id for listing in listings]
    if len(set(ids)) != len(ids):
        raise ValueError("one listing per source")
    with store.joined(session) as session:
        claim(session, ids)
        known: dict[int, dict[str, tuple[int, str, Any]]] = {sid: {} for sid in ids}
        for chunk in chunks(ids):
            columns = (Call.id, Call.source_id, Call.external_id, Call.content_hash,
                       Call.unseen_since)  # fmt: skip
            query = sa_select(*(col(c) for c in columns)).where(col(Call.source_id).in_(chunk))
            for call_id, sid, ext, digest, unseen in session.execute(query):
                known[sid][ext] = (call_id, digest, unseen)
        plans = [
            _plan(
                {_key(r.external_id): r for r in listing.records},
                known[listing.source_id],
                now,
                listing.complete,
            )
            for listing in listings
        ]
        pairs = list(zip(listings, plans, strict=True))
        fresh = [_with_source(row, li.source_id) for li, pl in pairs for row in pl.fresh]
        _insert(session, fresh)
        for listing, plan in zip(listings, plans, strict=True):
            for row in plan.fresh:
                event(row["id"], "new", run_id=listing.run_id)
        link_new_calls(session, fresh)
        gone_sources = [li.source_id for li, pl in pairs if pl.gone]
        previous = dict(session.execute(
            select(Source.id, Source.last_success_at).where(col(Source.id).in_(gone_sources))
        ).all()) if gone_sources else {}  # fmt: skip
        counts = []
        for listing, plan in zip(listings, plans, strict=True):
            run_id = listing.run_id
            _update_changed(session, plan.changed, now, partial(event, run_id=run_id))
            for call_id in plan.back:
                event(call_id, "reappeared", run_id=run_id)
            plain_back = [i for i in plan.back if i not in plan.changed]
            _mark(session, plain_back, unseen_since=None, last_seen=now)
            if plan.gone:
                last = previous.get(listing.source_id)
                _mark(session, plan.gone, unseen_since=now, **({"last_seen": last} if last else {}))
                for call_id in plan.gone:
                    event(call_id, "unseen", run_id=run_id)
            counts.append(RunCounts(new=len(plan.fresh),
                                    updated=len(plan.changed) + len(plain_back),
                                    unchanged=plan.unchanged, unseen=len(plan.gone)))  # fmt: skip
        for part in chunks(events):
            session.execute(insert(CallChange), list(part))
    return counts


def claim(session: Session, source_ids: Sequence[int]) -> None:
    """Take the sources' rows before reading their calls, so that two writers of one source
    (whatever else keeps them apart) follow one another: the second reads what the first
    committed and finds nothing changed, and no change event is recorded twice. PostgreSQL:
    row locks in id order (no deadlock between writers of overlapping sets); SQLite: a
    write first takes the database's write lock, before the transaction reads anything."""
    ordered = sorted(source_ids)
    if session.get_bind().dialect.name == "postgresql":
        for chunk in chunks(ordered):
            query = sa_select(col(Source.id)).where(col(Source.id).in_(chunk))
            session.execute(query.order_by(col(Source.id)).with_for_update())
    else:
        first = ordered[:1]
        session.execute(update(Source).where(col(Source.id).in_(first))
                        .values(consecutive_failures=Source.consecutive_failures))  # fmt: skip


def _with_source(row: dict[str, Any], source_id: int) -> dict[str, Any]:
    row["source_id"] = source_id
    return row


def _insert(session: Any, rows: list[dict[str, Any]]) -> None:
    """Insert new calls (each row carries its ``source_id``); each row gets its ``id``.

    Plain executemany (no RETURNING): psycopg pipelines it, where a multi-VALUES statement
    costs more to build than to run. The ids are read back in one query per 500 sources."""
    if not rows:
        return
    for chunk in chunks(rows):
        session.execute(insert(Call), list(chunk))
    by_key = {(row["source_id"], row["external_id"]): row for row in rows}
    for chunk in chunks(sorted({row["source_id"] for row in rows})):
        query = select(Call.id, Call.source_id, Call.external_id).where(
            col(Call.source_id).in_(chunk)
        )
        for call_id, sid, ext in session.execute(query):
            if (sid, ext) in by_key:
                by_key[(sid, ext)]["id"] = call_id


def _mark(session: Any, ids: list[int], **values: Any) -> None:
    for chunk in chunks(ids):
        session.execute(update(Call).where(col(Call.id).in_(chunk)).values(**values))


def _update_changed(
    session: Any, changed: dict[int, tuple[CallRecord, str]], now: datetime, event: Any
) -> None:
    ids = sorted(changed)
    updates: list[dict[str, Any]] = []
    for chunk in chunks(ids):
        for old in session.scalars(select(Call).where(col(Call.id).in_(chunk))):
            record, digest = changed[old.id]
            values = record_values(record)
            for kind, before, after in diff(old, values):
                event(old.id, kind, before, after)
            values = _with_summary(values)
            values.update(
                id=old.id, content_hash=digest, last_seen=now, last_changed=now, unseen_since=None
            )
            updates.append(values)
    for part in chunks(updates):
        session.execute(update(Call), list(part))


def diff(old: Call, new: dict[str, Any]) -> list[tuple[str, Any, Any]]:
    """Typed change events between a stored call and new column values: (kind, old, new)."""
    out: list[tuple[str, Any, Any]] = []
    if old.status != new["status"]:
        kind = "reopened" if old.status == "closed" else "status_changed"
        out.append((kind, old.status, new["status"]))
    old_dates = [d["at"] for d in old.deadlines]
    new_dates = [d["at"] for d in new["deadlines"]]
    if old_dates != new_dates:
        out.append(("deadline_changed", old_dates, new_dates))
    if (old.budget, old.currency) != (new["budget"], new["currency"]):
        out.append(
            (
                "budget_changed",
                _money(old.budget, old.currency),
                _money(new["budget"], new["currency"]),
            )
        )
    if old.title != new["title"]:
        out.append(("title_changed", old.title, new["title"]))
    if old.opens != new["opens"]:
        out.append(("opening_changed", _iso(old.opens), _iso(new["opens"])))
    fields = [name for name in _DETAILS if getattr(old, name) != new[name]]
    if fields:
        out.append(("details_changed", None, fields))
    return out


def _money(amount: float | None, currency: str | None) -> dict[str, Any] | None:
    return None if amount is None else {"amount": amount, "currency": currency}


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None
