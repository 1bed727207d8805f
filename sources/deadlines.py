"""Dates, deadlines and status: pure functions shared by every source kind.

Convention (SOURCES-GUIDE §5): an EU portal deadline is a calendar date; we take its UTC calendar
date and set the time to 17:00 Europe/Brussels, marking it ``date_only``. Opening dates become
00:00 Brussels on their calendar date.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from sources.records import Deadline

BRUSSELS = ZoneInfo("Europe/Brussels")
EU_DEADLINE_TIME = time(17, 0)
# The portal's deadline models (``deadlineModel``): single-stage, two-stage, multiple cut-off.
# Only a two-stage call behaves apart: its second deadline is for those who passed the first
# stage, so it closes to new applicants with its first deadline. A record says so with this
# flag, which is how the model reaches the store and the views.
TWO_STAGE = "two-stage"
# The flags compute_status derives (a view recomputes them; the others are the parser's).
DERIVED_FLAGS = ("no-deadline", "stale-source-status")


def parse_instant(raw: str) -> datetime:
    """Parse an ISO 8601 instant, with or without a colon in the offset ("+0200").

    A value without any offset is taken as UTC. Raises ValueError on anything else.
    """
    text = raw.strip()
    if len(text) >= 5 and text[-5] in "+-" and text[-4:].isdigit() and text[-3] != ":":
        text = f"{text[:-2]}:{text[-2:]}"
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    value = datetime.fromisoformat(text)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def utc_date(raw: str) -> date:
    """The UTC calendar date of an ISO instant (SEDIA's midnight-UTC-with-offset values)."""
    return parse_instant(raw).astimezone(UTC).date()


def epoch_ms_date(raw: str | int) -> date:
    """The UTC calendar date of an epoch-milliseconds value (topicDetails). Raises ValueError
    for anything else, a value beyond the calendar included."""
    try:
        return datetime.fromtimestamp(int(raw) / 1000, tz=UTC).date()
    except (OverflowError, OSError) as exc:  # OSError: beyond the C library's time_t
        raise ValueError(f"{raw!r} is not a date in epoch milliseconds") from exc


def eu_deadline(day: date, raw: str) -> Deadline:
    """A portal deadline on ``day``: 17:00 Brussels, date only."""
    return Deadline(at=datetime.combine(day, EU_DEADLINE_TIME, BRUSSELS), raw=raw, date_only=True)


def eu_opening(day: date) -> datetime:
    """A portal opening date: 00:00 Brussels on ``day``."""
    return datetime.combine(day, time(0, 0), BRUSSELS)


def sorted_deadlines(deadlines: Iterable[Deadline]) -> tuple[Deadline, ...]:
    """Deadlines in time order with duplicate instants removed (first raw value kept)."""
    seen: dict[datetime, Deadline] = {}
    for d in deadlines:
        seen.setdefault(d.at, d)
    return tuple(sorted(seen.values(), key=lambda d: d.at))


def deadline_model(flags: Iterable[str], identifier: str = "") -> str | None:
    """TWO_STAGE when a record's (or stored call's) flags say so, or its identifier is an EU
    topic id the portal names as two-stage (``…-two-stage``, as feeds copy it); else None."""
    if TWO_STAGE in flags or identifier.strip().lower().endswith("-" + TWO_STAGE):
        return TWO_STAGE
    return None


def entry_deadlines(deadlines: Iterable[Deadline], model: str | None) -> list[Deadline]:
    """The deadlines by which a new applicant can still apply, in time order: for a two-stage
    call only the first (stage 2 is for those who passed stage 1); else all, every cut-off of a
    multiple cut-off call included."""
    ordered = sorted(deadlines, key=lambda d: d.at)
    return ordered[:1] if model == TWO_STAGE else ordered


def stage_numbers(deadlines: Iterable[Deadline], model: str | None) -> tuple[int, ...]:
    """For a two-stage call, the stage (1, 2…) of each deadline in time order; else ()."""
    return tuple(range(1, len(list(deadlines)) + 1)) if model == TWO_STAGE else ()


def next_deadline(
    deadlines: Iterable[Deadline], now: datetime, model: str | None = None
) -> Deadline | None:
    """The first deadline at or after ``now`` that a new applicant can still meet; None when
    all have passed (for a two-stage call: once its first stage has) or there are none."""
    upcoming = [d for d in entry_deadlines(deadlines, model) if d.at >= now]
    return min(upcoming, key=lambda d: d.at) if upcoming else None


def compute_status(
    opens: datetime | None,
    deadlines: tuple[Deadline, ...],
    source_status: str | None,
    now: datetime,
    model: str | None = None,
) -> tuple[str, tuple[str, ...]]:
    """Status from the dates, never from the source's flag alone (SOURCES-GUIDE §3.9).

    Returns (status, flags). Closed when every deadline a new applicant could meet is before
    ``now`` (for a ``model`` of TWO_STAGE: the first; then flagged TWO_STAGE); forthcoming when
    the opening is after ``now``; otherwise open. A call without deadlines keeps the source's
    status (default open) and is flagged ``no-deadline``. ``stale-source-status`` flags a source
    that still calls a closed call open or forthcoming.
    """
    flags: list[str] = [TWO_STAGE] if model == TWO_STAGE else []
    if deadlines:
        if all(d.at < now for d in entry_deadlines(deadlines, model)):
            status = "closed"
        elif opens is not None and opens > now:
            status = "forthcoming"
        else:
            status = "open"
    else:
        flags.append("no-deadline")
        if opens is not None and opens > now:
            status = "forthcoming"
        else:
            status = source_status if source_status in ("forthcoming", "open", "closed") else "open"
    if source_status in ("open", "forthcoming") and status == "closed":
        flags.append("stale-source-status")
    return status, tuple(flags)
