"""The feed kind over recorded EDCTP3 and UKRI feeds, and against hostile answers."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime
from typing import Any

import httpx
import pytest

from sources import feed
from sources.errors import FetchError, ParseError
from sources.http import HttpClient
from sources.records import CallRecord, FetchResult, Page, SourceConfig
from sources.settings import validate
from tests.conftest import FIXTURES
from tests.httpserver import Reply, ScriptedServer, scripted_server
from tests.sources.fakes import MemoryCache
from tests.sources.golden import check_golden

EDCTP3 = (FIXTURES / "feeds/edctp3/calls_rss_trimmed.xml").read_bytes()
UKRI = (FIXTURES / "feeds/ukri/ukri_opportunity_feed_excerpt.xml").read_bytes()
RSS = {"Content-Type": "application/rss+xml; charset=utf-8"}


def settings(**given: str) -> dict[str, Any]:
    return validate("feed", feed.KIND.settings, given)


def parse_bytes(content: bytes, now: datetime, **given: str) -> dict[str, CallRecord]:
    data = feed.decode(content, RSS, "http://x/feed", "test")
    result = FetchResult("test", (Page("http://x/feed", 1, data),), settings=settings(**given))
    return {r.external_id: r for r in feed.parse(result, now)}


def test_golden_edctp3(now) -> None:
    check_golden("feed_edctp3.json", list(parse_bytes(EDCTP3, now).values()))


def test_golden_ukri(now) -> None:
    check_golden("feed_ukri.json", list(parse_bytes(UKRI, now, funder="UKRI").values()))


def test_items_sharing_a_guid_stay_apart(now) -> None:
    records = parse_bytes(EDCTP3, now)
    assert len(records) == 13
    node = "https://www.global-health-edctp3.europa.eu/node/"
    assert {node + "663", node + "662"} <= set(records)
    assert records[node + "663"].url == records[node + "662"].url


def test_eu_topic_ids_come_out_of_messy_links(now) -> None:
    records = parse_bytes(EDCTP3, now)
    node = "https://www.global-health-edctp3.europa.eu/node/"
    assert records[node + "419"].identifier == "HORIZON-JU-GH-EDCTP3-2026-03-DIGIT-02"
    assert records[node + "162"].identifier == "HORIZON-JU-GH-EDCTP3-2022-CALL1-01-03"
    assert records[node + "416"].identifier == "HORIZON-JU-GH-EDCTP3-2026-01-HIV-03-two-stage"
    assert records[node + "419"].url.endswith(
        "/topic-details/HORIZON-JU-GH-EDCTP3-2026-03-DIGIT-02"
    )
    assert records[node + "161"].identifier == node + "161"  # the JU's own page: no topic id


def test_deadline_category_and_status(now) -> None:
    records = parse_bytes(EDCTP3, now)
    node = "https://www.global-health-edctp3.europa.eu/node/"
    ntd = records[node + "245"]
    assert [d.at.isoformat() for d in ntd.deadlines] == ["2025-03-20T17:00:00+01:00"]
    assert ntd.status == "closed"
    assert records[node + "419"].source_status == "open"
    assert records[node + "238"].source_status == "closed"  # "Completed"
    assert records[node + "419"].funder == "Global Health EDCTP3 Joint Undertaking"


def test_deadlines_from_text_and_invite_only(now) -> None:
    rss = b"""<?xml version="1.0"?><rss version="2.0"><channel><title>T</title>
    <item><title>Global health partnerships (invite only)</title>
    <link>https://f.example/a?utm_source=rss</link><guid>a-1</guid>
    <description>&lt;p&gt;Closing date: 30 September 2026 at 16:00&lt;/p&gt;</description></item>
    </channel></rss>"""
    [record] = parse_bytes(
        rss, now, deadline_time="16:00", deadline_timezone="Europe/London"
    ).values()
    assert [d.at.isoformat() for d in record.deadlines] == ["2026-09-30T16:00:00+01:00"]
    assert record.deadlines[0].raw == "Closing date: 30 September 2026"
    assert record.status == "open" and "invite-only" in record.flags
    assert record.url == "https://f.example/a"
    assert record.external_id == "a-1"


def test_html_instead_of_a_feed_is_a_parse_error() -> None:
    with pytest.raises(ParseError, match="expected a feed, got an HTML page"):
        feed.decode(
            b"<!DOCTYPE html><html><body>Not found</body></html>",
            {"content-type": "text/html"},
            "u",
            "s",
        )


def test_malformed_xml_with_no_items_is_a_parse_error() -> None:
    with pytest.raises(ParseError, match="not a readable feed"):
        feed.decode(b"<rss><channel><item><title></broken></rss>", RSS, "u", "s")


def test_a_wrong_charset_is_read_and_warned_about(now) -> None:
    latin1 = (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>T</title>'
        "<item><title>Bourse Sant\xe9</title><link>https://f.example/b</link></item>"
        "</channel></rss>"
    ).encode("latin-1")
    data = feed.decode(latin1, RSS, "u", "s")
    assert data["problem"]
    assert data["entries"][0]["title"].startswith("Bourse Sant")


# --- against a loopback server -------------------------------------------------------------


@pytest.fixture
def server() -> Iterator[ScriptedServer]:
    with scripted_server() as scripted:
        yield scripted


def run_fetch(server: ScriptedServer, state: dict[str, Any] | None = None, cache=None):
    with httpx.Client() as client:
        config = SourceConfig("edctp3", server.url + "/feed", settings(), state or {})
        return feed.fetch(HttpClient(client, sleep=lambda s: None), config, cache)


def test_conditional_get_and_unchanged_reparse(server, now) -> None:
    server.add(
        "GET",
        "/feed",
        Reply(200, EDCTP3, {**RSS, "ETag": '"v1"'}),
        Reply(304, b"", {"ETag": '"v1"'}),
    )
    cache = MemoryCache()
    first = run_fetch(server, cache=cache)
    second = run_fetch(server, cache=cache)
    assert server.requests[1]["headers"]["If-None-Match"] == '"v1"'
    assert feed.parse(first, now) == feed.parse(second, now)
    assert len(feed.parse(second, now)) == 13


def test_an_empty_feed_is_no_error_here(server, now) -> None:
    # It is valid; the monitor's health check turns the source unhealthy if it had items.
    empty = b'<?xml version="1.0"?><rss version="2.0"><channel><title>T</title></channel></rss>'
    server.add("GET", "/feed", Reply(200, empty, RSS))
    assert feed.parse(run_fetch(server), now) == []


def test_too_many_items_is_a_parse_error(server, now) -> None:
    server.add("GET", "/feed", Reply(200, EDCTP3, RSS))
    result = run_fetch(server)
    with pytest.raises(ParseError, match="13 items, more than max_items=5"):
        feed.parse(replace(result, settings=settings(max_items="5")), now)


def test_a_403_to_bots_is_a_fetch_error_naming_the_source(server) -> None:
    server.add("GET", "/feed", Reply(403, b"denied"))
    with pytest.raises(FetchError) as caught:
        run_fetch(server)
    assert "source 'edctp3'" in str(caught.value) and caught.value.status == 403


def test_settings_are_validated() -> None:
    from sources.errors import SettingError

    with pytest.raises(SettingError, match="deadline_timezone"):
        settings(deadline_timezone="Mars/Base")
    with pytest.raises(SettingError, match="deadline_time"):
        settings(deadline_time="5pm")
