"""The admins' subscribers pages (/staff/subscribers): the list (safe addresses, search,
states, last delivery), a subscriber's page with their deliveries, pause and resume (audited,
the CLI's too), the GDPR export (everything the store holds, no secret; `subscribers export`
prints the same) and the erasure after a page that says what goes and what stays; 403 for the
signed-out and for curators, CSRF refused."""

from __future__ import annotations

import hashlib
import json
import re
from datetime import timedelta
from typing import Any

import pytest

from monitor.app import audit, digests, subscribers
from monitor.app.subscribers import Preferences
from monitor.store import email_links, ledger
from monitor.store.feedback import list_feedback
from monitor.store.subscribers import get_subscriber, update_subscriber
from tests.conftest import CAPTURE_TIME
from tests.monitor.conftest import box  # noqa: F401  (the loopback SMTP server)
from tests.web.conftest import csrf_of, sign_in_staff

WEBHOOK = "https://hooks.slack.com/services/T0AAA/B0BBB/secretpart123"
CALENDAR_KEY = "calendarsecret0123456789"
ROUTES = (("GET", "/staff/subscribers"), ("GET", "/staff/subscribers/1"),
          ("GET", "/staff/subscribers/1/delete"), ("POST", "/staff/subscribers/1/pause"),
          ("POST", "/staff/subscribers/1/resume"), ("POST", "/staff/subscribers/1/export"),
          ("POST", "/staff/subscribers/1/delete"))  # fmt: skip


@pytest.fixture
def held(box, portal, bare_app, store) -> dict[str, Any]:  # noqa: F811
    """r@ki.se, sent a digest, with a Slack webhook of their own, a 👍, a sign-in link and a
    calendar feed; and another subscriber, whose data must stay."""
    from monitor.store.feedback import add_feedback

    bare_app.clock = lambda: CAPTURE_TIME
    wanted = Preferences(filters={"tags": ["global-health-lmic"]}, min_days=3)
    row = subscribers.add(bare_app, "email", "r@ki.se", wanted)
    other = subscribers.add(bare_app, "email", "other@ki.se", Preferences())
    report = digests.send(bare_app, CAPTURE_TIME)
    assert report.sent == 2, report.errors
    hook = subscribers.add(bare_app, "slack-webhook", WEBHOOK, Preferences())
    update_subscriber(store, hook.id or 0, owner_id=row.id, active=False)
    update_subscriber(store, row.id or 0, calendar_key=CALENDAR_KEY)
    first_call = min(portal.values())
    add_feedback(store, first_call, "up", CAPTURE_TIME, via="email", subscriber_id=row.id)
    add_feedback(store, first_call, "down", CAPTURE_TIME, via="email", subscriber_id=other.id)
    token = email_links.make_link(store, "sign-in", "r@ki.se", CAPTURE_TIME, timedelta(hours=1),
                                  subscriber_id=row.id)  # fmt: skip
    return {"id": row.id, "other": other.id, "hook": hook.id, "token": token,
            "nonce": get_subscriber(store, row.id or 0).token_nonce}  # fmt: skip


def _ask(client: Any, method: str, path: str, token: str) -> Any:
    if method == "GET":
        return client.get(path, follow_redirects=False)
    return client.post(path, data={"csrf_token": token}, follow_redirects=False)


def test_the_signed_out_and_curators_get_403_on_every_subscribers_route(
    client, bare_app, subscriber
) -> None:
    token = csrf_of(client.get("/staff/sign-in").text)
    assert {p: _ask(client, m, p, token).status_code for m, p in ROUTES} == {
        p: 403 for _, p in ROUTES}  # fmt: skip
    sign_in_staff(client, bare_app, "cura@ki.se", "curator")
    token = csrf_of(client.get("/staff").text)
    assert 'href="/staff/subscribers"' not in client.get("/staff").text
    assert {p: _ask(client, m, p, token).status_code for m, p in ROUTES} == {
        p: 403 for _, p in ROUTES}  # fmt: skip
    assert get_subscriber(bare_app.store(), subscriber[0]).active  # nothing changed


