from datetime import UTC, date, datetime, timedelta

import pytest

from sources.deadlines import (
    TWO_STAGE,
    compute_status,
    deadline_model,
    epoch_ms_date,
    eu_deadline,
    next_deadline,
    parse_instant,
    sorted_deadlines,
    stage_numbers,
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


def test_without_a_model_a_call_is_open_until_its_last_deadline() -> None:
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


def test_a_two_stage_call_closes_to_newcomers_at_its_first_stage() -> None:
    stages = sorted_deadlines(
        [eu_deadline(date(2026, 9, 3), "stage 1"), eu_deadline(date(2027, 3, 4), "stage 2")]
    )
    before = datetime(2026, 9, 1, tzinfo=UTC)
    between = datetime(2026, 10, 1, tzinfo=UTC)
    assert compute_status(None, stages, "open", before, TWO_STAGE) == ("open", (TWO_STAGE,))
    assert compute_status(None, stages, "open", between, TWO_STAGE) == (
        "closed",
        (TWO_STAGE, "stale-source-status"),
    )
    first = next_deadline(stages, before, TWO_STAGE)
    assert first is not None and first.raw == "stage 1"
    assert next_deadline(stages, between, TWO_STAGE) is None  # stage 2 is not open to newcomers
    assert stage_numbers(stages, TWO_STAGE) == (1, 2)
    assert stage_numbers(stages, "single-stage") == ()


def test_a_multiple_cut_off_call_stays_open_until_its_last_cut_off() -> None:
    cut_offs = sorted_deadlines(
        [eu_deadline(date(2026, 3, 24), "a"), eu_deadline(date(2027, 1, 26), "b")]
    )
    assert compute_status(None, cut_offs, "open", NOW, "multiple cut-off") == ("open", ())
    upcoming = next_deadline(cut_offs, NOW, "multiple cut-off")
    assert upcoming is not None and upcoming.raw == "b"
    later = datetime(2027, 2, 1, tzinfo=UTC)
    assert compute_status(None, cut_offs, "open", later, "multiple cut-off")[0] == "closed"


def test_the_deadline_model_travels_as_a_flag() -> None:
    assert deadline_model(("no-deadline", TWO_STAGE)) == TWO_STAGE
    assert deadline_model(("conflicting-deadlines",)) is None
    # A feed that copies the portal's topic id carries the model in it.
    assert deadline_model((), "HORIZON-JU-GH-EDCTP3-2026-01-HIV-03-TWO-STAGE") == TWO_STAGE
    assert deadline_model((), "https://www.global-health-edctp3.europa.eu/node/416") is None
