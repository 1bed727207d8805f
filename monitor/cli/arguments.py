"""Argument types for the command line with their bounds: a value out of range is a usage error
(exit 2) that names the flag and the range, never a traceback further on."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from datetime import UTC, date, datetime

from sources.values import FIRST_YEAR, LAST_YEAR

MAX_ID = 2**31 - 1  # ids are INTEGER columns: 32 bits on PostgreSQL
MAX_LIMIT = 100_000
MAX_MIN_DAYS = 3650


def whole(low: int, high: int) -> Callable[[str], int]:
    """A type for a whole number from ``low`` to ``high``."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text[:30]!r} is not a whole number") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"{text[:30]} is out of range: use {low} to {high}")
        return value

    return parse


ids = whole(1, MAX_ID)
limits = whole(1, MAX_LIMIT)
min_days = whole(0, MAX_MIN_DAYS)
ports = whole(1, 65535)


def subscriber_ref(text: str) -> str:
    """A subscriber's id (1 to MAX_ID) or address, as given."""
    if text.strip().isdigit():
        ids(text.strip())
    return text


def _in_range(value: date, text: str) -> None:
    if not FIRST_YEAR <= value.year <= LAST_YEAR:
        raise argparse.ArgumentTypeError(
            f"{text[:30]} is out of range: use a date in the years {FIRST_YEAR} to {LAST_YEAR}"
        )


def day(text: str) -> date:
    """A calendar date, YYYY-MM-DD, in the years FIRST_YEAR to LAST_YEAR."""
    try:
        value = date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text[:30]!r} is not a date (YYYY-MM-DD)") from None
    _in_range(value, text)
    return value


def when(text: str) -> datetime:
    """An ISO date or date-time (naive: UTC) in the years FIRST_YEAR to LAST_YEAR."""
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text[:30]!r} is not an ISO date or date-time") from None
    _in_range(value, text)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def call_ref(text: str) -> str:
    """A call's number (1 to MAX_ID) or its identifier (``HORIZON-…``), as given."""
    value = text.strip()
    if not value:
        raise argparse.ArgumentTypeError("give a call's number or identifier")
    if value.isdigit():
        ids(value)
    elif len(value) > 300:
        raise argparse.ArgumentTypeError(f"{value[:30]}… is too long for an identifier")
    return value
