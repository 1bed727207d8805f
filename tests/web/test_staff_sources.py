"""The curators' source pages (issue #15): the health dashboard (unhealthy first, sorted and
filtered in the URL, last error with its hint), a source's page (settings with secrets masked,
runs, calls linked to their pages, health events), editing its settings as `sources add`
validates them, enabling and disabling it, running it now in a thread of the web process
(progress polled, a second run refused, a source another process holds reported busy),
removing it after a page that says truthfully what goes; adding a source through a preview
of a loopback feed; the catalogue and file imports previewed then confirmed, exports; roles,
CSRF, and every change in the audit log (from the CLI too)."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from monitor.app import audit
from monitor.ingest.catalogue import load_catalogue
from monitor.store import sources as source_store
from tests.conftest import FIXTURES
from tests.httpserver import Reply, scripted_server
from tests.monitor.conftest import cli  # noqa: F401  (the command line, for its audit)
from tests.web.conftest import csrf_of, sign_in_staff

RSS = (FIXTURES / "feeds/edctp3/calls_rss_trimmed.xml").read_bytes()
FEED_ITEMS = 13  # in the recording
PAGES = ("/staff/sources", "/staff/sources/new", "/staff/sources/new?kind=feed",
         "/staff/sources/feed-a", "/staff/sources/feed-a/run", "/staff/sources/feed-a/remove",
         "/staff/catalogue", "/staff/catalogue?preview=1", "/staff/catalogue/export.toml",
         "/staff/catalogue/export.opml")  # fmt: skip
POSTS = ("/staff/sources/new", "/staff/sources/feed-a/settings", "/staff/sources/feed-a/enabled",
         "/staff/sources/feed-a/run", "/staff/sources/feed-a/remove", "/staff/catalogue/import",
         "/staff/catalogue/file")  # fmt: skip


@pytest.fixture(autouse=True)
def quick(monkeypatch: pytest.MonkeyPatch) -> None:
    """No pause between requests to one origin, one attempt per request (before any App)."""
    monkeypatch.setenv("FUNDING_MONITOR_FETCH_ORIGIN_INTERVAL", "0")
    monkeypatch.setenv("FUNDING_MONITOR_HTTP_ATTEMPTS", "1")
    monkeypatch.setenv("FUNDING_MONITOR_FETCH_PARSE_PROCESSES", "0")


@pytest.fixture
def feed() -> Iterator[Any]:
    """A loopback server: the recorded EDCTP3 feed at /rss, an HTML page at /page, a slow
    feed at /slow."""
    with scripted_server() as server:
        kind = {"Content-Type": "application/rss+xml"}
        server.add("GET", "/rss", Reply(200, RSS, kind))
        server.add("GET", "/page", Reply(200, b"<html><body>no feed</body></html>",
                                         {"Content-Type": "text/html"}))  # fmt: skip
        server.add("GET", "/slow", Reply(200, RSS, kind, delay=2.0))
        yield server


def _run(store: Any, name: str, *, items: int = 0, error: str | None = None,
         days_ago: int = 0) -> None:  # fmt: skip
    """A finished run of ``name`` (failed with ``error``), its health updated."""
    source = source_store.get_source(store, name)
    at = datetime.now(UTC) - timedelta(days=days_ago)
    run_id = source_store.start_run(store, source, at)
    source_store.finish_run(store, run_id, items=items, error=error)


@pytest.fixture
def stored(store: Any, bare_app: Any) -> Any:
    """Three sources: feed-a healthy (a run of 100 items 40 days ago, then two of 10 and 20
    items), page-b failing twice (HTTP 404: unhealthy), feed-c never run and disabled."""
    source_store.add_source(store, "feed-a", "feed", "https://user:hunter22@f.example/a.rss",
                            {"max_items": "500", "funder": "EDCTP"})  # fmt: skip
    source_store.add_source(store, "page-b", "page", "https://p.example/calls", {})
    source_store.add_source(store, "feed-c", "feed", "https://f.example/c.rss", {},
                            enabled=False)  # fmt: skip
    _run(store, "feed-a", items=100, days_ago=40)
    _run(store, "feed-a", items=10)
    _run(store, "feed-a", items=20)
    for _ in range(2):
        _run(store, "page-b", error="source 'page-b': https://p.example/calls, HTTP 404: "
                                    "server answered 404 Not Found")  # fmt: skip
    return store


def _rows(html: str) -> list[str]:
    """The source names of the dashboard's rows, in order."""
    body = html.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return re.findall(r'<th scope="row"><a href="/staff/sources/([^"]+)"', body)


