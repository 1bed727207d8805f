"""A call as its page shows it (evidence per tag from what tagging stored), readers' feedback
for the admins, and one call's deadlines as an .ics file; both databases."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from icalendar import Calendar

from monitor.app import calls
from monitor.app.context import App
from monitor.config import load_settings
from monitor.errors import ConfigError
from monitor.store.db import open_store
from monitor.store.feedback import list_feedback


@pytest.fixture
def app(db_url, portal, monkeypatch) -> App:
    monkeypatch.setenv("FUNDING_MONITOR_DATABASE_URL", db_url)
    return App(load_settings(None))


def edctp(portal: dict[str, int]) -> str:
    return next(i for i in portal if "EDCTP3" in i)


def test_the_page_has_each_tag_with_its_evidence(app, portal) -> None:
    shown = calls.page(app, edctp(portal))
    assert shown.call.identifier == edctp(portal)
    assert [e.tag for e in shown.evidence] == [t for t in shown.labels if t in {
        "global-actor", "global-health-lmic", "eu-research-policy"}]  # fmt: skip
    first = shown.evidence[0]
    assert first.score == 0.9 and first.origin == "rules" and first.labels["sv"]
    with pytest.raises(ConfigError, match="no call with identifier"):
        calls.page(app, "NO-SUCH-CALL")


def test_the_page_from_the_search_index_is_the_page_from_the_store(app, portal) -> None:
    from monitor.app import search

    ref = edctp(portal)
    from_store = calls.page(app, ref)
    search.refresh(app)  # now the web face's index holds the calls
    assert search.known(app, portal[ref]) is not None
    from_index = calls.page(app, ref)
    assert from_index.call.to_json() == from_store.call.to_json()
    assert from_index.evidence == from_store.evidence
    assert [c.kind for c in from_index.call.changes] == [c.kind for c in from_store.call.changes]
    assert from_index.call.changes  # the history is read from the store either way


def test_feedback_is_recorded_for_the_admins(app, portal, db_url) -> None:
    ref = edctp(portal)
    wrong = calls.feedback(app, ref, "wrong-tag", tag="global-health-lmic")
    calls.feedback(app, portal[ref], "not-relevant")
    stored = list_feedback(open_store(db_url))
    assert [(f.kind, f.tag_id, f.via) for f in stored] == [
        ("not-relevant", None, "web"), ("wrong-tag", "global-health-lmic", "web")]  # fmt: skip
    assert wrong.call_id == portal[ref] and wrong.status == "new"


def test_a_subscriber_saying_it_twice_keeps_one_word(app, portal, db_url) -> None:
    from monitor.store.subscribers import add_subscriber

    who = add_subscriber(open_store(db_url), "email", "reader@example.org")
    ref = edctp(portal)
    calls.feedback(app, ref, "up", via="email", subscriber_id=who.id)
    calls.feedback(app, ref, "up", via="email", subscriber_id=who.id)
    calls.feedback(app, ref, "down", via="slack", subscriber_id=who.id)
    stored = list_feedback(open_store(db_url))
    assert [(f.kind, f.via, f.subscriber_id) for f in stored] == [("down", "slack", who.id)]


@pytest.mark.parametrize(("kind", "tag", "error"), [
    ("love", None, "unknown feedback 'love'"),
    ("wrong-tag", "north-america", "does not have the tag 'north-america'"),
    ("wrong-tag", None, "does not have the tag None"),
    ("up", "global-actor", "a tag is given only with wrong-tag"),
])  # fmt: skip
def test_feedback_that_cannot_be_is_refused(app, portal, kind, tag, error) -> None:
    with pytest.raises(ConfigError, match=error):
        calls.feedback(app, edctp(portal), kind, tag=tag)


def test_a_calls_upcoming_deadlines_as_ics(app, db_url) -> None:
    from monitor.store import sources as source_store
    from monitor.store.calls import upsert_calls
    from sources.records import CallRecord, Deadline

    store = open_store(db_url)
    source = source_store.add_source(store, "ics", "feed", "http://127.0.0.1:9/f.xml", {})
    assert source.id is not None
    stages = (datetime(2020, 1, 9, 17, tzinfo=UTC), datetime(2030, 2, 1, 16, tzinfo=UTC),
              datetime(2030, 9, 3, 16, tzinfo=UTC))  # fmt: skip
    upsert_calls(store, source.id, [
        CallRecord("a", "TWO-STAGE-1", "Two stages", "https://example.org/a", "F", "P", "open",
                   deadlines=tuple(Deadline(at, at.isoformat()) for at in stages)),
        CallRecord("b", "OVER-1", "Over", "https://example.org/b", "F", "P", "closed",
                   deadlines=(Deadline(stages[0], "2020-01-09"),)),
    ], datetime.now(UTC))  # fmt: skip
    ics = calls.calendar(app, "TWO-STAGE-1", language="sv")
    assert ics is not None
    events = Calendar.from_ical(ics).walk("VEVENT")
    assert sorted(e.decoded("dtend") for e in events) == list(stages[1:])  # the past one left out
    assert all(str(e["summary"]).startswith("Sista dag: Two stages") for e in events)
    assert calls.calendar(app, "OVER-1") is None
