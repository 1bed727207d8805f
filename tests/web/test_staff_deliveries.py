"""The curators' send log (/staff/deliveries): digests and notices, filtered and paged, newest
first, errors shown with no secret; a failed delivery retried (pending again, attempts reset)
and then really delivered to aiosmtpd, by the next send or at once; `digest retry` on the same
use case; the retry audited; 403 and CSRF refusals."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest

from monitor.app import audit, deliveries, digests, subscribers
from monitor.app.subscribers import Preferences
from monitor.store import ledger
from monitor.store.tables import Delivery
from tests.conftest import CAPTURE_TIME
from tests.monitor.conftest import box  # noqa: F401  (the loopback SMTP server)
from tests.web.conftest import browse_as, csrf_of, sign_in_staff

WEBHOOK = "https://hooks.slack.com/services/T0AAA/B0BBB/secretpart123"


def _pin(app: Any) -> None:
    """The pages' clock at the recording's capture, when the portal calls were new."""
    app.clock = lambda: CAPTURE_TIME


def _failed_digest(app: Any, mailbox: Any, address: str = "r@ki.se") -> Delivery:
    """A digest the mail server refused (550): failed, its calls released."""
    _pin(app)
    subscribers.add(app, "email", address, Preferences(filters={"tags": ["global-health-lmic"]}))
    mailbox.refuse.add(address)
    report = digests.send(app, CAPTURE_TIME)
    assert report.failed == 1, report
    [row] = [d for d in ledger.deliveries(app.store()) if d.kind == "digest"]
    assert row.status == "failed" and "550" in (row.error or "")
    assert ledger.entries(app.store(), [row.id or 0]) == {}  # its calls were released
    return row


@pytest.fixture
def failed(box, portal, bare_app) -> Delivery:  # noqa: F811
    return _failed_digest(bare_app, box)


def _retry(client: Any, delivery_id: int | None, send: str = "", **more: Any) -> Any:
    """The retry button of the delivery's page pressed (``send="now"``: send now)."""
    page = client.get(f"/staff/deliveries/{delivery_id}")
    return client.post(f"/staff/deliveries/{delivery_id}/retry",
                       data={"csrf_token": csrf_of(page.text), "send": send}, **more)  # fmt: skip


def _notices(app: Any, subscriber_id: int, count: int) -> None:
    planned = [ledger.Planned(subscriber_id, "notice", f"eu#{n}@2026-06-{n % 28 + 1:02d}",
                              CAPTURE_TIME - timedelta(days=count - n),
                              payload={"source": f"feed-{n}", "state": "unhealthy",
                                       "reason": "timed out", "since": CAPTURE_TIME.isoformat()})
               for n in range(count)]  # fmt: skip
    ledger.plan(app.store(), planned)


def test_signed_out_visitors_get_403_and_curators_and_admins_open_the_log(client, bare_app) -> None:
    for path in ("/staff/deliveries", "/staff/deliveries/1"):
        assert client.get(path).status_code == 403
    sign_in_staff(client, bare_app, "cura@ki.se", "curator")
    page = client.get("/staff/deliveries")
    assert page.status_code == 200 and "Nothing has been sent yet" in page.text
    assert 'href="/staff/deliveries" aria-current="page"' in page.text  # in the menu
    sign_in_staff(client, bare_app, "boss@ki.se", "admin")
    assert client.get("/staff/deliveries").status_code == 200