def test_signed_out_and_researchers_get_403_everywhere_curators_get_the_pages(
    client, bare_app, subscriber, store, stored
):
    from monitor.digests.tokens import PAGES_SALT, token_for
    from monitor.store.subscribers import get_subscriber

    token = csrf_of(client.get("/staff/sign-in").text)
    for path in PAGES:
        assert client.get(path).status_code == 403, path
    for path in POSTS:
        assert client.post(path, data={"csrf_token": token}).status_code == 403, path
    row = get_subscriber(store, subscriber[0])
    client.get(f"/preferences?token={token_for(bare_app.settings, row, PAGES_SALT)}")
    assert all(client.get(p).status_code == 403 for p in PAGES)
    assert all(client.post(p, data={"csrf_token": token}).status_code == 403 for p in POSTS)
    sign_in_staff(client, bare_app, "cura@ki.se", "curator")
    for path in PAGES:
        assert client.get(path).status_code == 200, path
    assert 'href="/staff/sources"' in client.get("/staff").text  # in the curators' menu
    assert source_store.get_source(store, "feed-a")  # nothing posted above changed a thing


def test_the_dashboard_puts_the_unhealthy_first_sorts_and_filters_in_the_url(
    curator_client, stored
):
    page = curator_client.get("/staff/sources")
    assert page.status_code == 200
    assert _rows(page.text) == ["page-b", "feed-a", "feed-c"]
    assert "3 sources, 1 unhealthy." in page.text
    # the health reason, without the last error it quotes: that has its own column
    assert "2 failed runs in a row<" in page.text and page.text.count("HTTP 404: server") == 1
    assert "HTTP 404" in page.text and "The address no longer answers" in page.text  # its hint
    # (10 + 20) / 2: the run of 40 days ago is not among the recent figures
    assert "15.0 a run on average (2 successful runs in 30 days)" in page.text
    assert "hunter22" not in page.text
    by_name = curator_client.get("/staff/sources?sort=name&order=asc")
    assert _rows(by_name.text) == ["feed-a", "feed-c", "page-b"]
    assert 'aria-sort="ascending"' in by_name.text
    assert 'href="/staff/sources?sort=name&amp;order=desc"' in by_name.text  # flips
    assert _rows(curator_client.get("/staff/sources?sort=name&order=desc").text) == [
        "page-b", "feed-c", "feed-a"]  # fmt: skip
    assert _rows(curator_client.get("/staff/sources?sort=failures").text)[0] == "page-b"
    assert _rows(curator_client.get("/staff/sources?sort=last_run").text)[-1] == "feed-c"
    feeds = curator_client.get("/staff/sources?kind=feed&sort=name")
    assert _rows(feeds.text) == ["feed-a", "feed-c"]
    # the sort links keep the filters
    assert 'href="/staff/sources?kind=feed&amp;sort=failures&amp;order=desc"' in feeds.text
    assert _rows(curator_client.get("/staff/sources?health=unhealthy").text) == ["page-b"]
    assert _rows(curator_client.get("/staff/sources?health=healthy&kind=feed").text) == [
        "feed-a", "feed-c"]  # fmt: skip
    nothing = curator_client.get("/staff/sources?kind=eu-ft")
    assert "No source matches these filters." in nothing.text
    odd = curator_client.get("/staff/sources?sort=%3Cx%3E&order=sideways&health=maybe")
    assert odd.status_code == 200 and _rows(odd.text) == ["page-b", "feed-a", "feed-c"]