def test_the_list_shows_each_subscriber_safely_and_searches_by_address(held, admin_client) -> None:
    page = admin_client.get("/staff/subscribers")
    assert page.status_code == 200 and "Subscribers found: 3." in page.text
    assert "r@ki.se" in page.text and "other@ki.se" in page.text
    assert "https://hooks.slack.com/…" in page.text
    assert "secretpart" not in page.text and "B0BBB" not in page.text
    assert "global-health-lmic" in page.text and "at least days left</b>: 3" in page.text
    assert "weekly, English" in page.text and 'health-bad">paused<' in page.text
    assert page.text.count("never") == 1  # the webhook was never sent anything
    found = admin_client.get("/staff/subscribers?q=OTHER@")
    assert "Subscribers found: 1." in found.text
    assert f'href="/staff/subscribers/{held["other"]}"' in found.text
    assert f'href="/staff/subscribers/{held["id"]}"' not in found.text
    # a webhook's secret path cannot be searched for (nor guessed a letter at a time)
    assert "No subscriber matches" in admin_client.get("/staff/subscribers?q=secretpart").text
    paused = admin_client.get("/staff/subscribers?state=paused")
    assert "Subscribers found: 1." in paused.text and "hooks.slack.com" in paused.text


def test_a_subscriber_s_page_pause_and_resume_audited_here_and_on_the_command_line(
    held, admin_client, bare_app, cli
) -> None:
    page = admin_client.get(f"/staff/subscribers/{held['id']}")
    assert page.status_code == 200
    assert "Their deliveries" in page.text and "calls: " in page.text and "sent" in page.text
    assert f'href="/staff/subscribers/{held["hook"]}"' in page.text  # their webhook
    assert admin_client.get("/staff/subscribers/9999").status_code == 404
    done = admin_client.post(f"/staff/subscribers/{held['id']}/pause",
                             data={"csrf_token": csrf_of(page.text)})  # fmt: skip
    assert done.status_code == 200 and "Paused: nothing is sent" in done.text
    assert not get_subscriber(bare_app.store(), held["id"]).active
    done = admin_client.post(f"/staff/subscribers/{held['id']}/resume",
                             data={"csrf_token": csrf_of(page.text)})  # fmt: skip
    assert "Resumed" in done.text and get_subscriber(bare_app.store(), held["id"]).active
    code, _, err = cli("subscribers", "edit", str(held["other"]), "--pause", "--frequency", "daily")
    assert code == 0, err
    events = audit.events(bare_app, action="subscriber")
    assert [(e.action, e.actor[:4], e.target, e.before, e.after) for e in events] == [
        ("subscriber.edit", "cli:", f"subscriber {held['other']} (email)",
         {"frequency": "weekly", "active": True}, {"frequency": "daily", "active": False}),
        ("subscriber.resume", "boss", f"subscriber {held['id']} (email)", {"active": False},
         {"active": True}),
        ("subscriber.pause", "boss", f"subscriber {held['id']} (email)", {"active": True},
         {"active": False}),
    ]  # fmt: skip


def test_pausing_without_the_csrf_token_is_refused(held, admin_client, bare_app) -> None:
    answer = admin_client.post(f"/staff/subscribers/{held['id']}/pause")
    assert answer.status_code == 403 and "did not come from this site" in answer.text
    assert get_subscriber(bare_app.store(), held["id"]).active


def test_the_export_holds_what_the_store_has_and_no_secret(
    held, admin_client, bare_app, store, cli
) -> None:
    page = admin_client.get(f"/staff/subscribers/{held['id']}")
    answer = admin_client.post(f"/staff/subscribers/{held['id']}/export",
                               data={"csrf_token": csrf_of(page.text)})  # fmt: skip
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("application/json")
    assert "attachment" in answer.headers["content-disposition"]
    text = answer.text
    data = json.loads(text)
    me = data["subscriber"]
    assert (me["id"], me["address"], me["filters"]) == (
        held["id"],
        "r@ki.se",
        {"tags": ["global-health-lmic"], "min_days_left": 3},
    )
    assert me["calendar_feed"] is True
    [hook] = data["destinations"]
    assert hook["address"] == "https://hooks.slack.com/…" and hook["address_blanked"] is True
    ledger_rows = [d for d in ledger.deliveries(store, held["id"])]
    assert [d["id"] for d in data["deliveries"]] == [d.id for d in ledger_rows]
    assert data["deliveries"][0]["status"] == "sent" and data["deliveries"][0]["web_copy"]
    told = ledger.entries(store, [d.id or 0 for d in ledger_rows])
    assert data["announcements"] and {a["call_id"] for a in data["announcements"]} == {
        call for rows in told.values() for call, _, _ in rows}  # fmt: skip
    assert [f["kind"] for f in data["feedback"]] == ["up"]  # not the other subscriber's
    [link] = data["email_links"]
    assert link["kind"] == "sign-in" and link["address"] == "r@ki.se" and link["expires_at"]
    for secret in (
        "secretpart",
        "B0BBB",
        CALENDAR_KEY,
        held["token"],
        held["nonce"],
        hashlib.sha256(held["token"].encode()).hexdigest(),
        "<html",
        "other@ki.se",
    ):
        assert secret not in text, secret  # fmt: skip
    [event] = audit.events(bare_app, action="subscriber.export")
    assert event.actor == "boss@ki.se" and event.after["deliveries"] == len(ledger_rows)
    code, out, err = cli("subscribers", "export", "r@ki.se")
    assert code == 0, err
    printed = json.loads(out)
    assert {k: v for k, v in printed.items() if k != "exported_at"} == {
        k: v for k, v in data.items() if k != "exported_at"}  # fmt: skip


