"""The ``manual`` kind: calls entered by hand, and a curator's values turned into CallRecords
(pure).

Some calls no source publishes in a form a machine can read: the Erasmus+ actions a national
agency runs (for Sweden UHR's KA131, KA171, KA220, blended intensive programmes), an internal
or limited-submission call. A curator enters them (`calls add`, `calls edit`, `calls import`,
the web form) and they are stored as one source's listing is, under the one source of this
kind, so that they are tagged, searched, sent and their edits recorded as typed changes like
any call. That source is never fetched: ``fetch`` refuses, so that even a run started by
mistake leaves its calls as they are (an empty listing would mark them all unseen).

The values a curator gives, by field (``FIELDS``), as text; each is checked where it enters
and an unusable one is an ``EntryError`` naming the field and the value:

- ``identifier``: the call's identity within the source (``KA131-HED-2027``): letters, digits
  and ``. _ - : / +``, not digits only (a number names a call by its id);
- ``title``, ``funder`` (both required), ``programme``: one line each, at most 300 characters;
- ``url`` (required): an absolute http(s) address;
- ``summary``: plain text (blank lines part paragraphs), kept as escaped HTML like a source's;
- ``deadlines``: ``DATE[ HH:MM[±HH:MM|Z]][ stage N]``, several separated by ``;`` (or given
  one by one). A date without a time is a ``date_only`` deadline at 17:00 and a time without
  an offset is local, both in the ``zone`` given (the TIMEZONE setting). Stages, when given,
  are given for every deadline and run 1, 2… in date order: the call is then two-stage
  (``sources.deadlines.TWO_STAGE``), closing to newcomers with its first;
- ``opens``: a date (00:00 local) or a date and time;
- ``budget``: an amount above zero (``400000``, ``400 000``, ``400,000.50``) with its
  ``currency`` (``EUR``, ``SEK``: three letters);
- ``status``: ``forthcoming``, ``open`` or ``closed``, only for a call without deadlines (a
  rolling or internal call); with deadlines the dates decide, as for every call.

An empty value clears an optional field. Dates lie within ``MAX_YEARS_AWAY`` years of today.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from datetime import UTC, date, datetime, time, tzinfo
from typing import Any

from sources.deadlines import TWO_STAGE, compute_status, deadline_model, sorted_deadlines
from sources.errors import FetchError
from sources.kind import SourceKind
from sources.records import STATUSES, CallRecord, Deadline, FetchResult, SourceConfig
from sources.text import clean_line
from sources.values import MAX_AMOUNT, amount_problem, http_url

NAME = "manual"
FIELDS = ("identifier", "title", "funder", "programme", "url", "summary", "deadlines", "opens",
          "budget", "currency", "status")  # fmt: skip
REQUIRED = ("title", "funder", "url")
MAX_LINE = 300  # title, funder, programme: the store's short columns
MAX_URL = 2000
MAX_SUMMARY = 20_000
MAX_DEADLINES = 20
MAX_YEARS_AWAY = 10
DEADLINE_TIME = time(17, 0)  # a date-only deadline, as every other kind's convention
IDENTIFIER = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:/+-]{0,99}")
_MOMENT = re.compile(
    r"(?P<day>\d{4}-\d{1,2}-\d{1,2})"
    r"(?:[ T]+(?P<clock>\d{1,2}:\d{2}(?::\d{2})?)\s*(?P<offset>Z|[+-]\d{2}:?\d{2})?)?"
    r"(?:\s*\(?\s*stage\s*(?P<stage>\d{1,2})\s*\)?)?",
    re.IGNORECASE,
)
_THOUSANDS = re.compile(r"\d{1,3}(,\d{3})+(\.\d+)?")
# The record's attributes that the fields set, kept from the stored record by an edit.
_HELD = ("title", "funder", "programme", "url", "description", "deadlines", "opens", "budget",
         "currency", "source_status")  # fmt: skip


class EntryError(ValueError):
    """A value a curator entered that no call can hold: the field, the value and why."""

    def __init__(self, field: str, value: object, problem: str) -> None:
        self.field, self.value, self.problem = field, value, problem
        shown = "; ".join(map(str, value)) if isinstance(value, list | tuple) else str(value)
        shown = shown if len(shown) <= 80 else shown[:79] + "…"
        super().__init__(f"{field} {shown!r} is not usable: {problem}")


def _one_line(field: str, value: object, *, required: bool = False) -> str:
    text = clean_line(str(value))
    if required and not text:
        raise EntryError(field, value, "it is empty; it is required")
    if len(text) > MAX_LINE:
        raise EntryError(field, value, f"it is {len(text)} characters long; at most {MAX_LINE}")
    return text


def identifier(value: object) -> str:
    """A curator's identifier for a call, checked; EntryError otherwise."""
    text = str(value).strip()
    if not IDENTIFIER.fullmatch(text):
        raise EntryError("identifier", value, "use 1 to 100 letters, digits and . _ - : / +, "
                         "starting with a letter or digit (e.g. KA131-HED-2027)")  # fmt: skip
    if text.isdigit():
        raise EntryError("identifier", value, "it is only digits, which name a call by its "
                         "number; add letters (e.g. KA131-2027)")  # fmt: skip
    return text


