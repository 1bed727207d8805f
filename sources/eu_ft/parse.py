"""Pure parsing of SEDIA search hits (and optional topicDetails) into CallRecords.

Handles the traps in SOURCES-GUIDE §3: every metadata value wrapped in a list, JSON inside
strings, legacy vs current records, HTML descriptions, several deadlines, duplicates across
datasources and pages, and the stale ``status`` flag (status is computed from the dates).
"""

from __future__ import annotations

import contextlib
import json
import logging
import re
from collections.abc import Iterable, Mapping
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from sources.deadlines import (
    compute_status,
    epoch_ms_date,
    eu_deadline,
    eu_opening,
    parse_instant,
    sorted_deadlines,
    utc_date,
)
from sources.eu_ft import codes
from sources.records import CallRecord, Deadline, FetchResult
from sources.text import clean_line
from sources.values import amount, dates_in_range, dropped

logger = logging.getLogger(__name__)

PORTAL = "https://ec.europa.eu/info/funding-tenders/opportunities"
TOPIC_PAGE = f"{PORTAL}/portal/screen/opportunities/topic-details/"
MAX_ID = 200  # longer "identifiers" are garbage (stored ids are at most 300 characters)
MAX_LINE = 300
_CURRENCY = re.compile(r"[A-Z]{3}")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
PROSPECT_PAGE = "https://webgate.ec.europa.eu/prospect/external/publishedcalls.htm?callId="


def parse(result: FetchResult, now: datetime) -> list[CallRecord]:
    """Every distinct topic in the fetched pages, one record per identifier, in identifier order.

    ``result.documents`` may map an identifier to its decoded topicDetails object, which then
    settles dates, description and budget. Hits without an identifier are skipped and logged.
    """
    groups: dict[str, list[Mapping[str, Any]]] = {}
    for page in result.pages:
        for index, hit in enumerate(page.data.get("results") or ()):
            meta = hit.get("metadata") if isinstance(hit, dict) else None
            identifier = first(meta, "identifier") if isinstance(meta, dict) else None
            if not isinstance(identifier, str) or not 0 < len(clean_line(identifier)) <= MAX_ID:
                logger.warning(
                    "skip source=%s page=%d index=%d reason=no usable identifier",
                    result.source,
                    page.number,
                    index,
                )
                continue
            if first(meta, "DATASOURCE") == "SEDIA_FAQ":
                continue
            groups.setdefault(clean_line(identifier), []).append(hit)
    records = []
    for identifier in sorted(groups):
        hits = groups[identifier]
        best = max(hits, key=_preference) if len(hits) > 1 else hits[0]
        details = result.documents.get(str(first(best["metadata"], "identifier")).strip())
        record = to_record(best, details if isinstance(details, Mapping) else None, now,
                           source=result.source)  # fmt: skip
        if len(hits) > 1 and details is None and _disagree(hits):
            record = _with_flag(record, "conflicting-deadlines")
        records.append(record)
    return records


def to_record(
    hit: Mapping[str, Any], details: Mapping[str, Any] | None, now: datetime, source: str = ""
) -> CallRecord:
    """One search hit (plus its topicDetails, if any) as a CallRecord; status as at ``now``.
    Unusable numbers and dates are dropped with a warning naming ``source`` and the topic."""
    meta: Mapping[str, Any] = hit["metadata"]
    identifier = clean_line(str(first(meta, "identifier")))
    kind = str(first(meta, "type") or codes.TYPE_GRANT)
    title = clean_line(first(meta, "title") or hit.get("summary") or identifier)
    call_identifier = clean_line(first(meta, "callIdentifier"))[:MAX_LINE]
    opens, deadlines = dates_in_range(
        _opening(meta, details, source, identifier),
        _deadlines(meta, details, source, identifier),
        source=source, item=identifier,
    )  # fmt: skip
    source_status = codes.STATUS_BY_CODE.get(str(first(meta, "status") or ""))
    model = _deadline_model(meta, details, identifier)
    status, flags = compute_status(opens, deadlines, source_status, now, model)
    budget, currency = _budget(meta, details, identifier, source)
    description = first(meta, "descriptionByte") or ""
    if details and not description:
        description = details.get("description") or ""
    return CallRecord(
        external_id=identifier,
        identifier=identifier,
        title=title,
        url=_url(kind, identifier, call_identifier, meta),
        funder=codes.funder(identifier),
        programme=codes.programme_label(_programme_code(meta, details), identifier),
        status=status,
        description=description if isinstance(description, str) else "",
        call_identifier=call_identifier,
        call_title=clean_line(first(meta, "callTitle") or (details or {}).get("callTitle")),
        action_types=tuple(dict.fromkeys(clean_line(t) for t in _all(meta, "typesOfAction") if t)),
        opens=opens,
        deadlines=deadlines,
        budget=budget,
        currency=currency,
        keywords=_keywords(meta, identifier, call_identifier),
        source_status=source_status,
        flags=flags,
    )