def test_delete_asks_first_then_removes_their_data_and_keeps_the_rest(
    held, admin_client, bare_app, store
) -> None:
    page = admin_client.get(f"/staff/subscribers/{held['id']}")
    ask = admin_client.get(f"/staff/subscribers/{held['id']}/delete")
    assert ask.status_code == 200 and "What is deleted" in ask.text and "What stays" in ask.text
    assert "digests sent: 1." in ask.text and "(confirm, sign in): 1." in ask.text
    unconfirmed = admin_client.post(f"/staff/subscribers/{held['id']}/delete",
                                    data={"csrf_token": csrf_of(page.text)})  # fmt: skip
    assert "What is deleted" in unconfirmed.text
    assert get_subscriber(store, held["id"]).id == held["id"]
    done = admin_client.post(f"/staff/subscribers/{held['id']}/delete",
                             data={"csrf_token": csrf_of(ask.text), "confirm": "yes"})  # fmt: skip
    assert done.status_code == 200 and f"Subscriber {held['id']} and their data" in done.text
    assert [s.id for s in subscribers.everyone(bare_app)] == [held["other"]]  # webhook gone too
    assert [d.subscriber_id for d in ledger.deliveries(store)] == [held["other"]]
    assert email_links.peek(store, held["token"], "sign-in", CAPTURE_TIME) is None
    kept = list_feedback(store, status=None)
    assert sorted((f.kind, f.subscriber_id) for f in kept) == [("down", held["other"]),
                                                               ("up", None)]  # fmt: skip
    [event] = audit.events(bare_app, action="subscriber.remove")
    assert event.target == f"subscriber {held['id']} (email)" and "r@ki.se" not in str(event)
    assert admin_client.get(f"/staff/subscribers/{held['id']}").status_code == 404


def test_subscribers_remove_on_the_command_line_erases_the_same(held, cli, store) -> None:
    code, out, err = cli("subscribers", "remove", "r@ki.se")
    assert code == 0, err
    assert email_links.peek(store, held["token"], "sign-in", CAPTURE_TIME) is None
    assert [f.subscriber_id for f in list_feedback(store, status=None) if f.kind == "up"] == [None]


def test_the_pages_in_swedish(held, admin_client) -> None:
    page = admin_client.get("/staff/subscribers?lang=sv")
    assert "Prenumeranter" in page.text and "varje vecka, engelska" in page.text
    one = admin_client.get(f"/staff/subscribers/{held['id']}/delete")
    assert "Det här raderas" in one.text


def test_an_admin_pauses_exports_and_deletes_in_the_browser(held, bare_app, chromium) -> None:
    from monitor.web.app import running
    from tests.web.conftest import browse_as
    from tests.web.conftest import checked as _check

    with running(bare_app) as url:
        page = browse_as(chromium, url, bare_app, "boss@ki.se", "admin")
        page.get_by_role("link", name="Subscribers").first.click()
        page.wait_for_url(re.compile(r"/staff/subscribers$"))
        assert "secretpart" not in page.content()
        _check(page, "staff-subscribers")
        page.get_by_label("Address or name").fill("r@ki")
        page.get_by_role("button", name="Show").click()
        page.get_by_role("link", name=f"Subscriber {held['id']}", exact=True).click()
        page.wait_for_url(re.compile(rf"/staff/subscribers/{held['id']}$"))
        _check(page, "staff-subscriber")
        page.get_by_role("button", name="Pause").click()
        page.wait_for_selector("text=Paused: nothing is sent")
        with page.expect_download() as download:
            page.get_by_role("button", name="Export their data (JSON)").click()
        data = json.loads(download.value.path().read_text(encoding="utf-8"))
        assert data["subscriber"]["address"] == "r@ki.se" and not data["subscriber"]["active"]
        page.get_by_role("link", name="Delete their data…").click()
        _check(page, "staff-subscriber-delete")
        page.get_by_role("button", name=f"Delete subscriber {held['id']}").click()
        page.wait_for_selector(f"text=Subscriber {held['id']} and their data are deleted.")
        assert [s.id for s in subscribers.everyone(bare_app)] == [held["other"]]
        page.context.close()
