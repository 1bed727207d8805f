"""A researcher subscribes herself in a real browser: from a search, "get these by email", an
address, the confirmation email arriving at aiosmtpd, its single-use link, her preferences,
a sign-in link later, and unsubscribing. No address is told apart from another, and at most
PER_HOUR links go to one address in an hour."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from monitor.app import subscriptions
from monitor.app.context import App
from monitor.config import load_settings
from monitor.store import subscribers as subscriber_store
from monitor.store.db import open_store
from monitor.web import server
from monitor.web.app import create_app
from tests.monitor.conftest import box  # noqa: F401  (the loopback SMTP server)
from tests.web.conftest import axe_problems, shoot

ADDRESS = "ada.researcher@ki.se"


@pytest.fixture
def site(box, db_url, portal, monkeypatch) -> Iterator[str]:  # noqa: F811
    """The web face with email on loopback; links use its own address (no PUBLIC_URL)."""
    monkeypatch.setenv("FUNDING_MONITOR_DATABASE_URL", db_url)
    monkeypatch.setenv("FUNDING_MONITOR_PUBLIC_URL", "")
    with server.running(server.build(create_app(App(load_settings(None))))) as url:
        yield url


def link_in(message, path: str) -> str:
    text = message.get_body(preferencelist=("plain",)).get_content()
    found = re.search(rf"https?://\S+{path}\?token=[\w-]+", text)
    assert found, text
    return found.group()


def test_subscribe_confirm_set_preferences_sign_in_and_leave(site, box, browser_page, db_url):  # noqa: F811
    page = browser_page
    page.goto(site + "/?tag=global-health-lmic")
    page.get_by_role("link", name="Get these by email").click()
    page.wait_for_url(re.compile(r"/subscribe\?tag=global-health-lmic"))
    assert "Global health" in page.locator("section.chosen").inner_text()
    assert axe_problems(page) == []
    shoot(page, "subscribe")

    page.get_by_label("Your email address").fill(ADDRESS)
    page.get_by_role("button", name="Email me a link").click()
    page.wait_for_selector("h1:has-text('Check your inbox')")
    assert axe_problems(page) == []
    [mail] = box.to(ADDRESS)
    assert mail["Subject"] == "Confirm your funding-monitor subscription"
    confirm = link_in(mail, "/confirm")

    page.goto(confirm)  # a GET changes nothing: a mail scanner may have opened it first
    assert subscriptions.valid(App(load_settings(None)), "confirm", confirm.split("token=")[1])
    assert axe_problems(page) == []
    shoot(page, "confirm")
    page.get_by_role("button", name="Confirm my subscription").click()
    page.wait_for_url(re.compile(r"/preferences\?welcome=1"))
    assert page.get_by_role("status").inner_text().startswith("You are subscribed")
    assert page.get_by_label(re.compile("Global health")).is_checked()
    assert axe_problems(page) == []
    shoot(page, "preferences")

    page.get_by_label("Daily").check()
    page.get_by_label("Svenska").check()
    page.get_by_label("Keywords").fill("malaria\ntuberculosis")
    page.get_by_role("button", name="Save my preferences").click()
    page.wait_for_url(re.compile(r"/preferences\?saved=1"))
    row = subscriber_store.get_subscriber(open_store(db_url), ADDRESS)
    assert (row.active, row.frequency, row.language) == (True, "daily", "sv")
    assert row.filters["tags"] == ["global-health-lmic"]
    assert row.filters["keywords"] == ["malaria", "tuberculosis"]

    page.goto(confirm)  # used once: gone
    assert page.locator("h1").inner_text() == "This link does not work any more"

    page.context.clear_cookies()  # another day, another browser: a sign-in link
    page.goto(site + "/subscribe")
    page.get_by_label("Your email address").fill(ADDRESS.upper())
    page.get_by_role("button", name="Email me a link").click()
    page.wait_for_selector("h1:has-text('Check your inbox')")
    second = box.to(ADDRESS)[-1]
    assert second["Subject"] == "Din länk till dina inställningar i funding-monitor"  # hers
    page.goto(link_in(second, "/sign-in"))
    page.get_by_role("button", name="Open my preferences").click()
    page.wait_for_url(re.compile(r"/preferences$"))
    page.get_by_role("button", name="Unsubscribe").click()
    page.wait_for_selector("h1:has-text('You are unsubscribed')")
    assert not subscriber_store.get_subscriber(open_store(db_url), ADDRESS).active
    page.goto(site + "/preferences")  # signed out everywhere
    assert page.locator("h1").inner_text() == "Your preferences"
    assert page.get_by_role("link", name="Email me a new link").is_visible()


def test_the_same_answer_for_anyone_and_a_few_links_an_hour(site, box, browser_page) -> None:  # noqa: F811
    page = browser_page
    answers = []
    for address in ("new.person@ki.se", "new.person@ki.se", "new.person@ki.se",
                    "new.person@ki.se", "other@ki.se"):  # fmt: skip
        page.goto(site + "/subscribe")
        page.get_by_label("Your email address").fill(address)
        page.get_by_role("button", name="Email me a link").click()
        page.wait_for_selector("main h1")
        answers.append(page.locator("main").inner_text())
    assert len(set(answers)) == 1  # known, new, limited: one answer
    assert len(box.to("new.person@ki.se")) == subscriptions.PER_HOUR
    assert len(box.to("other@ki.se")) == 1


def test_a_wrong_address_is_said_at_the_field(site, browser_page) -> None:
    page = browser_page
    page.goto(site + "/subscribe")
    page.get_by_label("Your email address").evaluate("e => e.removeAttribute('required')")
    page.get_by_label("Your email address").evaluate("e => e.type = 'text'")
    page.get_by_label("Your email address").fill("not an address")
    page.get_by_role("button", name="Email me a link").click()
    page.wait_for_selector("[role=alert]")
    assert page.get_by_role("alert").is_visible()
    assert page.get_by_label("Your email address").get_attribute("aria-invalid") == "true"
    assert axe_problems(page) == []


def test_a_vote_from_a_digest_is_recorded_by_its_button_only(site, browser_page, db_url,
                                                             portal) -> None:  # fmt: skip
    from urllib.parse import urlsplit

    from monitor.digests.tokens import page_url
    from monitor.store.feedback import list_feedback

    store = open_store(db_url)
    who = subscriber_store.add_subscriber(store, "email", "voter@ki.se")
    settings = load_settings(None).model_copy(update={"public_url": site})
    call = next(i for ident, i in portal.items() if "EDCTP3" in ident)
    page = browser_page
    link = page_url(settings, who, "/feedback", call=call, vote="down")
    assert urlsplit(link).netloc == urlsplit(site).netloc
    page.goto(link)
    assert page.locator("h1").inner_text() == "Your word on a call"
    assert list_feedback(store) == []  # opening the link records nothing
    assert axe_problems(page) == []
    shoot(page, "vote")
    page.get_by_role("button", name="👎 Not for me").click()
    page.wait_for_selector("[role=status]")
    page.goto(page_url(settings, who, "/feedback", call=call, vote="up"))
    page.get_by_role("button", name="👍 Yes, useful").click()
    page.wait_for_selector("[role=status]")
    stored = list_feedback(store)
    assert [(f.call_id, f.kind, f.via, f.subscriber_id) for f in stored] == [
        (call, "up", "digest", who.id)]  # fmt: skip
    page.goto(site + f"/feedback?token=forged&call={call}&vote=up")
    assert page.locator("h1").inner_text() == "This link does not work any more"


def test_my_calendar_has_the_deadlines_of_my_digests_calls(site, browser_page, db_url) -> None:
    from datetime import UTC, datetime

    import httpx
    from icalendar import Calendar

    from monitor.digests.tokens import page_url
    from monitor.store import sources as source_store
    from monitor.store.calls import upsert_calls
    from monitor.store.tables import Announcement, Delivery
    from monitor.store.views import find_call_ids
    from sources.records import CallRecord, Deadline

    store = open_store(db_url)
    who = subscriber_store.add_subscriber(store, "email", "cal@ki.se")
    source = source_store.add_source(store, "cal", "feed", "http://127.0.0.1:9/f.xml", {})
    when = datetime(2031, 5, 6, 15, tzinfo=UTC)
    upsert_calls(store, source.id or 0, [
        CallRecord("a", "SENT-1", "Sent to her", "https://example.org/a", "F", "P", "open",
                   deadlines=(Deadline(when, "2031-05-06"),)),
        CallRecord("b", "NOT-SENT-1", "Not sent", "https://example.org/b", "F", "P", "open",
                   deadlines=(Deadline(when, "2031-05-06"),)),
    ], datetime.now(UTC))  # fmt: skip
    [sent] = find_call_ids(store, "SENT-1")  # the call sent to her in a digest
    with store.session() as session:
        delivery = Delivery(subscriber_id=who.id, period="2031-W18", status="sent",
                            planned_at=datetime.now(UTC), sent_at=datetime.now(UTC))  # fmt: skip
        session.add(delivery)
        session.flush()
        session.add(Announcement(subscriber_id=who.id, call_id=sent, key="new",
                                 delivery_id=delivery.id, part="new"))  # fmt: skip
    settings = load_settings(None).model_copy(update={"public_url": site})
    page = browser_page
    page.goto(page_url(settings, who, "/preferences"))  # a digest's link signs her in
    page.wait_for_url(re.compile(r"/preferences$"))
    page.get_by_role("button", name="Make my calendar address").click()
    page.wait_for_selector("#feed")
    feed = page.locator("#feed").input_value()
    answer = httpx.get(feed)
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/calendar")
    events = Calendar.from_ical(answer.content).walk("VEVENT")
    assert [str(e["description"]) for e in events] == ["SENT-1"]
    assert events[0].decoded("dtend") == when
    assert axe_problems(page) == []
    page.get_by_role("button", name=re.compile("Make a new address")).click()
    page.wait_for_selector("[role=status]")
    assert httpx.get(feed).status_code == 404  # the old address stopped working
    assert httpx.get(page.locator("#feed").input_value()).status_code == 200
