"""Choosing what a subscriber is due and grouping it: pure rules, tested without a store."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from notifications.digest import OTHER_AREA, Change
from notifications.selection import Candidate, Criteria, Pool, choose, group, matches, reminder_keys
from tests.notifications.samples import item

NOW = datetime(2026, 6, 27, 12, 0, tzinfo=UTC)
SINCE = NOW - timedelta(days=7)


def candidate(call_id: int, *, seen: datetime = NOW, places: tuple[str, ...] = (),
              text: str = "", **changes: object) -> Candidate:  # fmt: skip
    it = item(call_id, **changes)
    return Candidate.of(it, seen, f"{it.title} {text}", places)


def never(call_id: int, key: str) -> bool:
    return False


def introduced(call_id: int, key: str) -> bool:
    """Every call was announced as new before; nothing else was."""
    return key == "new"


def test_each_filter_part_must_match_and_any_value_within_it() -> None:
    c = candidate(1, places=("Africa", "LMIC"), text="malaria vaccine trials in Uganda")
    assert matches(Criteria(), c, NOW)
    assert matches(Criteria(tags=frozenset({"at-home", "global-health-lmic"})), c, NOW)
    assert not matches(Criteria(tags=frozenset({"at-home"})), c, NOW)
    assert matches(Criteria(programmes=("edctp3",)), c, NOW)  # in the funder
    assert matches(Criteria(programmes=("HORIZON EUROPE",)), c, NOW)
    assert not matches(Criteria(programmes=("erasmus",)), c, NOW)
    assert matches(Criteria(places=("africa",)), c, NOW)  # named by the source
    assert matches(Criteria(places=("uganda",)), c, NOW)  # in the text
    assert not matches(Criteria(places=("Canada",)), c, NOW)
    assert matches(Criteria(keywords=("Malaria vaccine",)), c, NOW)
    assert not matches(Criteria(keywords=("mal",)), c, NOW)  # whole words only
    assert not matches(Criteria(keywords=("malaria",), tags=frozenset({"at-home"})), c, NOW)


def test_min_days_left_drops_calls_closing_sooner_but_keeps_open_ended_ones() -> None:
    soon = candidate(1, deadlines=(NOW + timedelta(days=10),))
    later = candidate(2, deadlines=(NOW + timedelta(days=40),))
    open_ended = candidate(3, deadlines=())
    criteria = Criteria(min_days_left=14)
    assert [matches(criteria, c, NOW) for c in (soon, later, open_ended)] == [False, True, True]


def test_new_calls_are_chosen_once_and_closed_or_old_ones_not() -> None:
    # call 4 is first seen after `now` (a pinned clock)
    pool = Pool({1: candidate(1), 2: candidate(2, status="closed"),
                 3: candidate(3, seen=SINCE - timedelta(days=1), deadlines=()),
                 4: candidate(4, seen=NOW + timedelta(days=1))})  # fmt: skip
    entries = choose(Criteria(), pool, pool.candidates, never, now=NOW, since=SINCE)
    assert [(e.call_id, e.part) for e in entries] == [(1, "new")]
    announced = {(1, "new")}
    again = choose(Criteria(), pool, pool.candidates, lambda c, k: (c, k) in announced,
                   now=NOW, since=SINCE)  # fmt: skip
    assert again == []


def test_changes_are_announced_once_each_and_a_new_call_settles_its_own() -> None:
    moved = Change("deadline_changed", (NOW,), (NOW + timedelta(days=9),))
    old = candidate(1, seen=NOW - timedelta(days=60), deadlines=(NOW + timedelta(days=90),))
    fresh = candidate(2, deadlines=(NOW + timedelta(days=90),))
    pool = Pool({1: old, 2: fresh}, {1: [(11, NOW, moved), (12, SINCE - timedelta(days=1), moved)],
                                     2: [(21, NOW, moved)]})  # fmt: skip
    entries = {e.call_id: e for e in choose(Criteria(), pool, [1, 2], never, now=NOW, since=SINCE)}
    assert list(entries) == [2]  # call 1 was never introduced: its change alone would puzzle
    assert entries[2].part == "new" and entries[2].keys == ("new", "change:21")
    entries = {e.call_id: e for e in choose(Criteria(), pool, [1], introduced, now=NOW,
                                            since=SINCE)}  # fmt: skip
    assert entries[1].part == "changed" and entries[1].changes == (11,)  # 12 is before `since`
    assert entries[1].keys == ("change:11",)


def test_reminders_once_per_window_and_deadline() -> None:
    deadline = NOW + timedelta(days=20)
    assert reminder_keys(deadline, NOW, (28, 7)) == ("reminder:28:2026-07-17",)
    assert reminder_keys(deadline, NOW + timedelta(days=15), (28, 7)) == (
        "reminder:7:2026-07-17", "reminder:28:2026-07-17")  # fmt: skip
    old = candidate(1, seen=NOW - timedelta(days=60), deadlines=(deadline,))
    pool = Pool({1: old})
    assert choose(Criteria(), pool, [1], never, now=NOW, since=SINCE) == []  # never introduced
    [entry] = choose(Criteria(), pool, [1], introduced, now=NOW, since=SINCE)
    assert entry.part == "reminders" and entry.keys == ("reminder:28:2026-07-17",)
    told = {"new", *entry.keys}
    later = NOW + timedelta(days=7)  # 13 days left: still only in the 28-day window
    assert choose(Criteria(), pool, [1], lambda c, k: k in told, now=later, since=SINCE) == []
    last = NOW + timedelta(days=14)  # 6 days left: the 7-day reminder
    [entry] = choose(Criteria(), pool, [1], lambda c, k: k in told, now=last, since=SINCE)
    assert entry.keys == ("reminder:7:2026-07-17",)
    closed = candidate(
        2, seen=NOW - timedelta(days=60), deadlines=(deadline,), status="forthcoming"
    )
    assert choose(Criteria(), Pool({2: closed}), [2], introduced, now=NOW, since=SINCE) == []


def test_group_puts_each_call_under_one_area_sorted_by_deadline() -> None:
    areas = ["responsible", "global-actor", "at-home"]
    late = item(1, deadlines=(NOW + timedelta(days=50),), tags=("global-actor", "at-home"))
    early = item(2, deadlines=(NOW + timedelta(days=5),), tags=("global-actor",))
    none = item(3, deadlines=(), tags=("global-actor",))
    other = item(4, tags=("unknown",))
    sections = group([late, none, other, early], areas)
    assert [(s.area, [i.call_id for i in s.items]) for s in sections] == [
        ("global-actor", [2, 1, 3]), (OTHER_AREA, [4])]  # fmt: skip
    followed = group([late, early], areas, followed=["at-home"])
    assert [(s.area, [i.call_id for i in s.items]) for s in followed] == [
        ("global-actor", [2]), ("at-home", [1])]  # fmt: skip