def test_a_source_page_shows_settings_masked_runs_calls_and_health_events(
    curator_client, stored, bare_app
):
    from monitor.store.calls import upsert_calls
    from sources.records import CallRecord

    record = CallRecord("x1", "EDCTP3-2026-01", "Clinical trials in Africa",
                        "https://f.example/x1", "EDCTP", "EDCTP3", "open")  # fmt: skip
    source = source_store.get_source(stored, "feed-a")
    upsert_calls(stored, source.id, [record], datetime.now(UTC))
    page = curator_client.get("/staff/sources/feed-a")
    assert page.status_code == 200
    text = page.text
    assert "hunter22" not in text and "https://user:***@f.example/a.rss" in text
    assert 'name="s_max_items" value="500"' in text and 'name="s_funder" value="EDCTP"' in text
    assert "the funder&#39;s name" in text  # a setting's help text
    assert text.count("<time") >= 3 and "20 in the last run" in text
    call_id = re.search(r'href="/calls/(\d+)">Clinical trials in Africa</a>', text)
    assert call_id and curator_client.get(f"/calls/{call_id.group(1)}").status_code == 200
    unhealthy = curator_client.get("/staff/sources/page-b").text
    assert "unhealthy</span> — 2 failed runs in a row" in unhealthy  # its health event
    assert "The address no longer answers" in unhealthy
    assert curator_client.get("/staff/sources/nosuch").status_code == 404


def test_in_swedish_the_health_reason_hint_and_descriptions_are_swedish(curator_client, stored):
    page = curator_client.get("/staff/sources?lang=sv").text
    assert "2 misslyckade körningar i rad<" in page and "2 failed runs" not in page
    assert "Adressen svarar inte längre" in page and "The address no longer" not in page
    assert "HTTP 404: server answered 404 Not Found" in page  # the server's words, as they came
    one = curator_client.get("/staff/sources/page-b").text  # the language is kept
    assert "ohälsosam</span> — 2 misslyckade körningar i rad" in one  # its health event
    assert "en webbsida med utlysningar som läses med CSS-selektorer" in one  # the kind
    assert "CSS: ett element per utlysning" in one  # a setting's help text
    new = curator_client.get("/staff/sources/new").text
    assert "ett RSS- eller Atom-flöde av utlysningar" in new
    english = curator_client.get("/staff/sources/page-b?lang=en").text
    assert "unhealthy</span> — 2 failed runs in a row" in english


def test_settings_are_edited_as_sources_add_validates_them_and_audited(curator_client, stored):
    page = curator_client.get("/staff/sources/feed-a")
    token = csrf_of(page.text)
    form = {"csrf_token": token, "url": "https://user:***@f.example/a.rss", "every": "6h",
            "s_max_items": "900", "s_funder": "", "s_deadline_time": "noon"}  # fmt: skip
    refused = curator_client.post("/staff/sources/feed-a/settings", data=form)
    assert refused.status_code == 400
    assert "setting deadline_time=&#39;noon&#39;" in refused.text  # the setting and its value
    assert 'value="noon"' in refused.text  # the form as posted, to correct
    kept = source_store.get_source(stored, "feed-a")
    assert kept.settings == {"max_items": "500", "funder": "EDCTP"} and kept.every is None
    wrong = {**form, "s_deadline_time": "", "url": "ftp://x"}
    bad_url = curator_client.post("/staff/sources/feed-a/settings", data=wrong)
    assert bad_url.status_code == 400 and "ftp://x" in bad_url.text
    form["s_deadline_time"] = "12:00"
    saved = curator_client.post("/staff/sources/feed-a/settings", data=form,
                                follow_redirects=False)  # fmt: skip
    assert saved.status_code == 303 and saved.headers["location"].endswith("?done=saved")
    after = source_store.get_source(stored, "feed-a")
    assert after.url == "https://user:hunter22@f.example/a.rss"  # masked, sent back: kept
    assert after.settings == {"max_items": "900", "deadline_time": "12:00"}
    assert after.every == 6 * 3600
    [event] = audit.events(_app(curator_client), action="source.edit")
    assert event.actor == "cura@ki.se" and event.target == f"source {after.id} (feed-a)"
    assert event.before == {"every": "default", "settings.funder": "EDCTP",
                            "settings.max_items": "500"}  # fmt: skip
    assert event.after == {"every": "6h", "settings.deadline_time": "12:00",
                           "settings.max_items": "900"}  # fmt: skip
    forged = curator_client.post("/staff/sources/feed-a/settings",
                                 data={**form, "csrf_token": "forged", "every": "1d"})  # fmt: skip
    assert forged.status_code == 403
    assert source_store.get_source(stored, "feed-a").every == 6 * 3600


