"""A sent digest and the subscriber's pages, end to end through `digest send` on SQLite and
PostgreSQL, by a real SMTP server (aiosmtpd) and a loopback Slack Web API: the links each
message carries (its web copy, the preferences page, 👍/👎 per call), all signed for that
subscriber; the web copy kept in the ledger before the message leaves and shown once it is
sent; and the two use cases the pages call, ``digests.sent`` and ``digests.web_copy``."""

from __future__ import annotations

import json
import logging
import re
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from html import unescape
from typing import Any
from urllib.parse import parse_qs, urlsplit

from sqlmodel import select

from monitor.app import App, digests
from monitor.config import load_settings
from monitor.digests import tokens
from monitor.store import ledger
from monitor.store import sources as source_store
from monitor.store import subscribers as subscriber_store
from monitor.store.calls import upsert_calls
from monitor.store.db import open_store
from monitor.store.tables import Call, SourceEvent
from notifications.digest import summary_line
from sources.eu_ft.parse import parse
from sources.records import FetchResult, Page
from tests.conftest import CAPTURE_TIME
from tests.mailserver import Mailbox

AS_OF = CAPTURE_TIME.isoformat()
SITE = "https://monitor.ki.se"  # the box fixture's PUBLIC_URL


def body(message: EmailMessage, kind: str = "plain") -> str:
    part = message.get_body((kind,))
    assert part is not None
    return str(part.get_content()).replace("\r\n", "\n")  # type: ignore[attr-defined]


def send(cli: Any, as_of: str = AS_OF, *args: str) -> tuple[int, str, str]:
    return cli("-v", "digest", "send", "--as-of", as_of, *args)  # type: ignore[no-any-return]


def app_of(db_url: str) -> App:
    return App(load_settings(database_url=db_url))


def links(text: str, path: str) -> list[str]:
    return re.findall(rf"{re.escape(SITE)}{path}\?[^\s\"<>|]+", text)


def test_every_link_of_a_sent_digest_is_the_subscribers_own(cli, portal, box: Mailbox, api,
                                                            db_url, caplog) -> None:  # fmt: skip
    caplog.set_level(logging.DEBUG)
    cli("subscribers", "add", "researcher@ki.se", "--tag", "global-health-lmic")
    cli("subscribers", "add", "--slack-channel", "C0123ABCD", "--tag", "erasmus-education")
    assert send(cli)[0] == 0
    app = app_of(db_url)
    store = app.store()
    settings = app.settings
    email_row, slack_row = subscriber_store.list_subscribers(store)
    delivery = {d.subscriber_id: d for d in ledger.deliveries(store)}
    mail_delivery = delivery[email_row.id or 0]
    [message] = box.messages
    text, html = body(message), body(message, "html")
    # View in browser: this delivery's page, first in both parts, for this subscriber
    web = tokens.page_url(settings, email_row, f"/digests/{mail_delivery.id}")
    assert web.startswith(f"{SITE}/digests/{mail_delivery.id}?token=")
    assert text.startswith(f"View in browser: {web}\n")
    assert f'<a href="{web}">View in browser</a>' in html
    token = parse_qs(urlsplit(web).query)["token"][0]
    assert tokens.subscriber_of(store, settings, token).id == email_row.id
    # The footer: the preferences page, never a command
    preferences = tokens.page_url(settings, email_row, "/preferences")
    assert f"Change what you receive: {preferences}" in text and f'href="{preferences}"' in html
    assert "subscribers edit" not in text + html
    # 👍/👎: one pair for each call of the digest, naming that call
    calls = sorted({call for call, _key, _part in ledger.entries(store, [mail_delivery.id or 0])
                    [mail_delivery.id or 0]})  # fmt: skip
    assert calls and mail_delivery.items == len(calls)
    for call in calls:
        for vote in ("up", "down"):
            url = tokens.page_url(settings, email_row, "/feedback", call=call, vote=vote)
            assert url in text and url.replace("&", "&amp;") in html
    voted = {int(parse_qs(urlsplit(unescape(u)).query)["call"][0])
             for u in links(html, "/feedback")}  # fmt: skip
    assert voted == set(calls)
    # One summary line under each call's title
    with store.session() as session:
        summaries = [summary_line(c.summary) for c in session.exec(select(Call))
                     if c.id in calls and c.summary]  # fmt: skip
    assert summaries and all(f"\n  {s}\n" in text for s in summaries)
    # Slack: the same links, its own token and delivery
    [post] = [json.loads(r["body"]) for r in api.requests if r["path"].endswith("postMessage")]
    blocks = json.dumps(post["blocks"], ensure_ascii=False)
    slack_web = tokens.page_url(settings, slack_row, f"/digests/{delivery[slack_row.id or 0].id}")
    assert f"<{slack_web}|View in browser>" in blocks
    assert tokens.page_url(settings, slack_row, "/preferences") in blocks
    assert blocks.count("vote=up") == delivery[slack_row.id or 0].items
    # The pages token is in the messages only: never in a log line
    assert token not in caplog.text and "token=" not in caplog.text
    app.close()