def test_a_failed_digest_is_shown_with_its_error_retried_and_delivered_by_the_next_send(
    failed,
    box,  # noqa: F811
    curator_client,
    bare_app,
) -> None:
    page = curator_client.get("/staff/deliveries?status=failed")
    assert page.status_code == 200
    assert f'href="/staff/deliveries/{failed.id}"' in page.text and "550" in page.text
    one = curator_client.get(f"/staff/deliveries/{failed.id}")
    assert "It will go to" in one.text and "r@ki.se" in one.text
    box.refuse.clear()  # the address is right now
    answer = _retry(curator_client, failed.id, follow_redirects=False)
    assert answer.status_code == 303
    [row] = [d for d in ledger.deliveries(bare_app.store()) if d.id == failed.id]
    assert (row.status, row.attempts, row.error) == ("pending", 0, None)
    assert row.items >= 1 and ledger.entries(bare_app.store(), [row.id or 0])[row.id or 0]
    assert box.to("r@ki.se") == []  # nothing sent until the next send
    shown = curator_client.get(answer.headers["location"])
    assert "waiting to be sent again" in shown.text
    report = digests.send(bare_app, CAPTURE_TIME)
    assert report.sent == 1, report.errors
    [mail] = box.to("r@ki.se")
    assert "EDCTP" in mail.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    [row] = [d for d in ledger.deliveries(bare_app.store()) if d.id == failed.id]
    assert row.status == "sent"
    [event] = audit.events(bare_app, action="delivery.retry")
    assert event.actor == "cura@ki.se" and event.target.startswith(f"delivery {failed.id} ")
    assert (event.before, event.after) == ({"status": "failed"}, {"status": "pending"})
    # sent now: no second retry
    again = _retry(curator_client, failed.id)
    assert again.status_code == 409 and "only a failed delivery can be retried" in again.text


def test_send_now_delivers_at_once(
    failed,
    box,  # noqa: F811
    curator_client,
    bare_app,
) -> None:
    box.refuse.clear()
    done = _retry(curator_client, failed.id, "now")
    assert done.status_code == 200 and "was sent again" in done.text
    assert len(box.to("r@ki.se")) == 1


def test_a_retry_to_an_address_still_refused_fails_again_and_says_so(
    failed,
    box,  # noqa: F811
    curator_client,
    bare_app,
) -> None:
    done = _retry(curator_client, failed.id, "now")
    assert "failed again" in done.text and box.to("r@ki.se") == []
    assert deliveries.get(bare_app, failed.id or 0).status == "failed"


def test_a_paused_subscriber_cannot_be_retried(
    failed,
    box,  # noqa: F811
    curator_client,
    bare_app,
) -> None:
    subscribers.pause(bare_app, failed.subscriber_id)
    one = curator_client.get(f"/staff/deliveries/{failed.id}")
    assert "paused or unsubscribed" in one.text and "/retry" not in one.text
    answer = _retry(curator_client, failed.id)
    assert answer.status_code == 409 and "paused or unsubscribed" in answer.text
    assert deliveries.get(bare_app, failed.id or 0).status == "failed"


def test_the_retry_form_without_its_csrf_token_is_refused(
    failed,
    box,  # noqa: F811
    curator_client,
    bare_app,
) -> None:
    box.refuse.clear()
    answer = curator_client.post(f"/staff/deliveries/{failed.id}/retry", data={"send": "now"})
    assert answer.status_code == 403 and "did not come from this site" in answer.text
    assert deliveries.get(bare_app, failed.id or 0).status == "failed"
    assert box.to("r@ki.se") == []


def test_notices_are_listed_and_filtered_and_a_webhook_path_never_shows(
    curator_client, bare_app
) -> None:
    hook = subscribers.add(bare_app, "slack-webhook", WEBHOOK, Preferences(), curator=True)
    mail = subscribers.add(bare_app, "email", "cur@ki.se", Preferences(), curator=True)
    _notices(bare_app, hook.id or 0, 3)
    _notices(bare_app, mail.id or 0, 60)
    page = curator_client.get("/staff/deliveries?kind=notice")
    assert page.status_code == 200
    assert "Deliveries found: 63." in page.text and "Page 1 of 2" in page.text
    assert "feed-59" in page.text and "is failing" in page.text
    ids = [int(i) for i in re.findall(r'href="/staff/deliveries/(\d+)"', page.text)]
    assert ids == sorted(ids, reverse=True) and len(set(ids)) == 50  # newest first, 50 a page
    second = curator_client.get("/staff/deliveries?kind=notice&page=2")
    assert "Page 2 of 2" in second.text
    of_hook = curator_client.get(f"/staff/deliveries?subscriber={hook.id}")
    assert "Deliveries found: 3." in of_hook.text
    assert "secretpart" not in of_hook.text and "B0BBB" not in of_hook.text
    assert "https://hooks.slack.com/…" in of_hook.text
    assert (
        "Subscriber: Slack webhook https://hooks.slack.com/…" in of_hook.text
    )  # its kind in words
    of_hook_sv = curator_client.get(f"/staff/deliveries?subscriber={hook.id}&lang=sv").text
    assert "Prenumerant: Slack-webhook https://hooks.slack.com/…" in of_hook_sv
    curator_client.get("/staff/deliveries?lang=en")
    by_address = curator_client.get("/staff/deliveries?subscriber=cur@ki.se&period=2026-06-05")
    assert "Deliveries found: " in by_address.text
    assert {m for m in re.findall(r"feed-\d+", by_address.text)} <= {"feed-4", "feed-32"}
    digests_only = curator_client.get("/staff/deliveries?kind=digest")
    assert "No delivery matches these filters" in digests_only.text