def _app(client: Any) -> Any:
    return client.app.state.app


def test_enable_and_disable_are_audited(curator_client, stored):
    token = csrf_of(curator_client.get("/staff/sources/feed-c").text)
    done = curator_client.post("/staff/sources/feed-c/enabled",
                               data={"csrf_token": token, "enabled": "yes"})  # fmt: skip
    assert done.status_code == 200 and "feed-c is enabled" in done.text
    assert source_store.get_source(stored, "feed-c").enabled
    curator_client.post("/staff/sources/feed-c/enabled",
                        data={"csrf_token": token, "enabled": "no"})  # fmt: skip
    assert not source_store.get_source(stored, "feed-c").enabled
    events = audit.events(_app(curator_client), action="source")
    assert [(e.action, e.before, e.after) for e in events] == [
        ("source.disable", {"enabled": True}, {"enabled": False}),
        ("source.enable", {"enabled": False}, {"enabled": True}),
    ]
    assert (
        curator_client.post(
            "/staff/sources/feed-c/enabled", data={"csrf_token": token, "enabled": "x"}
        ).status_code
        == 400
    )


def _new_form(token: str, url: str, **more: str) -> dict[str, str]:
    return {"csrf_token": token, "kind": "feed", "name": "edctp3", "url": url, "every": "",
            "s_funder": "", "s_deadline_time": "", **more}  # fmt: skip


def test_adding_a_source_previews_its_first_fetch_then_saves_it(curator_client, bare_app, feed):
    chooser = curator_client.get("/staff/sources/new")
    assert 'value="feed"' in chooser.text and 'value="manual"' not in chooser.text
    form_page = curator_client.get("/staff/sources/new?kind=feed")
    assert 'name="s_deadline_timezone"' in form_page.text and "Europe/Brussels" in form_page.text
    token = csrf_of(form_page.text)
    preview = curator_client.post("/staff/sources/new", data=_new_form(token, feed.url + "/rss"))
    assert preview.status_code == 200, preview.text
    text = preview.text
    assert f"{FEED_ITEMS} calls: 2 open, 0 forthcoming, 11 closed." in text
    assert "deadlines: 3/13" in text  # a field found
    assert "HORIZON-JU-GH-EDCTP3-2026-03-DIGIT-02" in text  # among the first items
    assert text.count('rel="noopener noreferrer external"') == 10  # the first ten, linked
    assert source_store.list_sources(bare_app.store()) == []  # nothing saved
    key = re.search(r'name="previewed" value="([0-9a-f]+)"', text)
    assert key
    # a save of other values than those previewed is previewed again
    other = _new_form(token, feed.url + "/rss", s_funder="EDCTP", do="save",
                      previewed=key.group(1))  # fmt: skip
    stale = curator_client.post("/staff/sources/new", data=other)
    assert stale.status_code == 409 and "The values changed since their preview" in stale.text
    assert source_store.list_sources(bare_app.store()) == []
    saved = curator_client.post("/staff/sources/new", follow_redirects=False, data=_new_form(
        token, feed.url + "/rss", do="save", previewed=key.group(1)))  # fmt: skip
    assert saved.status_code == 303 and saved.headers["location"] == (
        "/staff/sources/edctp3?done=added")  # fmt: skip
    [source] = source_store.list_sources(bare_app.store())
    assert (source.name, source.kind, source.url, source.settings) == (
        "edctp3", "feed", feed.url + "/rss", {})  # fmt: skip
    [event] = audit.events(bare_app, action="source.add")
    assert event.actor == "cura@ki.se" and event.before == {}
    assert event.after["url"] == feed.url + "/rss" and event.after["enabled"] is True
    taken = curator_client.post("/staff/sources/new", data=_new_form(token, feed.url + "/rss"))
    assert taken.status_code == 400 and "already exists" in taken.text