def test_the_sent_digests_and_their_web_copies(cli, portal, box: Mailbox, api, db_url,
                                               search_2026) -> None:  # fmt: skip
    cli("subscribers", "add", "researcher@ki.se")  # every call
    cli("subscribers", "add", "--slack-channel", "C0123ABCD", "--tag", "erasmus-education")
    cli("subscribers", "add", "curator@ki.se", "--curator")
    _unhealthy(db_url)
    assert send(cli)[0] == 0
    _new_calls(db_url, search_2026, CAPTURE_TIME + timedelta(days=3))
    next_week = CAPTURE_TIME + timedelta(days=7)
    assert send(cli, next_week.isoformat())[0] == 0
    app = app_of(db_url)
    store = app.store()
    by_kind = {(d.subscriber_id, d.period): d for d in ledger.deliveries(store)}
    first, second = by_kind[(1, "2026-W26")], by_kind[(1, "2026-W27")]
    listed = digests.sent(app, 1)
    assert [(d.id, d.period, d.sent_at, d.items) for d in listed] == [
        (second.id, "2026-W27", next_week, second.items),
        (first.id, "2026-W26", CAPTURE_TIME, first.items),
    ]  # newest first
    assert all(d.items > 0 for d in listed) and listed[0].sent_at.tzinfo is not None
    # Each copy is the email's HTML of that digest, without a link to itself
    older = digests.web_copy(app, 1, first.id or 0)
    newer = digests.web_copy(app, 1, second.id or 0)
    assert older and newer and older != newer
    assert older.startswith("<!DOCTYPE html>") and "View in browser" not in older
    [first_mail, second_mail] = box.to("researcher@ki.se")
    html = body(first_mail, "html")
    assert older == re.sub(r'<p class="note"><a href="[^"]+">View in browser</a></p>', "", html
                           ).replace('<p class="foot">Deadlines as a calendar file: '
                                     'deadlines.ics</p>', "")  # fmt: skip
    assert "(copy 0)" in newer and "(copy 0)" not in older  # the calls new that week
    # A Slack subscriber's digest has its copy too (the email's HTML of it)
    slack_delivery = by_kind[(2, "2026-W26")]
    slack_copy = digests.web_copy(app, 2, slack_delivery.id or 0)
    assert slack_copy and "ERASMUS" in slack_copy and "<h1>" in slack_copy
    # Not this subscriber's, no such delivery, a notice: nothing
    assert digests.web_copy(app, 2, first.id or 0) is None
    assert digests.web_copy(app, 1, slack_delivery.id or 0) is None
    for no_such in (0, -1, 10**6, 2**31, 10**20):
        assert digests.web_copy(app, 1, no_such) is None
    notice = next(d for d in ledger.deliveries(store) if d.kind == "notice")
    assert notice.status == "sent" and box.to("curator@ki.se")
    assert digests.web_copy(app, notice.subscriber_id, notice.id or 0) is None
    assert digests.sent(app, notice.subscriber_id) == [] and digests.sent(app, 99) == []
    app.close()