def _url(value: object) -> str:
    text = str(value).strip()
    if not text:
        raise EntryError("url", value, "it is empty; it is required")
    if len(text) > MAX_URL:
        raise EntryError("url", value, f"it is {len(text)} characters long; at most {MAX_URL}")
    try:
        return http_url(text)
    except ValueError as exc:
        raise EntryError("url", value, str(exc)) from None


def summary_html(value: object) -> str:
    """Plain text as the HTML a source would publish: escaped, blank lines part paragraphs."""
    text = str(value).replace("\r\n", "\n").replace("\r", "\n")
    if len(text) > MAX_SUMMARY:
        raise EntryError("summary", text, f"it is {len(text)} characters long; at most "
                         f"{MAX_SUMMARY}")  # fmt: skip
    paragraphs = [p for p in re.split(r"\n\s*\n", text) if p.strip()]
    lines = (
        "<br>".join(html.escape(clean_line(line)) for line in p.split("\n") if line.strip())
        for p in paragraphs
    )
    return "".join(f"<p>{body}</p>" for body in lines)


def _moment(field: str, text: str, zone: tzinfo, now: datetime, clock: time
            ) -> tuple[datetime, bool, int | None]:  # fmt: skip
    """(instant, date only, stage) of ``DATE[ HH:MM[offset]][ stage N]``."""
    found = _MOMENT.fullmatch(" ".join(text.split()))
    if not found:
        staged = " and a stage ('2027-05-01 stage 2')" if field == "deadline" else ""
        raise EntryError(field, text, "write a date as YYYY-MM-DD, optionally with a time "
                         f"(HH:MM, with +01:00 or Z for another zone){staged}")  # fmt: skip
    try:
        day = date(*(int(part) for part in found["day"].split("-")))
        at = time.fromisoformat(found["clock"].zfill(5)) if found["clock"] else clock
        offset = found["offset"]
        when = datetime.combine(day, at, zone)
        if offset:
            offset = "+00:00" if offset.upper() == "Z" else offset
            when = datetime.fromisoformat(f"{day.isoformat()}T{at.isoformat()}{offset}")
    except ValueError as exc:
        raise EntryError(field, text, f"it is not a date and time ({exc})") from None
    if abs(day.year - now.year) > MAX_YEARS_AWAY:
        raise EntryError(field, text, f"it is more than {MAX_YEARS_AWAY} years from today")
    stage = int(found["stage"]) if found["stage"] else None
    if stage is not None and field != "deadline":
        raise EntryError(field, text, "only a deadline has a stage")
    return when, not found["clock"], stage


def deadlines(value: object, zone: tzinfo, now: datetime) -> tuple[tuple[Deadline, ...], bool]:
    """The deadlines of ``value`` (text with ``;`` between deadlines, or several texts) in
    time order, and whether they are a two-stage call's (stages given)."""
    texts = [] if value is None else [value] if isinstance(value, str) else list(value)  # type: ignore[call-overload]
    parts = [" ".join(p.split()) for t in texts for p in str(t).split(";") if p.strip()]
    if len(parts) > MAX_DEADLINES:
        raise EntryError("deadlines", parts, f"there are {len(parts)}; at most {MAX_DEADLINES}")
    found = []
    for part in parts:
        at, date_only, stage = _moment("deadline", part, zone, now, DEADLINE_TIME)
        found.append((Deadline(at, part, date_only), stage))
    instants = [d.at for d, _ in found]
    if len(set(instants)) != len(instants):
        raise EntryError("deadlines", parts, "one deadline is given twice")
    stages = [stage for _, stage in sorted(found, key=lambda pair: pair[0].at)]
    if any(s is not None for s in stages) and stages != list(range(1, len(stages) + 1)):
        raise EntryError("deadlines", parts, "give every deadline its stage, 1, 2… in date "
                         "order ('2027-02-12 stage 1; 2027-05-01 stage 2'), or none")  # fmt: skip
    return sorted_deadlines(d for d, _ in found), bool(stages) and stages[0] is not None


def opens(value: object, zone: tzinfo, now: datetime) -> datetime | None:
    """The opening date and time (in UTC, as the store keeps it), or None for an empty value."""
    text = str(value).strip()
    if not text:
        return None
    return _moment("opens", text, zone, now, time(0, 0))[0].astimezone(UTC)