def test_a_preview_that_cannot_fetch_says_why_on_the_page(curator_client, bare_app, feed):
    token = csrf_of(curator_client.get("/staff/sources/new?kind=feed").text)
    html = curator_client.post("/staff/sources/new", data=_new_form(token, feed.url + "/page"))
    assert html.status_code == 200 and "expected a feed, got an HTML page" in html.text
    assert "The fetch failed:" in html.text
    gone = curator_client.post("/staff/sources/new", data=_new_form(token, "http://127.0.0.1:9/x"))
    assert gone.status_code == 200 and "connection failed" in gone.text
    assert "The server was slow, busy or unreachable" in gone.text  # what to do
    swedish = curator_client.post("/staff/sources/new?lang=sv",
                                  data=_new_form(token, "http://127.0.0.1:9/x"))  # fmt: skip
    assert "Servern var långsam, upptagen eller gick inte att nå" in swedish.text
    curator_client.get("/staff/sources/new?lang=en")
    for url, said in (("not a url", "is not usable"), ("ftp://f.example/x", "http(s) URL"),
                      ("", "needs a URL")):  # fmt: skip
        answer = curator_client.post("/staff/sources/new", data=_new_form(token, url))
        assert answer.status_code == 400 and said in answer.text, url
        assert "There is a problem" in answer.text
    bad = curator_client.post("/staff/sources/new", data=_new_form(
        token, feed.url + "/rss", s_deadline_time="25:99"))  # fmt: skip
    assert bad.status_code == 400 and "deadline_time=&#39;25:99&#39;" in bad.text
    named = curator_client.post(
        "/staff/sources/new", data={**_new_form(token, feed.url + "/rss"), "name": "no way"}
    )
    assert named.status_code == 400 and "is not valid" in named.text
    assert curator_client.post("/staff/sources/new", data={**_new_form(
        token, feed.url), "kind": "manual"}).status_code == 400  # fmt: skip
    assert source_store.list_sources(bare_app.store()) == []
    assert feed.count("GET", "/rss") == 0  # nothing was fetched for the refused values


def _wait(client: Any, name: str, seconds: float = 60.0) -> str:
    """Poll the run-now fragment as the page does, until it stops asking to be polled."""
    ends = time.monotonic() + seconds
    while time.monotonic() < ends:
        fragment = client.get(f"/staff/sources/{name}/run").text
        if "hx-trigger" not in fragment:
            return fragment
        time.sleep(0.2)
    raise AssertionError("the run did not end")


def test_run_now_runs_the_source_in_the_background_once_at_a_time(curator_client, bare_app,
                                                                  feed, store):  # fmt: skip
    source_store.add_source(store, "slow", "feed", feed.url + "/slow", {})
    source_store.add_source(store, "rss", "feed", feed.url + "/rss", {})
    token = csrf_of(curator_client.get("/staff/sources/slow").text)
    started = curator_client.post("/staff/sources/slow/run", data={"csrf_token": token},
                                  follow_redirects=False)  # fmt: skip
    assert started.status_code == 303
    page = curator_client.get(started.headers["location"])
    assert "slow is running now" in page.text
    assert 'hx-get="/staff/sources/slow/run" hx-trigger="every 1s"' in page.text
    again = curator_client.post("/staff/sources/slow/run", data={"csrf_token": token})
    assert again.status_code == 409 and "slow is already running" in again.text
    done = _wait(curator_client, "slow")
    assert f"{FEED_ITEMS} items: {FEED_ITEMS} new" in done
    assert feed.count("GET", "/slow") == 1  # one run, not two
    page = curator_client.get("/staff/sources/slow").text
    assert "hx-trigger" not in page and "Done." in page  # the outcome stays a while
    assert f"{FEED_ITEMS} in the last run" in page
    assert page.count('href="/calls/') == FEED_ITEMS
    events = audit.events(bare_app, action="source.run")
    assert [(e.actor, e.after) for e in events] == [("cura@ki.se", {"run": "started"})]
    dashboard = curator_client.get("/staff/sources?sort=name").text
    assert f"{FEED_ITEMS}<br>" in dashboard  # the last run's items


