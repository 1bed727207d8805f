"""The page kind. No funder page was recorded (SOURCES-GUIDE §1), so these pages are written
here after the structures the guide describes (Wellcome's __NEXT_DATA__ field names, a
WordPress wp-json list, Grand Challenges' UNIX-seconds dates)."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from sources import page
from sources.errors import ParseError, SettingError
from sources.http import HttpClient
from sources.records import SourceConfig
from sources.settings import validate
from tests.httpserver import Reply, scripted_server

LISTING = """<html><body><main>
<article><h3>Global health fellowship</h3><a href="/funding/ghf?utm_source=x">Read</a>
  <p class="due">Closing date: 26 March 2027</p><p>For researchers in <b>LMICs</b>.</p></article>
<article><h3>Africa research networks</h3><a href="https://f.example/arn">Read</a>
  <p class="due">Rolling</p></article>
<article><h3>No link here</h3></article>
</main></body></html>"""

NEXT_DATA = {"props": {"pageProps": {"initialListings": [
    {"id": 11, "url": "/research-funding/schemes/discovery-awards", "title": "Discovery Awards",
     "listing_summary": "<p>Up to &pound;5m</p>", "scheme_closes_for_applications": "26 March 2026",
     "scheme_opens_for_applications": "1 May 2025"},
    {"id": 12, "url": "/research-funding/schemes/career-development", "title": "Career Development",
     "scheme_closes_for_applications": None},
]}}}  # fmt: skip


def settings(**given: str) -> dict[str, Any]:
    return validate("page", page.KIND.settings, given)


def run(body: bytes, content_type: str, now, **given: str):
    with scripted_server() as server, httpx.Client() as client:
        server.add("GET", "/calls", Reply(200, body, {"Content-Type": content_type}))
        config = SourceConfig("funder", server.url + "/calls", settings(**given))
        result = page.fetch(HttpClient(client), config, None)
        return result, page.parse(result, now), server.url


def test_css_selectors(now) -> None:
    result, records, base = run(
        LISTING.encode(),
        "text/html; charset=utf-8",
        now,
        deadline="p.due",
        summary="p:not(.due)",
        funder="Wellcome",
    )
    assert [r.title for r in records] == ["Global health fellowship", "Africa research networks"]
    first = records[0]
    assert first.url == base + "/funding/ghf"
    assert [d.at.isoformat() for d in first.deadlines] == ["2027-03-26T17:00:00+00:00"]
    assert first.status == "open" and first.funder == "Wellcome"
    assert "LMICs" in first.description
    assert records[1].deadlines == () and "no-deadline" in records[1].flags


def test_embedded_next_data(now) -> None:
    html = ('<html><body><script id="__NEXT_DATA__" type="application/json">'
            + json.dumps(NEXT_DATA) + "</script></body></html>")  # fmt: skip
    _, records, base = run(html.encode(), "text/html", now, mode="json",
                           deadline_field="scheme_closes_for_applications",
                           opens_field="scheme_opens_for_applications",
                           summary_field="listing_summary", id_field="id")  # fmt: skip
    assert [r.external_id for r in records] == ["11", "12"]
    assert records[0].url == base + "/research-funding/schemes/discovery-awards"
    assert records[0].deadlines[0].raw == "26 March 2026"
    assert records[0].opens is not None and records[0].opens.date().isoformat() == "2025-05-01"


def test_wordpress_json_and_unix_seconds(now) -> None:
    body = json.dumps(
        [
            {
                "id": 7,
                "link": "https://f.example/en/grant/x/",
                "title": {"rendered": "Grant &amp; more"},
                "close": 1790812800,
            }
        ]
    )
    _, records, _ = run(body.encode(), "application/json", now, mode="json", json_script="",
                        json_path="", title_field="title.rendered", url_field="link",
                        deadline_field="close", id_field="id")  # fmt: skip
    [record] = records
    assert record.title == "Grant & more"
    assert record.deadlines[0].at.date().isoformat() == "2026-10-01"


def test_a_changed_layout_warns_and_missing_data_fails(now, caplog) -> None:
    result, records, _ = run(b"<html><body><div>redesigned</div></body></html>", "text/html", now)
    assert records == [] and "has the page changed?" in caplog.text
    with pytest.raises(ParseError, match="no element matches"):
        run(b"<html><body></body></html>", "text/html", now, mode="json")
    with pytest.raises(ParseError, match="is not a list"):
        run(json.dumps({"a": 1}).encode(), "application/json", now, mode="json",
            json_script="", json_path="a")  # fmt: skip


def test_the_declared_charset_is_honoured(now) -> None:
    html = "<html><body><article><h3>Bourse Santé</h3><a href='/b'>x</a></article></body></html>"
    _, records, _ = run(html.encode("latin-1"), "text/html; charset=iso-8859-1", now)
    assert records[0].title == "Bourse Santé"


def test_bad_settings_say_what_is_wrong() -> None:
    with pytest.raises(SettingError, match="not a CSS selector"):
        settings(item="article[")
    with pytest.raises(SettingError, match="mode"):
        settings(mode="xpath")
