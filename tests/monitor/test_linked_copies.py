"""A call known from two sources shows the best-known fields of its copies (issue #12, 8)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from monitor.store import sources as source_store
from monitor.store.calls import upsert_calls
from monitor.store.views import digest_calls, get_call, list_calls
from sources import feed
from sources.eu_ft import parse as parse_eu
from sources.records import FetchResult, Page
from sources.settings import validate
from tests.conftest import FIXTURES, load_json

DIGIT = "HORIZON-JU-GH-EDCTP3-2026-03-DIGIT-02"
AFTER = datetime(2026, 9, 10, tzinfo=UTC)  # its one deadline, 2026-09-02 17:00, has passed


def _feed(now: datetime):
    data = feed.decode((FIXTURES / "feeds/edctp3/calls_rss_trimmed.xml").read_bytes(),
                       {"content-type": "application/rss+xml"}, "u", "edctp3")  # fmt: skip
    settings = validate("feed", feed.KIND.settings, {})
    return feed.parse(FetchResult("edctp3", (Page("u", 1, data),), settings=settings), now)


def _portal(now: datetime):
    details = load_json(f"eu_ft/topicDetails_{DIGIT}_trimmed.json")["TopicDetails"]
    hit = {"metadata": {"identifier": [DIGIT], "title": ["Digital"], "type": ["1"],
                        "status": ["31094502"]}}  # fmt: skip
    result = FetchResult("eu", (Page("u", 1, {"results": [hit]}),), {DIGIT: details})
    return parse_eu(result, now)


def _stored(store):
    rss = source_store.add_source(store, "edctp3", "feed", "http://y/", {})
    portal = source_store.add_source(store, "eu", "eu-ft", "http://x/", {})
    feed_copy = next(r for r in _feed(AFTER) if r.identifier == DIGIT)
    assert feed_copy.deadlines == () and feed_copy.source_status == "open"
    upsert_calls(store, rss.id, [feed_copy], AFTER - timedelta(days=30))  # the feed came first
    upsert_calls(store, portal.id, _portal(AFTER), AFTER - timedelta(days=30))


def test_the_feed_copy_shows_its_portal_twins_passed_deadline(store) -> None:
    _stored(store)
    [call] = list_calls(store, now=AFTER)
    assert call.source == "edctp3" and call.identifier == DIGIT
    assert call.status == "closed" and "no-deadline" not in call.flags
    assert [d["at"] for d in call.deadlines] == ["2026-09-02T17:00:00+02:00"]
    assert call.dates_from == "eu" and call.next_deadline is None
    assert call.programme == "Horizon Europe" and call.budget == 18_000_000.0  # filled in
    assert call.title.startswith("Enhancing integrated research")  # its own title stays
    assert [link["source"] for link in call.also_listed] == ["eu"]
    assert list_calls(store, now=AFTER, status="open") == []
    assert [c.id for c in list_calls(store, now=AFTER, status="closed")] == [call.id]


def test_each_copy_shown_on_its_own_is_merged_too(store) -> None:
    _stored(store)
    [feed_copy] = list_calls(store, now=AFTER, source="edctp3")
    [portal_copy] = list_calls(store, now=AFTER, source="eu")
    assert feed_copy.status == portal_copy.status == "closed"
    shown = get_call(store, portal_copy.id, now=AFTER)
    assert shown is not None and [link["source"] for link in shown.also_listed] == ["edctp3"]
    shown = get_call(store, feed_copy.id, now=AFTER)
    assert shown is not None and shown.status == "closed" and shown.dates_from == "eu"
    assert shown.to_json()["sources"] == ["edctp3", "eu"]


def test_a_digest_reads_the_merged_call_and_its_twins_deadline(store) -> None:
    _stored(store)
    before = datetime(2026, 8, 20, tzinfo=UTC)
    found = digest_calls(store, now=before, since=before, horizon=before + timedelta(days=28))
    # Not new, never changed: only the portal twin's deadline ahead brings the call in.
    assert [(v.source, v.status, v.next_deadline is not None) for v, _ in found] == [
        ("edctp3", "open", True)
    ]