def test_the_copy_is_kept_before_sending_and_shown_once_sent(cli, portal, box: Mailbox, db_url):
    cli("subscribers", "add", "researcher@ki.se", "--tag", "global-actor")
    box.fail_from = 0  # the server answers 451: the digest waits for the next run
    code, out, _ = send(cli)
    assert code == 1 and "451" in out
    app = app_of(db_url)
    [waiting] = ledger.deliveries(app.store())
    assert waiting.status == "pending" and waiting.payload["web"].startswith("<!DOCTYPE html>")
    assert digests.web_copy(app, 1, waiting.id or 0) is None and digests.sent(app, 1) == []
    box.fail_from = None
    assert send(cli)[0] == 0
    [done] = ledger.deliveries(app.store())
    assert done.status == "sent"
    assert digests.web_copy(app, 1, done.id or 0) == waiting.payload["web"]
    assert [d.id for d in digests.sent(app, 1)] == [done.id]
    app.close()


def test_without_public_url_the_digest_tells_them_to_ask_the_admin(cli, portal, box, monkeypatch):
    monkeypatch.delenv("FUNDING_MONITOR_PUBLIC_URL")
    cli("subscribers", "add", "researcher@ki.se", "--tag", "global-actor", "--language", "sv")
    assert send(cli)[0] == 0
    [message] = box.messages
    for part in (body(message), body(message, "html")):
        assert "Fråga din administratör för funding-monitor." in part
        assert "token=" not in part and "Visa i webbläsaren" not in part and "👍" not in part
        assert "subscribers edit" not in part and "funding-monitor subscribers" not in part


def _unhealthy(db_url: str) -> None:
    store = open_store(db_url)
    source = source_store.get_source(store, "eu")
    with store.session() as session:
        session.add(SourceEvent(source_id=source.id, kind="unhealthy",  # type: ignore[arg-type]
                                reason="HTTP 503", at=CAPTURE_TIME))  # fmt: skip
    store.dispose()


def _new_calls(db_url: str, search_2026: dict[str, Any], at: datetime) -> None:
    """The recorded calls again under new identifiers, first seen at ``at``."""
    from dataclasses import replace

    store = open_store(db_url)
    source = source_store.get_source(store, "eu")
    records = parse(FetchResult("eu", (Page("u", 1, search_2026),)), at.astimezone(UTC))
    clones = [replace(r, external_id=f"{r.external_id}-copy", identifier=f"{r.identifier}-copy",
                      title=f"{r.title} (copy 0)", url=f"{r.url}?copy=0")
              for r in records]  # fmt: skip
    upsert_calls(store, source.id, [*records, *clones], at)  # type: ignore[arg-type]
    store.dispose()


def test_web_copies_past_their_days_are_dropped_and_the_deliveries_stay(
    cli, portal, box: Mailbox, db_url, monkeypatch
) -> None:
    """A send drops the web copies of digests sent over WEB_COPY_DAYS ago: the delivery stays
    in the log with its calls, My digests lists it without a link, and its page is gone."""
    monkeypatch.setenv("FUNDING_MONITOR_WEB_COPY_DAYS", "30")
    cli("subscribers", "add", "researcher@ki.se")
    assert send(cli)[0] == 0
    app = app_of(db_url)
    [first] = ledger.deliveries(app.store())
    assert digests.web_copy(app, 1, first.id or 0)
    code, out, _ = send(cli, (CAPTURE_TIME + timedelta(days=29)).isoformat())
    assert code == 0 and "dropped" not in out  # still within its days
    assert digests.web_copy(app, 1, first.id or 0)
    code, out, _ = send(cli, (CAPTURE_TIME + timedelta(days=31)).isoformat())
    assert code == 0 and "dropped the web copies of 1 digests sent over 30 days ago" in out
    stored = {d.id: d for d in ledger.deliveries(app.store())}
    assert "web" not in stored[first.id].payload  # the copy only
    assert stored[first.id].status == "sent" and stored[first.id].items == first.items
    assert digests.web_copy(app, 1, first.id or 0) is None
    app.clock = lambda: CAPTURE_TIME + timedelta(days=31)
    [listed] = [d for d in digests.sent(app, 1) if d.id == first.id]
    assert not listed.kept
    newer = [d for d in digests.sent(app, 1) if d.id != first.id]
    assert all(d.kept and digests.web_copy(app, 1, d.id) for d in newer)
    code, out, _ = send(cli, (CAPTURE_TIME + timedelta(days=32)).isoformat())
    assert "dropped" not in out  # nothing left to drop
    app.close()