def test_run_now_reports_a_source_another_process_runs_as_busy(curator_client, feed, store):
    from monitor.store.source_locks import SourceLocks

    source = source_store.add_source(store, "rss", "feed", feed.url + "/rss", {})
    token = csrf_of(curator_client.get("/staff/sources/rss").text)
    with SourceLocks(store, holder="scheduler-host:4242") as locks:  # the scheduler, say
        assert locks.acquire(source.id)
        busy = curator_client.post("/staff/sources/rss/run", data={"csrf_token": token})
        assert busy.status_code == 409 and "rss is busy: another process is running it" in busy.text
        assert "(scheduler-host:4242" in busy.text  # who holds it
    assert feed.count("GET", "/rss") == 0
    freed = curator_client.post("/staff/sources/rss/run", data={"csrf_token": token})
    assert freed.status_code == 200  # followed to the page
    assert "Done." in _wait(curator_client, "rss")
    source_store.add_source(store, "by-hand", "manual", "https://monitor.example/manual", {})
    manual = curator_client.post("/staff/sources/by-hand/run", data={"csrf_token": token})
    assert manual.status_code == 400 and "never fetched" in manual.text
    assert (
        curator_client.post("/staff/sources/nosuch/run", data={"csrf_token": token}).status_code
        == 404
    )


def test_removing_says_what_goes_and_what_stays_then_removes(curator_client, bare_app, store):
    from sqlmodel import select

    from monitor.store.calls import upsert_calls
    from monitor.store.tables import Call
    from sources.records import CallRecord

    def record(external: str) -> CallRecord:
        return CallRecord(external, "EDCTP3-2026-01", "Clinical trials in Africa",
                          "https://f.example/x1", "EDCTP", "EDCTP3", "open")  # fmt: skip

    gone = source_store.add_source(store, "gone", "feed", "https://f.example/gone.rss", {})
    other = source_store.add_source(store, "other", "feed", "https://f.example/other.rss", {})
    now = datetime.now(UTC)
    upsert_calls(store, gone.id, [record("a")], now)
    upsert_calls(store, other.id, [record("b")], now + timedelta(seconds=1))  # linked to a's
    _run(store, "gone", error="HTTP 500")
    _run(store, "gone", error="HTTP 500")
    with store.session() as session:
        copy = session.exec(select(Call).where(Call.source_id == other.id)).one()
    assert copy.same_as_id is not None  # the same call, from another source
    page = curator_client.get("/staff/sources/gone/remove")
    assert page.status_code == 200
    assert "its 1 stored calls" in page.text and "its 2 runs and 1 health events" in page.text
    assert "1 calls of other sources linked to these calls: each stays" in page.text
    token = csrf_of(page.text)
    unconfirmed = curator_client.post("/staff/sources/gone/remove", data={"csrf_token": token})
    assert unconfirmed.status_code == 200 and "What is deleted with it" in unconfirmed.text
    assert source_store.get_source(store, "gone")
    done = curator_client.post("/staff/sources/gone/remove", follow_redirects=False,
                               data={"csrf_token": token, "confirm": "yes"})  # fmt: skip
    assert done.status_code == 303 and done.headers["location"] == "/staff/sources?removed=gone"
    assert "The source gone was removed." in curator_client.get(done.headers["location"]).text
    with store.session() as session:
        calls = list(session.exec(select(Call)))
    assert [(c.source_id, c.same_as_id) for c in calls] == [(other.id, None)]  # as the page said
    [event] = audit.events(bare_app, action="source.remove")
    assert event.before["calls"] == 1 and event.before["url"] == "https://f.example/gone.rss"
    assert event.after == {}
    assert curator_client.get("/staff/sources/gone/remove").status_code == 404