def first(meta: Mapping[str, Any] | None, key: str) -> Any:
    """The first element of a list-wrapped metadata value (or the value if not a list)."""
    if not meta:
        return None
    value = meta.get(key)
    if isinstance(value, list):
        return value[0] if value else None
    return value


def _all(meta: Mapping[str, Any], key: str) -> list[Any]:
    value = meta.get(key)
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _json(value: Any) -> Any:
    """A JSON-string field decoded once more; objects pass through; garbage gives None."""
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return None
    return value


def _preference(hit: Mapping[str, Any]) -> tuple[bool, bool, bool, datetime]:
    """Dedupe order: the record with a description, from SEDIA, in English, ingested last."""
    meta = hit["metadata"]
    ingest = first(meta, "esDA_IngestDate")
    when = _EPOCH
    if isinstance(ingest, str):
        with contextlib.suppress(ValueError):
            when = parse_instant(ingest)
    return (
        bool(first(meta, "descriptionByte")),
        first(meta, "DATASOURCE") == "SEDIA",
        str(first(meta, "language") or hit.get("language") or "en").lower() == "en",
        when,
    )


def _disagree(hits: list[Mapping[str, Any]]) -> bool:
    """Do copies of one topic list different deadline dates?"""
    return len({_deadline_days(hit["metadata"]) for hit in hits}) > 1


def _deadline_days(meta: Mapping[str, Any]) -> tuple[str, ...]:
    days = []
    for raw in _all(meta, "deadlineDate"):
        try:
            days.append(utc_date(str(raw)).isoformat())
        except ValueError:
            days.append(str(raw))
    return tuple(sorted(days))


def _opening(
    meta: Mapping[str, Any], details: Mapping[str, Any] | None, source: str, identifier: str
) -> datetime | None:
    raw = first(meta, "startDate")
    try:
        if raw:
            return eu_opening(utc_date(str(raw)))
        for action in (details or {}).get("actions") or ():
            raw = action.get("plannedOpeningDate")
            if raw:
                return eu_opening(epoch_ms_date(raw))
    except (ValueError, OverflowError, TypeError):
        dropped(source, identifier, "opens", raw, "not a date")
    return None


def _deadlines(
    meta: Mapping[str, Any], details: Mapping[str, Any] | None, source: str, identifier: str
) -> tuple[Deadline, ...]:
    """All deadlines, from topicDetails when given (it settles conflicts), else the search hit."""
    found: list[Deadline] = []
    for action in (details or {}).get("actions") or ():
        for raw in action.get("deadlineDates") or ():
            found.extend(_safe(lambda r=raw: eu_deadline(epoch_ms_date(r), str(r)),
                               raw, source, identifier))  # fmt: skip
    if not found:
        for raw in _all(meta, "deadlineDate"):
            found.extend(_safe(lambda r=raw: eu_deadline(utc_date(str(r)), str(r)),
                               raw, source, identifier))  # fmt: skip
    return sorted_deadlines(found)


