from datetime import date

import pytest

from sources.dates_text import find_deadlines, parse_text_date


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("20 March 2025", date(2025, 3, 20)),
        ("March 20, 2025", date(2025, 3, 20)),
        ("1st Sept 2026", date(2026, 9, 1)),
        ("12 mars 2026", date(2026, 3, 12)),
        ("2025-03-20", date(2025, 3, 20)),
        ("31 February 2025", None),
        ("no date here", None),
    ],
)
def test_dates_written_for_people(text: str, expected: date | None) -> None:
    assert parse_text_date(text) == expected


def test_deadlines_need_a_cue() -> None:
    text = "Published 1 January 2026. The deadline for applications is 15 March 2026."
    assert find_deadlines(text) == [
        (date(2026, 3, 15), "deadline for applications is 15 March 2026")
    ]
    assert find_deadlines("Opens 1 May 2026 for all") == []


def test_swedish_and_iso_cues() -> None:
    assert find_deadlines("Sista ansökningsdag: 12 mars 2026")[0][0] == date(2026, 3, 12)
    assert find_deadlines("Closing date: 2026-04-30 16:00 UK time")[0][0] == date(2026, 4, 30)
