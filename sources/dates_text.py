"""Dates written for people ("20 March 2025", "March 20, 2025", "12 mars 2026", "2025-03-20")
and deadlines announced in free text ("Deadline: 15 March 2026", "Closing date …",
"sista ansökningsdag …"). Pure."""

from __future__ import annotations

import re
from datetime import date

MONTHS = {
    # English
    "january": 1, "february": 2, "march": 3, "april": 4, "may": 5, "june": 6, "july": 7,
    "august": 8, "september": 9, "october": 10, "november": 11, "december": 12,
    "jan": 1, "feb": 2, "mar": 3, "apr": 4, "jun": 6, "jul": 7, "aug": 8, "sep": 9,
    "sept": 9, "oct": 10, "nov": 11, "dec": 12,
    # Swedish
    "januari": 1, "februari": 2, "mars": 3, "maj": 5, "juni": 6, "juli": 7, "augusti": 8,
    "oktober": 10,
    # French
    "janvier": 1, "février": 2, "fevrier": 2, "avril": 4, "mai": 5, "juin": 6, "juillet": 7,
    "août": 8, "aout": 8, "septembre": 9, "octobre": 10, "novembre": 11, "décembre": 12,
    "decembre": 12,
}  # fmt: skip
_MONTH = "|".join(sorted(MONTHS, key=len, reverse=True))
_DAY_MONTH_YEAR = rf"(?P<d1>\d{{1,2}})(?:st|nd|rd|th)?\.?\s+(?P<m1>{_MONTH})\.?,?\s+(?P<y1>\d{{4}})"
_MONTH_DAY_YEAR = rf"(?P<m2>{_MONTH})\.?\s+(?P<d2>\d{{1,2}})(?:st|nd|rd|th)?,?\s+(?P<y2>\d{{4}})"
_ISO = r"(?P<y3>\d{4})-(?P<m3>\d{2})-(?P<d3>\d{2})"
_DATE = rf"(?:{_DAY_MONTH_YEAR}|{_MONTH_DAY_YEAR}|{_ISO})"
DATE = re.compile(rf"\b{_DATE}\b", re.IGNORECASE)
_CUE = (
    r"deadlines?|closing dates?|closes|close date|closing|due dates?|apply by|submission dates?"
    r"|applications? (?:close|due)|sista ansökningsdag(?:en)?|sista dag för ansökan"
    r"|ansökan ska vara inkommen senast|date limite"
)
# A cue, then up to 60 characters without a sentence end, then a date.
DEADLINE = re.compile(rf"(?:{_CUE})\b[^.\n]{{0,60}}?(?P<date>{_DATE})", re.IGNORECASE)


def parse_text_date(text: str) -> date | None:
    """The first date written in ``text``, or None (an impossible date is None too)."""
    match = DATE.search(text)
    return _to_date(match) if match else None


def find_deadlines(text: str) -> list[tuple[date, str]]:
    """Every (date, the words that announced it) found after a deadline cue in ``text``."""
    found: list[tuple[date, str]] = []
    for match in DEADLINE.finditer(text):
        inner = DATE.search(match.group("date"))
        day = _to_date(inner) if inner else None
        if day is not None:
            found.append((day, " ".join(match.group(0).split())))
    return found


def _to_date(match: re.Match[str]) -> date | None:
    groups = match.groupdict()
    try:
        if groups.get("y3"):
            return date(int(groups["y3"]), int(groups["m3"]), int(groups["d3"]))
        if groups.get("y1"):
            return date(int(groups["y1"]), MONTHS[groups["m1"].lower()], int(groups["d1"]))
        return date(int(groups["y2"]), MONTHS[groups["m2"].lower()], int(groups["d2"]))
    except (ValueError, KeyError):
        return None