def test_the_catalogue_is_previewed_then_imported_and_exported(curator_client, bare_app):
    store = bare_app.store()
    page = curator_client.get("/staff/catalogue")
    assert page.status_code == 200 and "The built-in catalogue" in page.text
    preview = curator_client.get("/staff/catalogue?preview=1")
    total = len(load_catalogue())
    unverified = sum(not s.enabled for s in load_catalogue())
    assert f"{total} to add, 0 to replace, 0 that differ" in preview.text
    assert preview.text.count("comes in disabled") == unverified
    assert source_store.list_sources(store) == []  # a preview saves nothing
    token = csrf_of(preview.text)
    done = curator_client.post("/staff/catalogue/import", data={"csrf_token": token,
                                                                "confirm": "yes"})  # fmt: skip
    assert done.status_code == 200
    assert f"{total} sources added ({unverified} disabled until verified)" in done.text
    assert len(source_store.list_sources(store)) == total
    events = audit.events(bare_app, action="source.import", limit=500)
    assert len(events) == total and all(e.actor == "cura@ki.se" for e in events)
    assert {e.after["enabled"] for e in events} == {True, False}
    again = curator_client.get("/staff/catalogue?preview=1")
    assert f"0 to add, 0 to replace, 0 that differ (left as they are), {total} the same" in (
        again.text)  # fmt: skip
    assert "Nothing to import." in again.text
    source_store.update_source(store, "sida", url="https://elsewhere.example/sida")
    replacing = curator_client.get("/staff/catalogue?preview=1&replace=yes")
    assert "1 to replace" in replacing.text and "differs in: url" in replacing.text
    assert "its 0 stored calls are deleted" in replacing.text
    exported = curator_client.get("/staff/catalogue/export.toml")
    assert exported.headers["content-disposition"].endswith('sources.toml"')
    assert exported.text.count("[[source]]") == total
    opml = curator_client.get("/staff/catalogue/export.opml")
    assert 'xmlUrl="https://www.ukri.org/opportunity/feed/"' in opml.text
    assert curator_client.get("/staff/catalogue/export.csv").status_code == 404
    plain = curator_client.post("/staff/catalogue/import", data={"csrf_token": token})
    assert "Nothing to import." in plain.text  # unconfirmed: the preview again


def test_a_file_is_previewed_then_imported_and_a_malformed_one_names_its_line(
    curator_client, bare_app
):
    token = csrf_of(curator_client.get("/staff/catalogue").text)
    listing = ('[[source]]\nname = "ok"\nkind = "feed"\nurl = "https://f.example/rss"\n'
               '[[source]]\nname = "bad"\nkind = "feed"\nurl = "https://f.example/x"\n'
               'settings = { deadline_time = "noon" }\n')  # fmt: skip
    files = {"file": ("mine.toml", listing.encode(), "application/toml")}
    preview = curator_client.post("/staff/catalogue/file", data={"csrf_token": token},
                                  files=files)  # fmt: skip
    assert preview.status_code == 200
    assert "1 to add" in preview.text and "1 skipped" in preview.text
    assert "deadline_time=&#39;noon&#39;" in preview.text  # why it is skipped
    assert source_store.list_sources(bare_app.store()) == []
    content = re.search(r'<textarea name="content" hidden[^>]*>(.*?)</textarea>', preview.text,
                        re.S)  # fmt: skip
    assert content
    import html

    done = curator_client.post("/staff/catalogue/file", data={
        "csrf_token": token, "confirm": "yes", "filename": "mine.toml",
        "content": html.unescape(content.group(1))}, files={"none": ("", b"")})  # fmt: skip
    assert done.status_code == 200 and "1 sources added" in done.text
    assert [s.name for s in source_store.list_sources(bare_app.store())] == ["ok"]
    [event] = audit.events(bare_app, action="source.import")
    assert event.target.endswith("(ok)")
    for name, body, said in (
        ("broken.toml", b'[[source]\nname = "x"\n', "line 1"),
        ("broken.opml", b"<opml><body><outline xmlUrl='x'></body></opml>", "line 1"),
        ("empty.toml", b"title = 'nothing'\n", "lists no sources"),
    ):
        answer = curator_client.post("/staff/catalogue/file", data={"csrf_token": token},
                                     files={"file": (name, body, "text/plain")})  # fmt: skip
        assert answer.status_code == 400 and said in answer.text, name
        assert "There is a problem" in answer.text
    none = curator_client.post("/staff/catalogue/file", data={"csrf_token": token})
    assert none.status_code == 400 and "choose a TOML or OPML file" in none.text