def budget(value: object) -> float | None:
    """An amount above zero, or None for an empty value."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        number = float(value)
    else:
        text = re.sub(r"[\s\u00a0\u202f_]", "", str(value))
        if not text:
            return None
        if _THOUSANDS.fullmatch(text):
            text = text.replace(",", "")
        try:
            number = float(text)
        except ValueError:
            raise EntryError("budget", value, "it is not a number; give the amount alone "
                             "(400000 or 400 000), the currency apart") from None  # fmt: skip
    problem = amount_problem(number)
    if number == 0:
        problem = "zero: leave it empty when there is no budget"
    if problem:
        raise EntryError("budget", value, f"it is {problem} (an amount above 0, at most "
                         f"{MAX_AMOUNT:.0e})")  # fmt: skip
    return number


def currency(value: object) -> str | None:
    text = str(value).strip().upper()
    if not text:
        return None
    if not re.fullmatch(r"[A-Z]{3}", text):
        raise EntryError("currency", value, "give a three-letter code: EUR, SEK, USD…")
    return text


def status(value: object) -> str | None:
    text = str(value).strip().lower()
    if not text:
        return None
    if text not in STATUSES:
        raise EntryError("status", value, f"use {', '.join(STATUSES)}, or leave it empty")
    return text


def values(fields: Mapping[str, object], zone: tzinfo, now: datetime) -> dict[str, Any]:
    """The CallRecord attributes that ``fields`` (a curator's values by FIELDS name) set, each
    checked; ``staged`` says whether the deadlines given carry stages. EntryError for an
    unknown field or an unusable value."""
    out: dict[str, Any] = {}
    for name, value in fields.items():
        if name not in FIELDS:
            raise EntryError(name, value, f"there is no such field; fields: {', '.join(FIELDS)}")
        if name == "identifier":
            out["identifier"] = identifier(value)
        elif name in ("title", "funder", "programme"):
            out[name] = _one_line(name, value, required=name in REQUIRED)
        elif name == "url":
            out["url"] = _url(value)
        elif name == "summary":
            out["description"] = summary_html(value)
        elif name == "deadlines":
            out["deadlines"], out["staged"] = deadlines(value, zone, now)
        elif name == "opens":
            out["opens"] = opens(value, zone, now)
        elif name == "budget":
            out["budget"] = budget(value)
        elif name == "currency":
            out["currency"] = currency(value)
        else:
            out["source_status"] = status(value)
    return out


def record(
    ident: str, given: Mapping[str, Any], now: datetime, base: CallRecord | None = None
) -> CallRecord:
    """The call ``ident`` as ``given`` (``values``) describes it, over what ``base`` (its
    stored record) held; status and flags computed for ``now`` from the dates, as every kind
    does. EntryError for a required field missing, a budget without its currency, a status
    beside deadlines, or an opening after the last deadline."""
    held: dict[str, Any] = {}
    if base is not None:
        held = {name: getattr(base, name) for name in _HELD}
        held["staged"] = deadline_model(base.flags) == TWO_STAGE
    merged = {**held, **given}
    for name in REQUIRED:
        if not merged.get(name):
            raise EntryError(name, "", "it is required")
    if merged.get("budget") is None:
        merged["currency"] = None
    elif not merged.get("currency"):
        raise EntryError("currency", "", "a budget needs its currency (EUR, SEK…)")
    dates: tuple[Deadline, ...] = merged.get("deadlines", ())
    if dates and merged.get("source_status"):
        raise EntryError("status", merged["source_status"], "a call with deadlines takes its "
                         "status from its dates; leave the status empty")  # fmt: skip
    opening = merged.get("opens")
    if opening is not None and dates and opening > dates[-1].at:
        raise EntryError("opens", opening.isoformat(), f"it is after the last deadline "
                         f"({dates[-1].raw})")  # fmt: skip
    model = TWO_STAGE if merged.get("staged") and dates else None
    state, flags = compute_status(opening, dates, merged.get("source_status"), now, model)
    return CallRecord(
        external_id=ident, identifier=ident, title=merged["title"], url=merged["url"],
        funder=merged["funder"], programme=merged.get("programme", ""), status=state,
        description=merged.get("description", ""), opens=opening, deadlines=dates,
        budget=merged.get("budget"), currency=merged.get("currency"),
        source_status=merged.get("source_status"), flags=flags,
    )  # fmt: skip


def fetch(http: object, config: SourceConfig, cache: object = None) -> FetchResult:
    """Never: calls entered by hand are not fetched. FetchError, so that a run started by
    mistake fails and stores nothing (its calls stay as they are)."""
    raise FetchError(
        "calls entered by hand are not fetched", source=config.name,
        hint="Add and change them with `funding-monitor calls add|edit|import`.",
    )  # fmt: skip


def parse(result: FetchResult, now: datetime) -> list[CallRecord]:
    return []


KIND = SourceKind(
    name=NAME,
    description="calls entered by hand (`calls add|edit|import`); built in, never fetched",
    default_url="https://entered-by-hand.invalid/",  # .invalid (RFC 2606): an address of none
    settings=(),
    fetch=fetch,  # type: ignore[arg-type]
    parse=parse,
)
