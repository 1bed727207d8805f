"""Numbers, dates and URLs from outside, checked where they enter (pure).

An amount is a finite number above zero and at most ``MAX_AMOUNT``; a date lies in the years
``FIRST_YEAR`` to ``LAST_YEAR``. Parsers pass every value through here: an unusable one is
dropped from its item (the item is kept) with a warning naming the source, the item, the field
and the value. ``CallRecord`` checks the same bounds when it is built (``record_problem``), so
that a path a parser forgot fails that source loudly instead of poisoning every digest.
A source's URL is an absolute http(s) address without whitespace or control characters, and is
shown without its credentials.
"""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Iterable
from datetime import date, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

if TYPE_CHECKING:
    from sources.records import Deadline

logger = logging.getLogger(__name__)

MAX_AMOUNT = 1e12  # a trillion: far above any single call (Horizon Europe is about 1e11 EUR)
FIRST_YEAR, LAST_YEAR = 1990, 2100
_NOT_GIVEN = ("", "none")  # Grants.gov writes "none" for no award ceiling
_USERINFO = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*://)[^/?#]*@")


def amount(value: Any, *, source: str, item: str, field: str = "budget") -> float | None:
    """``value`` (a number or its text) as an amount, or None.

    None, blank, zero and "none" mean no amount was given: None, quietly. Anything else that is
    not a finite number in (0, MAX_AMOUNT] (NaN, infinity, negative, absurd, not a number) is
    None with a warning naming ``source``, ``item``, ``field`` and the value.
    """
    if value is None or (isinstance(value, str) and value.strip().lower() in _NOT_GIVEN):
        return None
    number: float | None = None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        try:
            number = float(value)
        except OverflowError:  # an int beyond any float
            number = math.inf
    elif isinstance(value, str):
        try:
            number = float(value.strip())
        except ValueError:
            number = None
    if number == 0:
        return None
    problem = "not a number" if number is None else amount_problem(number)
    if problem:
        dropped(source, item, field, value, problem)
        return None
    return number


def amount_problem(number: float) -> str | None:
    """Why ``number`` is not a usable amount, or None when it is."""
    if not math.isfinite(number):
        return "not a finite number"
    if number < 0:
        return "negative"
    if number > MAX_AMOUNT:
        return f"more than {MAX_AMOUNT:.0e}"
    return None


def date_problem(value: date | datetime | None) -> str | None:
    """Why ``value`` is not a usable date (outside FIRST_YEAR..LAST_YEAR), or None."""
    if value is not None and not FIRST_YEAR <= value.year <= LAST_YEAR:
        return f"outside the years {FIRST_YEAR} to {LAST_YEAR}"
    return None


def dates_in_range(
    opens: datetime | None, deadlines: Iterable[Deadline], *, source: str, item: str
) -> tuple[datetime | None, tuple[Deadline, ...]]:
    """The opening date and deadlines that lie in range; each one that does not is dropped
    with a warning (its raw value named)."""
    if (problem := date_problem(opens)) is not None:
        dropped(source, item, "opens", opens.isoformat() if opens else "", problem)
        opens = None
    kept = []
    for deadline in deadlines:
        if (problem := date_problem(deadline.at)) is not None:
            dropped(source, item, "deadline", deadline.raw, problem)
        else:
            kept.append(deadline)
    return opens, tuple(kept)


def dropped(source: str, item: str, field: str, value: Any, reason: str) -> None:
    """The one warning for a value left out of an item (the value's repr cut to 80)."""
    shown = repr(value)
    shown = shown if len(shown) <= 80 else shown[:79] + "…"
    logger.warning("value dropped source=%s item=%s field=%s value=%s reason=%s",
                   source, item, field, shown, reason)  # fmt: skip


def http_url(text: str) -> str:
    """``text`` when it is an absolute http(s) URL with a host, without whitespace or control
    characters; ValueError saying what is wrong otherwise."""
    if any(ch.isspace() or not ch.isprintable() for ch in text):
        raise ValueError("it holds whitespace or control characters")
    try:
        parts = urlsplit(text)
        parts.port  # noqa: B018 - a port that is not a number raises here
    except ValueError as exc:
        raise ValueError(f"it cannot be read as a URL ({exc})") from None
    if parts.scheme.lower() not in ("http", "https"):
        raise ValueError("it is not an http(s) URL (http:// or https://)")
    if not parts.hostname:
        raise ValueError("it names no host")
    return text


def shown_url(url: str) -> str:
    """``url`` for display: a ``user:password@`` in it becomes ``***@``."""
    return _USERINFO.sub(r"\1***@", url)
