"""Calls entered by hand, as curators enter them (`calls add|edit|import`, and the staff web
form on top of the same functions): add one, edit one, import a CSV of them, list their
identifiers.

Each is stored under the built-in source of kind ``manual`` (made, disabled, when first
needed; ``sources/manual.py`` checks the values and builds the record) through the store's
upsert, so that it has typed change events, links to other sources' copies, search and digests
as a fetched call has; it is tagged as it is saved. A fetched call belongs to its source: it
cannot be edited here. Every unusable value is a ConfigError naming the field and the value.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from monitor.app import audit, calls
from monitor.app.calls import call_id
from monitor.app.context import App
from monitor.errors import ConfigError, StoreError
from monitor.store import sources as source_store
from monitor.store.entered import Stored, Written, owners, write_entered
from monitor.store.tables import Source
from monitor.store.tags import call_tags
from monitor.store.views import find_call_ids, list_calls
from sources import manual
from sources.manual import FIELDS, EntryError
from sources.records import CallRecord
from sources.text import html_to_text

SOURCE_NAME = "manual"
MAX_FILE = 5_000_000  # bytes of one CSV
MAX_ROWS = 5000
HINT = "See README.md, 'Calls entered by hand', for what each field takes."
ALIASES = {"link": "url", "description": "summary", "deadline": "deadlines", "opening": "opens"}
Value = str | Sequence[str] | float | None
Made = tuple[CallRecord | None, CallRecord]  # a record written, and the one it replaced


@dataclass(frozen=True)
class Change:
    kind: str  # deadline_changed, title_changed… (as a re-fetched call's)
    old: Any
    new: Any


@dataclass(frozen=True)
class Saved:
    """One call as saved: its number and identifier, ``added``, ``updated`` or ``unchanged``,
    the typed changes recorded, and its tags (id → score) after tagging."""

    id: int
    identifier: str
    outcome: str
    changes: list[Change] = field(default_factory=list)
    tags: dict[str, float] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "identifier": self.identifier, "outcome": self.outcome,
                "changes": [c.__dict__ for c in self.changes], "tags": self.tags}  # fmt: skip


@dataclass(frozen=True)
class Imported:
    """What an import did, row by row: (line, call saved) and (line, why the row failed)."""

    saved: list[tuple[int, Saved]]
    failed: list[tuple[int, str]]

    def counts(self) -> dict[str, int]:
        outcomes = [s.outcome for _, s in self.saved]
        return {**{o: outcomes.count(o) for o in ("added", "updated", "unchanged")},
                "failed": len(self.failed)}  # fmt: skip


def add(app: App, fields: Mapping[str, Value]) -> Saved:
    """Enter a new call (FIELDS: title, funder and url required; identifier: ``manual-N``
    when none is given). ConfigError for an unusable value or an identifier already taken."""
    now = app.now()
    given = _values(fields, app, now)
    name = given.pop("identifier", None)
    _record(name or "manual-0", given, now)  # every error before anything is written

    def make(stored: Mapping[str, Stored]) -> list[CallRecord]:
        ident = name or _next_name(stored)
        taken = _find(stored, ident)
        if taken is not None:
            raise ConfigError(f"a call entered by hand already has the identifier {ident!r} "
                              f"(call {taken.id})", hint="Edit that call, or pick another "
                              "identifier.")  # fmt: skip
        made.append((None, _record(ident, given, now)))
        return [made[-1][1]]

    made: list[Made] = []
    return _saved(app, write_entered(app.store(), _source_id(app), make, now), made)[0]


def edit(app: App, ref: str | int, fields: Mapping[str, Value]) -> Saved:
    """Change the FIELDS given of a call entered by hand (by its number or identifier); the
    others stay. An empty value clears an optional field; ``deadlines`` replaces them all.
    ConfigError for a fetched call (its source owns it), an unusable value, or no change."""
    if not fields:
        raise ConfigError("nothing to change: give at least one field", hint=HINT)
    if "identifier" in fields:
        raise ConfigError("a call's identifier is its identity and cannot change",
                          hint="Enter a new call with that identifier instead.")  # fmt: skip
    number = _target(app, ref)
    now = app.now()
    given = _values(fields, app, now)

    def make(stored: Mapping[str, Stored]) -> list[CallRecord]:
        found = next((s for s in stored.values() if s.id == number), None)
        if found is None:
            raise ConfigError(f"no call with id {number}", hint="See `calls list`.")
        made.append((found.record, _record(found.record.external_id, given, now, found.record)))
        return [made[-1][1]]

    made: list[Made] = []
    return _saved(app, write_entered(app.store(), _source_id(app), make, now), made)[0]


def entered(app: App) -> list[Any]:
    """The calls entered by hand, as ``calls.find`` lists them (none before the first)."""
    if _entry_source(app, create=False) is None:
        return []
    return calls.find(app, calls.CallFilter(sources=[SOURCE_NAME], now=app.now()))


def identifiers(app: App) -> list[str]:
    """The identifiers of the calls entered by hand, in order."""
    source = _entry_source(app, create=False)
    if source is None:
        return []
    store = app.store(create=False)
    return sorted(c.identifier for c in list_calls(store, now=app.now(), source=source.name))


def import_file(app: App, path: str | Path) -> Imported:
    """``import_csv`` of a file. ConfigError when it cannot be read."""
    file = Path(path)
    if not file.is_file():
        raise ConfigError(f"{file} not found")
    if file.stat().st_size > MAX_FILE:
        raise ConfigError(f"{file} is larger than {MAX_FILE:,} bytes; split it")
    return import_csv(app, file.read_bytes(), str(file))


def import_csv(app: App, content: bytes, name: str = "the CSV") -> Imported:
    """Enter or update one call per row of a CSV whose header names its columns (FIELDS;
    ``identifier`` required: a row whose identifier is stored updates that call, so importing
    a file again changes only what changed). ``deadlines`` holds several deadlines separated
    by ``;``. A row with an error is reported with its line and the others are saved; an
    absent column keeps a stored call's value, an empty cell clears it. ConfigError for a
    file that is not a CSV of these columns (nothing is saved then)."""
    rows, failed = _rows(content, name)
    now = app.now()
    checked: list[tuple[int, str, dict[str, Any]]] = []
    first: dict[str, int] = {}
    for line, fields in rows:
        try:
            given = _values(fields, app, now)
        except ConfigError as exc:
            failed.append((line, str(exc)))
            continue
        ident = given.pop("identifier", "")
        if not ident:
            failed.append((line, "identifier '' is not usable: each row needs one (it keys "
                           "the call, so that importing again updates it)"))  # fmt: skip
        elif ident.casefold() in first:
            failed.append((line, f"identifier {ident!r} is already on line "
                           f"{first[ident.casefold()]}"))  # fmt: skip
        else:
            first[ident.casefold()] = line
            checked.append((line, ident, given))
    lines: list[int] = []
    made: list[Made] = []

    def make(stored: Mapping[str, Stored]) -> list[CallRecord]:
        for line, ident, given in checked:
            known = _find(stored, ident)
            base = known.record if known else None
            try:
                made.append((base, _record(base.external_id if base else ident, given, now, base)))
            except ConfigError as exc:
                failed.append((line, str(exc)))
                continue
            lines.append(line)
        return [record for _, record in made]

    saved = []
    if checked:
        saved = _saved(app, write_entered(app.store(), _source_id(app), make, now), made)
    return Imported(list(zip(lines, saved, strict=True)), sorted(failed))


def _rows(
    content: bytes, name: str
) -> tuple[list[tuple[int, dict[str, str]]], list[tuple[int, str]]]:
    """(line, fields) of each non-empty row, and (line, why) of each row that has more cells
    than the header has columns; ConfigError for a file that is not such a CSV."""
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{name} is not UTF-8 text (byte {exc.start})",
                          hint="Save it as CSV UTF-8.") from None  # fmt: skip
    head = text.split("\n", 1)[0]
    delimiter = next((d for d in (",", ";", "\t") if d in head), ",")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = next(reader, None)
        if not header or not any(cell.strip() for cell in header):
            raise ConfigError(f"{name} is empty: its first line names the columns", hint=HINT)
        columns = [ALIASES.get(key, key) for key in
                   (re.sub(r"[\s-]+", "_", cell.strip().lower()) for cell in header)]  # fmt: skip
        unknown = [c for c in columns if c not in FIELDS]
        twice = [c for c in columns if columns.count(c) > 1]
        if unknown or twice or "identifier" not in columns:
            problem = (f"unknown column {unknown[0]!r}" if unknown else
                       f"the column {twice[0]!r} is named twice" if twice else
                       "no identifier column")  # fmt: skip
            raise ConfigError(f"{name} line 1: {problem}; the columns are "
                              f"{', '.join(FIELDS)}", hint=HINT)  # fmt: skip
        out: list[tuple[int, dict[str, str]]] = []
        wrong: list[tuple[int, str]] = []
        line = reader.line_num + 1
        for cells in reader:
            if len(out) + len(wrong) >= MAX_ROWS:
                raise ConfigError(f"{name} has more than {MAX_ROWS} rows; split it")
            if len(cells) > len(columns) and any(c.strip() for c in cells[len(columns) :]):
                wrong.append((line, f"the row has {len(cells)} cells, the header {len(columns)} "
                              "columns (a cell with a comma in it needs quotes)"))  # fmt: skip
            elif any(cell.strip() for cell in cells):  # a short row: the rest are empty
                cells += [""] * (len(columns) - len(cells))
                out.append((line, dict(zip(columns, cells, strict=False))))
            line = reader.line_num + 1
    except csv.Error as exc:
        raise ConfigError(f"{name} line {reader.line_num}: not CSV ({exc})", hint=HINT) from None
    return out, wrong


def _values(fields: Mapping[str, Value], app: App, now: datetime) -> dict[str, Any]:
    try:
        return manual.values(fields, app.settings.zone, now)
    except EntryError as exc:
        raise ConfigError(str(exc), hint=HINT) from None


def _record(ident: str, given: Mapping[str, Any], now: datetime,
            base: CallRecord | None = None) -> CallRecord:  # fmt: skip
    try:
        return manual.record(ident, given, now, base)
    except EntryError as exc:
        raise ConfigError(str(exc), hint=HINT) from None


def _find(stored: Mapping[str, Stored], ident: str) -> Stored | None:
    """The stored call with this identifier, ignoring case."""
    wanted = ident.casefold()
    return next((s for ext, s in stored.items() if ext.casefold() == wanted), None)


def _next_name(stored: Mapping[str, Stored]) -> str:
    numbers = [int(m[1]) for ext in stored if (m := re.fullmatch(r"manual-(\d{1,9})", ext))]
    return f"manual-{max(numbers, default=0) + 1}"


def _target(app: App, ref: str | int) -> int:
    """The number of the call to edit: by number, or by identifier (a call entered by hand
    first, should a fetched call share it). ConfigError for a fetched call or none."""
    text = str(ref).strip()
    store = app.store(create=False)
    by_number = text.isdigit() and text.isascii()
    numbers = [call_id(app, text)] if by_number else find_call_ids(store, text[:300])
    found = owners(store, numbers)
    if not found:
        what = "id" if by_number else "identifier"
        raise ConfigError(f"no call with {what} {text[:60]!r}", hint="See `calls list`.")
    number = next((n for n in numbers if found.get(n) and found[n].kind == manual.NAME),
                  numbers[0])  # fmt: skip
    source = found[number]
    if source.kind != manual.NAME:
        raise ConfigError(
            f"call {number} was fetched by source {source.name!r} (kind {source.kind}): it is "
            "owned by its source and changes when the source does",
            hint="Only calls entered by hand (`calls add`, `calls import`) can be edited.",
        )  # fmt: skip
    return number


def _entry_source(app: App, *, create: bool = True) -> Source | None:
    """The source of the calls entered by hand: made (disabled, never fetched) when first
    needed."""
    store = app.store(create=create)
    for attempt in range(2):
        found = source_store.list_sources(store, kind=manual.NAME)
        if found or not create:
            return found[0] if found else None
        try:
            return source_store.add_source(store, SOURCE_NAME, manual.NAME,
                                           manual.KIND.default_url, {}, enabled=False)  # fmt: skip
        except (ConfigError, StoreError):
            if attempt:  # a source called "manual" of another kind, not one made meanwhile
                raise
    return None


def _source_id(app: App) -> int:
    source = _entry_source(app)
    assert source is not None and source.id is not None
    return source.id


def _saved(app: App, written: list[Written], made: Sequence[Made]) -> list[Saved]:
    """Tag what was added or changed, keep it in the audit log (``made``: each record written,
    with the one it replaced), and say what was saved."""
    store = app.store()
    for w, (base, record) in zip(written, made, strict=True):
        if w.outcome != "unchanged":
            before, after = audit.changed(_logged(base), _logged(record))
            action = "call.add" if w.outcome == "added" else "call.edit"
            audit.record(app, action, f"call {w.call_id} ({w.external_id})", before, after)
    due = [w.call_id for w in written if w.outcome != "unchanged"]
    if due:
        from monitor.tagging.classify import classify_calls

        classify_calls(store, app.settings, due, now=app.now())
    given = call_tags(store, [w.call_id for w in written])
    return [Saved(w.call_id, w.external_id, w.outcome, [Change(*c) for c in w.changes],
                  {t: row.score for t, row in given.get(w.call_id, {}).items()})
            for w in written]  # fmt: skip


def _logged(record: CallRecord | None) -> dict[str, Any]:
    """A record's fields as the audit log keeps them."""
    if record is None:
        return {}
    return {"title": record.title, "funder": record.funder, "programme": record.programme,
            "url": record.url, "summary": html_to_text(record.description),
            "deadlines": [d.raw for d in record.deadlines],
            "opens": record.opens.isoformat() if record.opens else None,
            "budget": record.budget, "currency": record.currency,
            "status": record.source_status}  # fmt: skip