def _deadline_model(
    meta: Mapping[str, Any], details: Mapping[str, Any] | None, identifier: str
) -> str | None:
    """``deadlineModel`` of the hit, else of the topic's own entries in budgetOverview."""
    model = first(meta, "deadlineModel")
    overview = _json(first(meta, "budgetOverview"))
    if not overview and details:
        overview = _json(details.get("budgetOverviewJSONItem"))
    actions = overview.get("budgetTopicActionMap") if isinstance(overview, Mapping) else None
    for entries in actions.values() if isinstance(actions, Mapping) and not model else ():
        for entry in entries if isinstance(entries, list) else ():
            if isinstance(entry, Mapping) and str(entry.get("action")).startswith(identifier):
                model = model or entry.get("deadlineModel")
    return model.strip().lower() if isinstance(model, str) and model.strip() else None


def _safe(make: Any, raw: Any, source: str, identifier: str) -> Iterable[Deadline]:
    try:
        return (make(),)
    except (ValueError, OverflowError, TypeError):
        dropped(source, identifier, "deadline", raw, "not a date")
        return ()


def _programme_code(meta: Mapping[str, Any], details: Mapping[str, Any] | None) -> str | None:
    code = first(meta, "frameworkProgramme")
    if not code and details and isinstance(details.get("frameworkProgramme"), Mapping):
        code = details["frameworkProgramme"].get("id")
    return str(code) if code else None


def _budget(
    meta: Mapping[str, Any], details: Mapping[str, Any] | None, identifier: str, source: str
) -> tuple[float | None, str | None]:
    """The topic's own budget: its actions in budgetOverview (the overview lists the whole
    call, so only entries named '<identifier> - …' count), or PROSPECTS ``budget``. An action
    with an unusable yearly amount is left out (with a warning), and so is its total."""
    overview = _json(first(meta, "budgetOverview"))
    if not overview and details:
        overview = _json(details.get("budgetOverviewJSONItem"))
    amounts: list[float] = []
    if isinstance(overview, Mapping):
        for entries in (overview.get("budgetTopicActionMap") or {}).values():
            for entry in entries or ():
                action = str(entry.get("action") or "")
                if not action.startswith(f"{identifier} - "):
                    continue
                years = [amount(v, source=source, item=identifier) if not _blank(v) else 0.0
                         for v in (entry.get("budgetYearMap") or {}).values()]  # fmt: skip
                if None not in years:
                    total = amount(sum(y or 0.0 for y in years), source=source, item=identifier)
                    if total is not None:
                        amounts.append(total)
    if amounts:
        return max(amounts), "EUR"
    plain = amount(first(meta, "budget"), source=source, item=identifier)
    if plain is not None:
        currency = clean_line(first(meta, "currency")).upper()
        return plain, currency if _CURRENCY.fullmatch(currency) else None
    return None, None


def _blank(value: Any) -> bool:
    """A yearly amount that says nothing (none, empty or zero), unlike a bad one."""
    return value is None or (isinstance(value, (int, float, str)) and str(value).strip() in
                             ("", "0", "0.0", "none"))  # fmt: skip


def _keywords(meta: Mapping[str, Any], identifier: str, call_identifier: str) -> tuple[str, ...]:
    """Keywords and tags, both list forms accepted, identifiers and duplicates removed."""
    words: list[str] = []
    for key in ("keywords", "tags"):
        for value in _all(meta, key):
            if isinstance(value, str) and value.startswith("["):  # legacy: a JSON list in a string
                decoded = _json(value)
                words.extend(w for w in decoded or () if isinstance(w, str))
            elif isinstance(value, str):
                words.append(value)
    skip = {identifier, call_identifier, ""}
    return tuple(w for w in dict.fromkeys(map(clean_line, words)) if w not in skip)


def _url(kind: str, identifier: str, call_identifier: str, meta: Mapping[str, Any]) -> str:
    """The canonical human page (metadata.url can be generic or point at JSON); identifiers are
    percent-encoded so that nothing from the payload can change the URL's shape."""
    if kind == codes.TYPE_EXTERNAL_ACTION and call_identifier:
        return PROSPECT_PAGE + quote(call_identifier, safe="")
    if kind == codes.TYPE_CASCADE:
        raw = first(meta, "url")
        url = clean_line(raw) if isinstance(raw, str) else ""
        if url.startswith("https://") and " " not in url:
            return url
    return TOPIC_PAGE + quote(identifier, safe="")


def _with_flag(record: CallRecord, flag: str) -> CallRecord:
    return replace(record, flags=(*record.flags, flag))
