"""A researcher leaving the digests, in a real browser: the link from the email opens a page
that asks (nothing changes yet), the button unsubscribes; in Swedish from a Swedish browser and
in English after the switch; axe-core finds no serious or critical violation; screenshots at
1280 and 390 px."""

from __future__ import annotations

from monitor.store.subscribers import get_subscriber
from tests.web.conftest import axe, shoot


def test_a_swedish_reader_opens_the_link_and_unsubscribes(
    bare_live, browser_page_sv, subscriber, store
) -> None:
    page = browser_page_sv
    number, token = subscriber
    page.goto(f"{bare_live}/unsubscribe?token={token}")
    assert page.locator("html").get_attribute("lang") == "sv"
    assert page.locator("h1").inner_text() == "Avsluta prenumerationen på sammanställningarna"
    assert get_subscriber(store, number).active  # opening the link changed nothing
    axe(page)
    shoot(page, "unsubscribe-ask-sv")
    page.get_by_role("button", name="Avsluta prenumerationen").click()
    status = page.get_by_role("status")
    assert status.inner_text().startswith("Prenumerationen är avslutad.")
    assert not get_subscriber(store, number).active
    axe(page)
    shoot(page, "unsubscribe-done-sv")


def test_an_english_reader_switches_language_then_unsubscribes(
    bare_live, browser_page, subscriber, store
) -> None:
    page = browser_page
    number, token = subscriber
    page.goto(f"{bare_live}/unsubscribe?token={token}")
    assert page.locator("html").get_attribute("lang") == "en"
    axe(page)
    shoot(page, "unsubscribe-ask")
    page.get_by_role("link", name="På svenska").click()
    page.wait_for_url(lambda url: "lang=sv" in url and token in url)
    assert page.locator("html").get_attribute("lang") == "sv"
    page.get_by_role("link", name="In English").click()
    page.wait_for_url(lambda url: "lang=en" in url)
    page.get_by_role("button", name="Unsubscribe").click()
    assert page.get_by_role("status").inner_text() == (
        "You are unsubscribed. No more digests will be sent to this address.")  # fmt: skip
    assert not get_subscriber(store, number).active
    shoot(page, "unsubscribe-done")


def test_a_broken_link_says_so_in_the_browser(bare_live, browser_page, subscriber) -> None:
    page = browser_page
    _, token = subscriber
    page.goto(f"{bare_live}/unsubscribe?token={token[:-5]}")
    page.get_by_role("button", name="Unsubscribe").click()
    assert page.get_by_role("alert").inner_text().startswith("This unsubscribe link is not valid")
    axe(page)
    shoot(page, "unsubscribe-invalid")


def test_the_keyboard_alone_unsubscribes(bare_live, browser_page, subscriber, store) -> None:
    page = browser_page
    number, token = subscriber
    page.goto(f"{bare_live}/unsubscribe?token={token}")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to the content"
    for _ in range(10):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.tagName") == "BUTTON":
            break
    assert page.evaluate("document.activeElement.textContent") == "Unsubscribe"
    page.keyboard.press("Enter")
    page.get_by_role("status").wait_for()
    assert not get_subscriber(store, number).active
