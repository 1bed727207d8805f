"""The web face as people use it: the real application under uvicorn on 127.0.0.1, driven by
Debian's Chromium through Playwright (its own browser download cannot work here), checked by
axe-core, with screenshots at 1280 and 390 px under tests/web/screenshots/ (not committed).

Fixtures and helpers (each on SQLite and PostgreSQL through ``db_url``):
  ``live``: base URL of the web face serving the recorded portal calls (``web_app``);
  ``bare_live``: base URL of the web face on an empty store (``bare_app``), a secret key set;
  ``client``: a Starlette TestClient of ``bare_app``'s web face (no server; cookies kept);
  ``subscriber``: (id, unsubscribe token) of r@ki.se, a subscriber of ``bare_app``'s store;
  ``chromium``: the browser (session); ``browser_page``: a fresh page at 1280 px, English;
  ``browser_page_sv``: the same with a Swedish browser (Accept-Language sv-SE);
  ``axe(page)``: asserts axe-core finds no serious or critical violation (``axe_problems``
  lists them); ``shoot(page, name)``: saves NAME-1280.png and NAME-390.png (whole pages) and
  NAME-WIDTH-top.png (the first screen).
Staff: ``curator_client`` and ``admin_client`` (``client`` signed in with that role through the
sign-in link's page), ``sign_in_staff(client, app, address, role)``, ``staff_link(app, address,
role)`` (a sign-in link's token), ``csrf_of(html)`` (a page's form token)."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from monitor.app.context import App
from monitor.config import load_settings
from monitor.web import server
from monitor.web.app import create_app, running
from tests.monitor.conftest import cli, portal  # noqa: F401  (fixtures used here)

SHOTS = Path(__file__).parent / "screenshots"
WIDTHS = (1280, 390)
SECRET = "test-secret-key-1234"


@pytest.fixture
def web_app(db_url, portal, monkeypatch) -> App:  # noqa: F811
    monkeypatch.setenv("FUNDING_MONITOR_DATABASE_URL", db_url)
    monkeypatch.setenv("FUNDING_MONITOR_SECRET_KEY", "test-secret-key-1234")
    return App(load_settings(None))


@pytest.fixture
def live(web_app) -> Iterator[str]:
    """The base URL of the web face serving the recorded portal calls."""
    with server.running(server.build(create_app(web_app))) as url:
        yield url


@pytest.fixture
def bare_app(store, db_url, monkeypatch) -> App:
    """An App on an empty, migrated store, with a secret key (tokens can be signed)."""
    monkeypatch.setenv("FUNDING_MONITOR_DATABASE_URL", db_url)
    monkeypatch.setenv("FUNDING_MONITOR_SECRET_KEY", SECRET)
    monkeypatch.delenv("FUNDING_MONITOR_PUBLIC_URL", raising=False)
    return App(load_settings(None))


@pytest.fixture
def bare_live(bare_app) -> Iterator[str]:
    """The base URL of the web face on ``bare_app``, as ``funding-monitor web`` serves it."""
    with running(bare_app) as url:
        yield url


@pytest.fixture
def client(bare_app) -> Iterator[Any]:
    from starlette.testclient import TestClient

    with TestClient(create_app(bare_app), raise_server_exceptions=False) as test_client:
        yield test_client


@pytest.fixture
def subscriber(store, bare_app) -> tuple[int, str]:
    """(id, unsubscribe token) of an active subscriber."""
    from monitor.digests.tokens import token_for
    from monitor.store.subscribers import add_subscriber

    row = add_subscriber(store, "email", "r@ki.se")
    token = token_for(bare_app.settings, row)
    assert token
    return row.id, token


@pytest.fixture(scope="session")
def chromium() -> Iterator[Any]:
    path = shutil.which("chromium")
    if path is None:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("chromium is required in CI (apt-get install -y chromium)")
        pytest.skip("chromium is not installed (apt-get install -y chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=path, args=["--no-sandbox"])
        yield browser
        browser.close()


def _page(chromium: Any, locale: str) -> Iterator[Any]:
    context = chromium.new_context(viewport={"width": 1280, "height": 900}, locale=locale)
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


@pytest.fixture
def browser_page(chromium) -> Iterator[Any]:
    yield from _page(chromium, "en-GB")


@pytest.fixture
def browser_page_sv(chromium) -> Iterator[Any]:
    yield from _page(chromium, "sv-SE")


def axe_problems(page: Any) -> list[str]:
    """axe-core's serious and critical violations on the page as it is now."""
    from axe_playwright_python.sync_playwright import Axe

    found = Axe().run(page).response["violations"]
    return [f"{v['id']} ({v['impact']}): {v['help']} at "
            f"{[n['target'] for n in v['nodes']][:3]}"
            for v in found if v["impact"] in ("serious", "critical")]  # fmt: skip


