"""A two-stage call closes to new applicants with its first deadline: status, the digest's
wording (stage 1 / stage 2) and reminders say so (issue #12, 8)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from monitor.digests.planning import change_of, item_of
from monitor.store.db import open_store
from monitor.store.views import list_calls
from notifications import mail, slack
from notifications.digest import Digest, Section
from notifications.selection import Candidate, Criteria, Pool, choose
from tests.conftest import CAPTURE_TIME

LIFE = "LIFE-2026-STRAT-CLIMA-SIP-two-stage"
BEFORE_STAGE_1 = datetime(2026, 8, 20, tzinfo=UTC)  # stage 1: 2026-09-03, stage 2: 2027-03-04
BETWEEN = datetime(2026, 10, 1, tzinfo=UTC)


def _life(db_url: str, now: datetime):
    store = open_store(db_url)
    try:
        [view] = list_calls(store, now=now, search=LIFE)
    finally:
        store.dispose()
    return view


def _texts(digest: Digest) -> list[str]:
    blocks = [b["text"]["text"] for m in slack.render_digest(digest) for b in m.blocks
              if b.get("type") == "section"]  # fmt: skip
    return [mail.render_text(digest), mail.render_html(digest), "\n".join(blocks)]


def test_the_digest_names_each_deadline_by_its_stage(portal, db_url) -> None:
    item = item_of(_life(db_url, CAPTURE_TIME), CAPTURE_TIME)
    assert item.stages == (1, 2) and len(item.deadlines) == 2
    for language, word in (("en", "stage"), ("sv", "steg")):
        digest = Digest(language, "Europe/Stockholm", CAPTURE_TIME, "2026-W26",
                        new=(Section("", (item,)),))  # fmt: skip
        for text in _texts(digest):
            assert f"{word} 1: " in text and f"{word} 2: " in text, (language, text)
    # A single-stage call is not labelled.
    store = open_store(db_url)
    other = list_calls(store, now=CAPTURE_TIME, search="ERASMUS-EDU-2026-PEX-COVE")[0]
    store.dispose()
    assert item_of(other, CAPTURE_TIME).stages == ()


def test_after_stage_1_it_is_closed_never_new_and_gets_no_reminder(portal, db_url) -> None:
    view = _life(db_url, BETWEEN)
    assert (view.status, view.next_deadline) == ("closed", None)
    item = item_of(view, BETWEEN)
    assert item.status == "closed" and item.stages == (2,)  # stage 2 still shown as stage 2
    # Stage 2 (2027-03-04) is within a 180-day window: an open call would be reminded.
    windows = (180,)
    pool = Pool({view.id: Candidate.of(item, BETWEEN - timedelta(days=1), item.title)})
    since = BETWEEN - timedelta(days=7)
    never = choose(Criteria(), pool, [view.id], lambda _c, _k: False, now=BETWEEN, since=since,
                   windows=windows)  # fmt: skip
    assert never == []  # not listed as a new call
    told = choose(Criteria(), pool, [view.id], lambda _c, k: k == "new", now=BETWEEN,
                  since=since, windows=windows)  # fmt: skip
    assert told == []  # no reminder of stage 2 to the ones told about it


def test_before_stage_1_the_reminder_is_for_stage_1(portal, db_url) -> None:
    view = _life(db_url, BEFORE_STAGE_1)
    assert view.status == "open" and view.next_deadline is not None
    assert view.next_deadline.date().isoformat() == "2026-09-03"
    item = item_of(view, BEFORE_STAGE_1)
    pool = Pool({view.id: Candidate.of(item, CAPTURE_TIME, item.title)})
    [entry] = choose(Criteria(), pool, [view.id], lambda _c, k: k == "new", now=BEFORE_STAGE_1,
                     since=BEFORE_STAGE_1 - timedelta(days=7), windows=(28,))  # fmt: skip
    assert entry.part == "reminders" and entry.keys == ("reminder:28:2026-09-03",)


def test_closing_with_stage_1_is_not_reported_as_closing_early(portal, db_url) -> None:
    view = _life(db_url, BETWEEN)
    closed_at = datetime(2026, 9, 4, tzinfo=UTC)
    assert change_of("status_changed", "open", "closed", closed_at, view) is None
    early = datetime(2026, 8, 1, tzinfo=UTC)  # before stage 1: early indeed
    assert change_of("status_changed", "open", "closed", early, view) is not None
