from datetime import UTC, date, datetime, timedelta

import pytest

from sources.deadlines import (
    compute_status,
    epoch_ms_date,
    eu_deadline,
    next_deadline,
    parse_instant,
    sorted_deadlines,
    utc_date,
)

NOW = datetime(2026, 6, 27, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2026-09-03T00:00:00.000+0000", datetime(2026, 9, 3, tzinfo=UTC)),
        ("2023-05-11T02:00:00.000+0200", datetime(2023, 5, 11, tzinfo=UTC)),
        ("2026-07-28T09:00:00.000Z", datetime(2026, 7, 28, 9, tzinfo=UTC)),
        ("2026-04-01T15:44:11.496", datetime(2026, 4, 1, 15, 44, 11, 496000, tzinfo=UTC)),
        ("2024-02-06T17:00:00.000-0500", datetime(2024, 2, 6, 22, tzinfo=UTC)),
    ],
)
def test_parse_instant_accepts_the_portal_forms(raw: str, expected: datetime) -> None:
    assert parse_instant(raw) == expected


def test_parse_instant_rejects_garbage() -> None:
    with pytest.raises(ValueError):
        parse_instant("09 March 2023")


def test_midnight_utc_with_brussels_offset_keeps_its_calendar_date() -> None:
    # 2025 data shows midnight UTC as 02:00+0200: the calendar date must stay the 11th.
    assert utc_date("2023-05-11T02:00:00.000+0200") == date(2023, 5, 11)
    assert epoch_ms_date("1790812800000") == date(2026, 10, 1)
    assert epoch_ms_date(1790812800000) == date(2026, 10, 1)


def test_eu_deadline_is_17h_brussels_in_summer_and_winter() -> None:
    summer = eu_deadline(date(2026, 9, 3), "raw")
    winter = eu_deadline(date(2027, 3, 4), "raw")
    assert summer.at.astimezone(UTC) == datetime(2026, 9, 3, 15, tzinfo=UTC)
    assert winter.at.astimezone(UTC) == datetime(2027, 3, 4, 16, tzinfo=UTC)
    assert summer.date_only and summer.raw == "raw"


def test_status_from_dates_not_from_the_flag() -> None:
    past = (eu_deadline(date(2024, 2, 6), "x"),)
    future = (eu_deadline(date(2026, 9, 3), "y"),)
    assert compute_status(None, past, "open", NOW) == ("closed", ("stale-source-status",))
    assert compute_status(None, future, "closed", NOW) == ("open", ())
    later = NOW + timedelta(days=3)
    assert compute_status(later, future, "open", NOW) == ("forthcoming", ())


def test_no_deadline_keeps_source_status_and_flags_it() -> None:
    assert compute_status(None, (), "forthcoming", NOW) == ("forthcoming", ("no-deadline",))
    assert compute_status(None, (), None, NOW) == ("open", ("no-deadline",))


def test_two_stage_call_is_open_until_its_last_deadline() -> None:
    stages = sorted_deadlines(
        [eu_deadline(date(2027, 3, 4), "b"), eu_deadline(date(2026, 6, 1), "a")]
    )
    assert [d.raw for d in stages] == ["a", "b"]
    assert compute_status(None, stages, "open", NOW)[0] == "open"
    upcoming = next_deadline(stages, NOW)
    assert upcoming is not None and upcoming.raw == "b"
    assert next_deadline(stages, datetime(2028, 1, 1, tzinfo=UTC)) is None


def test_sorted_deadlines_drops_duplicate_instants() -> None:
    same = [eu_deadline(date(2026, 9, 3), "first"), eu_deadline(date(2026, 9, 3), "second")]
    assert [d.raw for d in sorted_deadlines(same)] == ["first"]