def test_the_date_range_and_bad_filters(curator_client, bare_app) -> None:
    mail = subscribers.add(bare_app, "email", "cur@ki.se", Preferences(), curator=True)
    _notices(bare_app, mail.id or 0, 10)  # planned on the 10 days up to the capture
    day = (CAPTURE_TIME - timedelta(days=2)).date().isoformat()
    found = curator_client.get(f"/staff/deliveries?since={day}&until={day}")
    assert "Deliveries found: 1." in found.text
    for query, says in (("subscriber=nobody@ki.se", "no subscriber"),
                        ("status=lost", "unknown status"),
                        ("since=2026-06-10&until=2026-06-01", "before it starts"),
                        ("since=yesterday", "is not a date")):  # fmt: skip
        answer = curator_client.get(f"/staff/deliveries?{query}")
        assert answer.status_code == 400 and says in answer.text, query


def test_digest_retry_on_the_command_line(
    failed,
    box,  # noqa: F811
    bare_app,
    cli,
) -> None:
    code, _, err = cli("digest", "retry", "999")
    assert code == 2 and "no delivery 999" in err
    box.refuse.clear()
    code, out, err = cli(
        "digest", "retry", str(failed.id), "--send", "--as-of", CAPTURE_TIME.isoformat()
    )
    assert code == 0, err
    assert f"delivery {failed.id} (digest " in out and "r@ki.se" in out and "sent 1" in out
    assert len(box.to("r@ki.se")) == 1
    [event] = audit.events(bare_app, action="delivery.retry")
    assert event.actor.startswith("cli:")
    code, _, err = cli("digest", "retry", str(failed.id))
    assert code == 2 and "is sent: only a failed delivery" in err


@pytest.mark.parametrize("lang", ["sv"])
def test_the_log_in_swedish(curator_client, bare_app, lang) -> None:
    mail = subscribers.add(bare_app, "email", "cur@ki.se", Preferences(), curator=True)
    _notices(bare_app, mail.id or 0, 1)
    page = curator_client.get(f"/staff/deliveries?lang={lang}")
    assert "Utskickslogg" in page.text and "fungerar inte" in page.text


def test_a_curator_retries_a_failed_digest_in_the_browser(
    failed,
    box,  # noqa: F811
    bare_app,
    chromium,
) -> None:
    from monitor.web.app import running
    from tests.web.conftest import checked as _check

    hook = subscribers.add(bare_app, "slack-webhook", WEBHOOK, Preferences(), curator=True)
    _notices(bare_app, hook.id or 0, 3)
    with running(bare_app) as url:
        page = browse_as(chromium, url, bare_app, "cura@ki.se", "curator")
        page.get_by_role("link", name="Deliveries").first.click()
        page.wait_for_url(re.compile(r"/staff/deliveries$"))
        assert "550" in page.locator("table").inner_text()
        assert "secretpart" not in page.content()
        _check(page, "staff-deliveries")
        page.get_by_role("link", name="Failed deliveries").click()
        page.get_by_role("link", name=f"Send delivery {failed.id} again…").click()
        page.wait_for_url(re.compile(rf"/staff/deliveries/{failed.id}$"))
        assert "It will go to email r@ki.se" in page.locator("main").inner_text()
        _check(page, "staff-delivery")
        box.refuse.clear()
        page.get_by_role("button", name="Send now").click()
        page.wait_for_selector("text=The delivery was sent again.")
        assert len(box.to("r@ki.se")) == 1
        _check(page)
        page.context.close()
