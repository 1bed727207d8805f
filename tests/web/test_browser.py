"""A researcher at the web face, in a real browser: search, filter, remove a filter, open a
call, say a tag is wrong, switch to Swedish; every page passes axe-core (no serious or
critical violation) at 1280 and 390 px, and is saved as a screenshot."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

from monitor.store.db import open_store
from monitor.store.feedback import list_feedback
from tests.web.conftest import axe_problems, shoot


def query_of(url: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(url).query)


def test_search_filter_open_a_call_and_say_a_tag_is_wrong(live, browser_page, portal, db_url):
    page = browser_page
    page.goto(live + "/")
    assert page.title().startswith("Find funding calls")
    heading = page.locator("#results-heading")
    assert heading.inner_text() == f"{len(portal)} calls"
    assert axe_problems(page) == []
    shoot(page, "search")

    page.get_by_label("Search the calls").fill("EDCTP3 health")
    page.get_by_role("button", name="Search", exact=True).click()
    page.wait_for_url(re.compile(r"q=EDCTP3"))
    edctp = [i for i in portal if "EDCTP3" in i]
    page.wait_for_function("document.querySelector('#results-heading').innerText.includes('call')")
    found = page.locator("ol.calls > li h3 a").all_inner_texts()
    assert 1 <= len(found) <= len(edctp)

    page.get_by_label("Search the calls").fill("")
    page.get_by_role("button", name="Search", exact=True).click()
    page.wait_for_url(lambda url: "q=" not in url)
    box = page.locator("fieldset.facet", has_text="Priority area").get_by_label(
        re.compile("Global health"))  # fmt: skip
    box.check()
    page.wait_for_url(re.compile(r"tag=global-health-lmic"))
    page.wait_for_selector("ul.pills a.pill")
    assert page.locator("#results-heading").inner_text() == (
        f"{len(edctp)} calls" if len(edctp) != 1 else "1 call")  # fmt: skip
    assert query_of(page.url)["tag"] == ["global-health-lmic"]
    assert axe_problems(page) == []
    shoot(page, "search-filtered")

    first = page.locator("ol.calls > li h3 a").first
    title = first.inner_text()
    first.click()
    page.wait_for_url(re.compile(r"/calls/\d+$"))
    assert page.locator("h1").inner_text() == title
    assert page.locator("#h-tags").is_visible() and page.locator("ul.evidence > li").count() >= 1
    assert axe_problems(page) == []
    shoot(page, "call")

    page.get_by_role("button", name=re.compile("This tag is wrong: Global health")).click()
    page.wait_for_url(re.compile(r"thanks=1"))
    assert page.get_by_role("status").inner_text().startswith("Thank you")
    stored = list_feedback(open_store(db_url))
    assert [(f.kind, f.tag_id) for f in stored] == [("wrong-tag", "global-health-lmic")]

    page.get_by_role("link", name="På svenska").click()
    page.wait_for_url(re.compile(r"lang=sv"))
    assert page.locator("html").get_attribute("lang") == "sv"
    assert page.locator("#h-tags").inner_text() == "Prioriterade områden, och varför"
    page.get_by_role("link", name="← Tillbaka till sökningen").click()
    page.wait_for_url(live + "/")
    assert page.locator("h1").inner_text() == "Hitta utlysningar"  # the choice is kept
    assert axe_problems(page) == []
    shoot(page, "search-sv")


def test_removing_a_pill_removes_that_filter_only(live, browser_page, portal) -> None:
    page = browser_page
    page.goto(live + "/?tag=global-actor&tag=global-health-lmic&status=closed&sort=deadline")
    pills = page.locator("ul.pills a.pill")
    assert pills.count() == 3
    page.get_by_role("link", name=re.compile("Remove filter: Global health")).click()
    page.wait_for_url(lambda url: "global-health-lmic" not in url)
    left = query_of(page.url)
    assert left["tag"] == ["global-actor"] and left["status"] == ["closed"]
    assert left["sort"] == ["deadline"]


def test_the_keyboard_alone_reaches_the_search_and_the_results(live, browser_page) -> None:
    page = browser_page
    page.goto(live + "/")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to the content"
    page.keyboard.press("Enter")
    for _ in range(30):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == "q":
            break
    assert page.evaluate("document.activeElement.id") == "q"
    page.keyboard.type("Africa")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"q=Africa"))


def test_a_call_page_at_390_px_has_no_sideways_scroll(live, browser_page, portal) -> None:
    page = browser_page
    page.set_viewport_size({"width": 390, "height": 800})
    for path in ("/", f"/calls/{next(iter(portal.values()))}", "/subscribe", "/preferences"):
        page.goto(live + path)
        wide = page.evaluate("document.documentElement.scrollWidth")
        assert wide <= 390, (path, wide)
