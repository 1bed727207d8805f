"""Staff sign-in and the pages every role shares, in a real browser: a signed-out visitor is
refused with a way in, an admin signs in by the emailed link (aiosmtpd), gives a colleague the
curator role, whose browser is then refused the admins' pages; a tampered form changes
nothing; an expired session is sent back to sign in. axe on every page; screenshots."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator

import pytest

from monitor.app import staff
from monitor.app.context import App
from monitor.config import load_settings
from monitor.web import server
from monitor.web.app import create_app
from monitor.web.staff import access
from tests.monitor.conftest import box  # noqa: F401  (the loopback SMTP server)
from tests.web.conftest import axe_problems, shoot, staff_link
from tests.web.test_staff_access import _cookie_signed_at


@pytest.fixture
def site(box, db_url, monkeypatch) -> Iterator[tuple[str, App]]:  # noqa: F811
    monkeypatch.setenv("FUNDING_MONITOR_DATABASE_URL", db_url)
    monkeypatch.setenv("FUNDING_MONITOR_PUBLIC_URL", "")
    app = App(load_settings(None))
    staff.add(app, "boss@ki.se", "admin")
    with server.running(server.build(create_app(app))) as url:
        yield url, app


def test_staff_sign_in_roles_and_refusals(site, box, browser_page, chromium):  # noqa: F811
    url, app = site
    page = browser_page
    page.goto(url + "/staff/audit")
    assert "for funding-monitor's staff" in page.locator("main").inner_text()
    assert axe_problems(page) == []
    page.get_by_role("link", name="Sign in to the staff pages").click()
    page.get_by_label("Your work address").fill("Boss@KI.se")
    page.get_by_role("button", name="Send me a sign-in link").click()
    page.wait_for_selector("h1:has-text('Check your email')")
    [mail] = box.to("boss@ki.se")
    text = mail.get_body(preferencelist=("plain",)).get_content()
    link = re.search(r"https?://\S+/staff/sign-in\?token=[\w-]+", text)
    assert link, text
    page.goto(link.group())
    assert axe_problems(page) == []
    shoot(page, "staff-sign-in-link")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r"/staff$"))
    assert "You are signed in as boss@ki.se (admin)" in page.locator("main").inner_text()
    assert axe_problems(page) == []
    shoot(page, "staff-home")

    page.get_by_role("link", name="Users").first.click()
    page.wait_for_url(re.compile(r"/staff/users$"))
    page.get_by_label("Address").fill("cura@ki.se")
    page.get_by_label("Role").select_option("curator")
    page.get_by_role("button", name="Give a role").click()
    page.wait_for_selector("text=cura@ki.se is now curator")
    assert axe_problems(page) == []
    shoot(page, "staff-users")
    page.get_by_role("link", name="Audit log").first.click()
    page.wait_for_url(re.compile(r"/staff/audit$"))
    assert "role: — → curator" in page.locator("table").inner_text()
    assert axe_problems(page) == []
    shoot(page, "staff-audit")

    # a form whose token was altered changes nothing
    page.goto(url + "/staff/users")
    page.locator("form.inline-form input[name=csrf_token]").evaluate("e => e.value = 'forged'")
    page.get_by_label("Address").fill("intruder@ki.se")
    page.get_by_role("button", name="Give a role").click()
    assert "did not come from this site" in page.locator("main").inner_text()
    assert "intruder@ki.se" not in [u.address for u in staff.everyone(app)]

    # the curator's own browser: the admins' pages are refused
    context = chromium.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB")
    other = context.new_page()
    other.goto(url + f"/staff/sign-in?token={staff_link(app, 'cura@ki.se', 'curator')}")
    other.get_by_role("button", name="Sign in").click()
    other.wait_for_url(re.compile(r"/staff$"))
    assert other.get_by_role("link", name="Audit log").count() == 0
    answer = other.goto(url + "/staff/audit")
    assert answer is not None and answer.status == 403
    assert "for admins" in other.locator("main").inner_text()
    context.close()

    # an expired session goes back to sign in, and then to where it was
    [boss] = [u for u in staff.everyone(app) if u.address == "boss@ki.se"]
    old = _cookie_signed_at(boss.id, boss.nonce, time.time() - access.MAX_AGE - 60)
    page.context.add_cookies([{"name": access.COOKIE, "value": old, "url": url}])
    page.goto(url + "/staff/audit")
    page.wait_for_url(re.compile(r"/staff/sign-in\?expired=1"))
    assert "Your session ended" in page.locator("main").inner_text()
    assert axe_problems(page) == []
    shoot(page, "staff-sign-in-expired")
