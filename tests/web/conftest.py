"""The web face as people use it: the real application under uvicorn on 127.0.0.1, driven by
Debian's Chromium through Playwright (its own browser download cannot work here), checked by
axe-core, with screenshots at 1280 and 390 px under tests/web/screenshots/ (not committed)."""

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
from monitor.web.app import create_app
from tests.monitor.conftest import cli, portal  # noqa: F401  (fixtures used here)

SHOTS = Path(__file__).parent / "screenshots"
WIDTHS = (1280, 390)


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


@pytest.fixture
def browser_page(chromium) -> Iterator[Any]:
    context = chromium.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB")
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


def axe_problems(page: Any) -> list[str]:
    """axe-core's serious and critical violations on the page as it is now."""
    from axe_playwright_python.sync_playwright import Axe

    found = Axe().run(page).response["violations"]
    return [f"{v['id']} ({v['impact']}): {v['help']} at "
            f"{[n['target'] for n in v['nodes']][:3]}"
            for v in found if v["impact"] in ("serious", "critical")]  # fmt: skip


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