def axe(page: Any) -> None:
    """Fails the test when axe-core finds a serious or critical violation on the page."""
    problems = axe_problems(page)
    assert not problems, f"axe-core on {page.url.split('?')[0]}: " + "; ".join(problems)


def shoot(page: Any, name: str) -> list[Path]:
    """The page at each width, whole and its first screen, as PNG files named after ``name``."""
    SHOTS.mkdir(exist_ok=True)
    saved = []
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        path = SHOTS / f"{name}-{width}.png"
        page.screenshot(path=str(path), full_page=True)
        top = SHOTS / f"{name}-{width}-top.png"  # what shows before any scrolling
        page.screenshot(path=str(top))
        saved += [path, top]
    page.set_viewport_size({"width": 1280, "height": 900})
    return saved


def staff_link(app: App, address: str, role: str) -> str:
    """A sign-in link's token for a member of staff of ``role`` (made one if need be), as the
    email would carry it."""
    from datetime import timedelta

    from monitor.app import staff
    from monitor.store import email_links

    staff.add(app, address, role)
    return email_links.make_link(app.store(), "staff", address, app.now(), timedelta(minutes=15))


def sign_in_staff(client: Any, app: App, address: str = "cura@ki.se",
                  role: str = "curator") -> Any:  # fmt: skip
    """``client`` (a TestClient) signed in to the staff pages as ``address`` with ``role``,
    through the sign-in link's page and its button."""
    import re

    token = staff_link(app, address, role)
    page = client.get(f"/staff/sign-in?token={token}")
    assert page.status_code == 200, page.text
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert csrf
    done = client.post("/staff/sign-in", data={"csrf_token": csrf.group(1), "token": token},
                       follow_redirects=False)  # fmt: skip
    assert done.status_code == 303, done.text
    return client


def csrf_of(page_text: str) -> str:
    """The CSRF token of a page's forms."""
    import re

    found = re.search(r'name="csrf_token" value="([^"]+)"', page_text)
    assert found, "no form with a CSRF token on the page"
    return found.group(1)


@pytest.fixture
def curator_client(client, bare_app) -> Any:
    """``client`` signed in as a curator (cura@ki.se)."""
    return sign_in_staff(client, bare_app, "cura@ki.se", "curator")


@pytest.fixture
def admin_client(client, bare_app) -> Any:
    """``client`` signed in as an admin (boss@ki.se)."""
    return sign_in_staff(client, bare_app, "boss@ki.se", "admin")


def checked(page: Any, name: str | None = None) -> None:
    """axe finds nothing serious at 1280 and at 390 px; nothing scrolls sideways at 390 px;
    the screenshots if ``name`` is given."""
    assert axe_problems(page) == [], page.url
    page.set_viewport_size({"width": 390, "height": 900})
    wide = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    narrow = axe_problems(page)
    page.set_viewport_size({"width": 1280, "height": 900})
    assert wide <= 0, f"{page.url} scrolls sideways at 390 px by {wide} px"
    assert narrow == [], f"{page.url} at 390 px"
    if name:
        shoot(page, name)


def browse_as(chromium: Any, url: str, app: App, address: str, role: str) -> Any:
    """A browser page at 1280 px signed in to the staff pages as ``address`` (``role``),
    through the sign-in link's page and its button."""
    import re

    context = chromium.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB")
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.goto(f"{url}/staff/sign-in?token={staff_link(app, address, role)}")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r"/staff$"))
    return page
