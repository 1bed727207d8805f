"""The whole journey of issue #14 in one browser: search → filter → a call → subscribe → the
confirmation arrives at aiosmtpd → its link → preferences → a digest is sent → "view in
browser" → 👎 on one call → unsubscribe; screenshots of each page at 1280 and 390 px."""

from __future__ import annotations

import re
import socket
from collections.abc import Iterator

import pytest

from monitor.app import digests
from monitor.app.context import App
from monitor.config import load_settings
from monitor.store import subscribers as subscriber_store
from monitor.store.db import open_store
from monitor.store.feedback import list_feedback
from monitor.web import server
from monitor.web.app import create_app
from tests.conftest import CAPTURE_TIME
from tests.monitor.conftest import box  # noqa: F401  (the loopback SMTP server)
from tests.web.conftest import axe_problems, shoot

ADDRESS = "grace.researcher@ki.se"


@pytest.fixture
def public(box, db_url, portal, monkeypatch) -> Iterator[str]:  # noqa: F811
    """The web face at a known address that is also its PUBLIC_URL, so digests link to it."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    base = f"http://127.0.0.1:{port}"
    monkeypatch.setenv("FUNDING_MONITOR_DATABASE_URL", db_url)
    monkeypatch.setenv("FUNDING_MONITOR_PUBLIC_URL", base)
    with server.running(server.build(create_app(App(load_settings(None)))), port=port) as url:
        yield url


def links(message, kind: str = "plain") -> list[str]:
    part = message.get_body(preferencelist=(kind,))
    return re.findall(r"https?://[^\s\"'<>)]+", part.get_content())


def test_from_a_search_to_a_digest_and_out_again(public, box, browser_page, db_url) -> None:  # noqa: F811
    page = browser_page
    page.goto(public + "/")
    page.locator("fieldset.facet", has_text="Priority area").get_by_label(
        re.compile("Global health")).check()  # fmt: skip
    page.wait_for_url(re.compile(r"tag=global-health-lmic"))
    page.locator("ol.calls > li h3 a").first.click()
    page.wait_for_url(re.compile(r"/calls/\d+$"))
    page.get_by_role("link", name="← Back to the search").click()
    page.goto(public + "/?tag=global-health-lmic")
    page.get_by_role("link", name="Get these by email").click()
    page.get_by_label("Your email address").fill(ADDRESS)
    page.get_by_role("button", name="Email me a link").click()
    page.wait_for_selector("h1:has-text('Check your inbox')")
    [confirm] = [u for u in links(box.to(ADDRESS)[-1]) if "/confirm?" in u]
    page.goto(confirm)
    page.get_by_role("button", name="Confirm my subscription").click()
    page.wait_for_url(re.compile(r"/preferences\?welcome=1"))

    app = App(load_settings(None))
    report = digests.send(app, CAPTURE_TIME, force=True)
    assert report.sent >= 1, report
    digest = box.to(ADDRESS)[-1]
    assert digest["Subject"].startswith(("Funding calls", "Utlysningar"))
    found = links(digest)
    view = next(u for u in found if "/digests/" in u)
    down = next(u for u in found if "/feedback?" in u and "vote=down" in u)
    assert any("/preferences?" in u for u in found)  # the footer: a page, not a command

    page.goto(view)  # "view in browser": the digest as it was sent
    assert ADDRESS not in page.url
    assert page.locator("body").inner_text().strip()
    shoot(page, "digest-web-copy")
    page.goto(public + "/digests")
    assert page.locator("table.deadlines tbody tr").count() == 1
    assert axe_problems(page) == []
    shoot(page, "my-digests")

    page.goto(down)
    page.get_by_role("button", name="👎 Not for me").click()
    page.wait_for_selector("[role=status]")
    row = subscriber_store.get_subscriber(open_store(db_url), ADDRESS)
    votes = [(f.kind, f.subscriber_id) for f in list_feedback(open_store(db_url))]
    assert votes == [("down", row.id)]

    page.goto(public + "/preferences")
    page.get_by_role("button", name="Unsubscribe").click()
    page.wait_for_selector("h1:has-text('You are unsubscribed')")
    assert not subscriber_store.get_subscriber(open_store(db_url), ADDRESS).active
    shoot(page, "unsubscribed")