def test_the_command_line_changes_are_audited_too(cli, tmp_path):  # noqa: F811
    assert cli("sources", "add", "mine", "--kind", "feed", "--url", "https://f.example/rss")[0] == 0
    assert cli("sources", "update", "mine", "--set", "funder=EDCTP")[0] == 0
    assert cli("sources", "disable", "mine")[0] == 0
    assert cli("sources", "enable", "mine")[0] == 0
    listing = tmp_path / "l.toml"
    listing.write_text('[[source]]\nname = "two"\nkind = "feed"\nurl = "https://f.example/2"\n')
    assert cli("sources", "import", str(listing))[0] == 0
    assert cli("sources", "remove", "mine")[0] == 0
    code, out, _ = cli("audit", "--json")
    assert code == 0
    import json

    actions = [e["action"] for e in json.loads(out)]
    assert actions == ["source.remove", "source.import", "source.enable", "source.disable",
                       "source.edit", "source.add"]  # fmt: skip
    assert all(e["actor"].startswith("cli:") for e in json.loads(out))


def test_the_dashboard_shows_fifty_sources_a_page_sorted_and_cut_by_the_store(
    curator_client, stored
):
    for n in range(57):  # 60 sources in all: page-b unhealthy, feed-c disabled, never run
        source_store.add_source(stored, f"extra-{n:02d}", "feed", f"https://e{n}.example/", {})
    first = curator_client.get("/staff/sources")
    rows = _rows(first.text)
    assert len(rows) == 50 and rows[0] == "page-b"  # the unhealthy first, then by name
    assert rows[1:3] == ["extra-00", "extra-01"]
    assert "60 sources, 1 unhealthy." in first.text
    assert "Page 1 of 2" in first.text
    assert 'href="/staff/sources?sort=health&amp;order=asc&amp;page=2"' in first.text
    second = curator_client.get("/staff/sources?sort=health&order=asc&page=2")
    assert _rows(second.text) == [*(f"extra-{n:02d}" for n in range(49, 57)), "feed-a", "feed-c"]
    assert 'rel="prev"' in second.text and 'rel="next"' not in second.text
    # a page beyond the last shows the last; the filters and sort carry to the pager
    assert _rows(curator_client.get("/staff/sources?page=99").text) == _rows(second.text)
    by_name = curator_client.get("/staff/sources?kind=feed&sort=name&order=desc")
    assert _rows(by_name.text)[:2] == ["feed-c", "feed-a"]
    assert "59 shown by the filters." in by_name.text  # the feeds: all but page-b
    assert 'href="/staff/sources?kind=feed&amp;sort=name&amp;order=desc&amp;page=2"' in by_name.text
    last_run = _rows(curator_client.get("/staff/sources?sort=last_run&order=desc").text)
    assert last_run[:2] == ["page-b", "feed-a"]  # the latest runs first, the never-run after
