"""A curator's journey in a real browser (issue #15): signed in by the emailed link's page, the
sources dashboard, a feed source added through its preview (a recorded RSS feed served on a
loopback HTTP server), saved, run now with its progress shown without reloading until it
ends, then its calls and its health on its page and on the dashboard; the removal page and
the catalogue's preview. axe on every page, no sideways scroll at 390 px, screenshots."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from monitor.app.context import App
from monitor.config import load_settings
from monitor.store import sources as source_store
from monitor.web import server
from monitor.web.app import create_app
from tests.conftest import FIXTURES
from tests.httpserver import Reply, scripted_server
from tests.web.conftest import SECRET, checked, staff_link

RSS = (FIXTURES / "feeds/edctp3/calls_rss_trimmed.xml").read_bytes()


@pytest.fixture
def site(db_url, monkeypatch) -> Iterator[tuple[str, App, str]]:
    """The web face (base URL, App) with two sources already there, one failing (HTTP 404),
    and a loopback server whose /rss answers the recorded feed after a second."""
    monkeypatch.setenv("FUNDING_MONITOR_DATABASE_URL", db_url)
    monkeypatch.setenv("FUNDING_MONITOR_SECRET_KEY", SECRET)
    monkeypatch.setenv("FUNDING_MONITOR_PUBLIC_URL", "")
    monkeypatch.setenv("FUNDING_MONITOR_FETCH_ORIGIN_INTERVAL", "0")
    monkeypatch.setenv("FUNDING_MONITOR_HTTP_ATTEMPTS", "1")
    app = App(load_settings(None))
    store = app.store()
    source_store.add_source(store, "ukri-opportunities", "feed", "https://www.ukri.org/f/", {})
    source_store.add_source(store, "wellcome-schemes", "page", "https://wellcome.example/s", {})
    broken = source_store.get_source(store, "wellcome-schemes")
    for _ in range(2):
        run = source_store.start_run(store, broken, datetime.now(UTC))
        error = "source 'wellcome-schemes': https://wellcome.example/s, HTTP 404: answered 404"
        source_store.finish_run(store, run, error=error)
    with scripted_server() as feeds:
        feeds.add("GET", "/rss", Reply(200, RSS, {"Content-Type": "application/rss+xml"},
                                       delay=1.5))  # fmt: skip
        with server.running(server.build(create_app(app))) as url:
            yield url, app, feeds.url + "/rss"


def test_a_curator_adds_a_feed_with_its_preview_runs_it_and_sees_its_calls_and_health(
    site, browser_page
):
    url, app, feed = site
    page = browser_page
    page.goto(url + f"/staff/sign-in?token={staff_link(app, 'cura@ki.se', 'curator')}")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r"/staff$"))
    page.get_by_role("navigation", name="Staff").get_by_role("link", name="Sources").click()
    page.wait_for_url(re.compile(r"/staff/sources$"))
    rows = page.locator("table.sources tbody th[scope=row]").all_inner_texts()
    assert rows[0].startswith("wellcome-schemes")  # the unhealthy first
    assert "The address no longer answers" in page.locator("table.sources").inner_text()
    checked(page, "staff-sources")
    page.get_by_role("link", name="På svenska").click()  # what to do, in Swedish too
    page.wait_for_url(re.compile(r"lang=sv"))
    table = page.locator("table.sources").inner_text()
    assert "Adressen svarar inte längre" in table and "The address no longer" not in table
    checked(page, "staff-sources-sv")
    page.get_by_role("link", name=re.compile(r"^wellcome-schemes")).click()
    assert "Adressen svarar inte längre" in page.locator("main").inner_text()
    checked(page, "staff-source-unhealthy-sv")
    page.goto(url + "/staff/sources?lang=en")

    page.get_by_role("link", name="Add a source").click()
    page.wait_for_url(re.compile(r"/staff/sources/new$"))
    page.get_by_label(re.compile(r"^feed")).check()
    page.get_by_role("button", name="Use this kind").click()
    page.wait_for_url(re.compile(r"kind=feed"))
    page.get_by_label("Name", exact=True).fill("edctp3-calls")
    page.get_by_label("URL", exact=True).fill(feed)
    checked(page, "staff-source-new")
    page.get_by_role("button", name="Preview").click()
    page.wait_for_selector("#h-preview")
    preview = page.locator("#preview").inner_text()
    assert "13 calls: 2 open, 0 forthcoming, 11 closed." in preview
    assert "deadlines: 3/13" in preview
    assert page.locator("#preview table tbody tr").count() == 10  # the first items
    assert "edctp3-calls" not in [s.name for s in source_store.list_sources(app.store())]
    checked(page, "staff-source-preview")
    page.get_by_role("button", name="Save").click()
    page.wait_for_url(re.compile(r"/staff/sources/edctp3-calls\?done=added"))
    assert "The source edctp3-calls was added" in page.locator("main").inner_text()

    page.get_by_role("button", name="Run now").click()
    page.wait_for_selector("text=Running…")
    page.evaluate("window.notReloaded = true")
    page.wait_for_selector("#run-progress.done", timeout=30_000)  # polled in place
    assert page.evaluate("window.notReloaded === true")  # the progress came without a reload
    assert "13 items: 13 new" in page.locator("#run-progress").inner_text()
    page.get_by_role("link", name="Show the updated runs, calls and health").click()
    page.wait_for_selector("#h-calls")
    main = page.locator("main").inner_text()
    assert "13 in the last run" in main and "healthy" in main
    calls = page.locator("section[aria-labelledby=h-calls] tbody a[href^='/calls/']")
    assert calls.count() == 13
    assert page.locator("section[aria-labelledby=h-runs] tbody tr").count() == 1
    checked(page, "staff-source")
    title = calls.first.inner_text()
    calls.first.click()
    page.wait_for_url(re.compile(r"/calls/\d+$"))
    assert page.locator("h1").inner_text() == title

    page.goto(url + "/staff/sources?sort=name")
    row = page.locator("table.sources tbody tr", has_text="edctp3-calls")
    assert "healthy" in row.inner_text() and "13" in row.inner_text()
    page.get_by_role("link", name="edctp3-calls").click()
    page.get_by_role("link", name="Remove…").click()
    page.wait_for_url(re.compile(r"/remove$"))
    assert "its 13 stored calls" in page.locator("main").inner_text()
    checked(page, "staff-source-remove")

    page.goto(url + "/staff/catalogue")
    page.get_by_role("button", name="Preview the import").click()
    page.wait_for_selector("#h-plan-catalogue")
    plan = page.locator("#plan-catalogue").inner_text()
    assert "differs in: url" in plan  # ukri-opportunities is stored with another address
    checked(page, "staff-catalogue")


def test_the_dashboard_pages_fifty_sources_at_a_time_in_a_browser(site, browser_page) -> None:
    """Sixty sources: the first page shows the unhealthy one and 49 more by name, the pager
    leads to the other ten and back, keeping the sort; axe, 390 px, screenshots."""
    url, app, _ = site
    store = app.store()
    for n in range(58):
        source_store.add_source(store, f"funder-{n:02d}", "feed", f"https://f{n}.example/", {})
    page = browser_page
    page.goto(url + f"/staff/sign-in?token={staff_link(app, 'cura@ki.se', 'curator')}")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r"/staff$"))
    page.goto(url + "/staff/sources?sort=health&order=asc")
    rows = page.locator("table.sources tbody th[scope=row] a").all_inner_texts()
    assert len(rows) == 50 and rows[:2] == ["wellcome-schemes", "funder-00"]
    assert page.get_by_text("Page 1 of 2").is_visible()
    checked(page, "staff-sources-paged")
    page.get_by_role("link", name="Next page").click()
    page.wait_for_url(re.compile(r"page=2"))
    rows = page.locator("table.sources tbody th[scope=row] a").all_inner_texts()
    assert rows == [*(f"funder-{n:02d}" for n in range(49, 58)), "ukri-opportunities"]
    assert "sort=health" in page.url
    page.get_by_role("link", name="Previous page").click()
    page.wait_for_url(re.compile(r"page=1"))
    assert page.locator("table.sources tbody th[scope=row] a").count() == 50
