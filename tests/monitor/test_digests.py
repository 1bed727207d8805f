"""Digests end to end through the command line, on SQLite and PostgreSQL: subscribers, the
digest through a real SMTP server (aiosmtpd) and a loopback Slack Web API, typed changes and
reminders, unsubscribe tokens, previews, curators' notices — and exactly once."""

from __future__ import annotations

import json
import logging
import re
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from typing import Any

from sqlmodel import select

from monitor.app import App
from monitor.store import ledger
from monitor.store import sources as source_store
from monitor.store.calls import upsert_calls
from monitor.store.db import open_store
from monitor.store.tables import Source, SourceEvent
from sources.eu_ft.parse import parse
from sources.records import FetchResult, Page
from tests.conftest import CAPTURE_TIME
from tests.httpserver import Reply, ScriptedServer, scripted_server
from tests.mailserver import Mailbox

AS_OF = CAPTURE_TIME.isoformat()


def posts(api: ScriptedServer) -> list[dict[str, Any]]:
    return [json.loads(r["body"]) for r in api.requests if r["path"] == "/api/chat.postMessage"]


def body(message: EmailMessage, kind: str = "plain") -> str:
    part = message.get_body((kind,))
    assert part is not None
    return str(part.get_content())  # type: ignore[attr-defined]


def send(cli, *args: str, as_of: str = AS_OF) -> tuple[int, str, str]:
    return cli("digest", "send", "--as-of", as_of, *args)


def test_subscribers_are_checked_listed_edited_and_removed(cli, portal) -> None:
    code, _, err = cli("subscribers", "add", "not-an-address", "--tag", "at-home")
    assert code == 2 and "is not an email address" in err
    code, _, err = cli("subscribers", "add", "r@ki.se", "--tag", "no-such-tag")
    assert code == 2 and "unknown tag no-such-tag" in err and "global-health-lmic" in err
    code, _, err = cli("subscribers", "add", "--slack-webhook", "http://hooks.slack.com/s/T/B/xyz")
    assert code == 2 and "https://" in err and "xyz" not in err
    code, _, err = cli("subscribers", "add", "r@ki.se", "--slack-channel", "C0123ABCD")
    assert code == 2 and "exactly one" in err
    code, _, err = cli("subscribers", "add", "r@ki.se", "--reminder-days", "28,x")
    assert code == 2 and "reminder-days" in err
    code, out, _ = cli(
        "subscribers",
        "add",
        "R@KI.SE",
        "--tag",
        "global-health-lmic",
        "--country",
        "Uganda",
        "--language",
        "sv",
        "--frequency",
        "daily",
    )
    assert code == 0 and "added subscriber 1: email R@ki.se" in out
    code, _, err = cli("subscribers", "add", "R@ki.se")
    assert code == 2 and "already a subscriber" in err
    assert cli("subscribers", "add", "--slack-webhook", "https://hooks.slack.com/s/T/B/xyz")[0] == 0
    code, out, _ = cli("subscribers", "list", "--json")
    rows = json.loads(out)
    assert [r["language"] for r in rows] == ["sv", "en"] and "xyz" not in out
    assert rows[0]["filters"] == {"tags": ["global-health-lmic"], "places": ["Uganda"]}
    code, out, _ = cli("subscribers", "edit", "1", "--tag", "at-home", "--clear", "places",
                       "--min-days", "14", "--pause")  # fmt: skip
    assert code == 0 and "tags=at-home" in out and "min_days=14" in out and "PAUSED" in out
    assert cli("subscribers", "remove", "R@ki.se")[0] == 0
    assert "R@ki.se" not in cli("subscribers", "list")[1]


def test_digest_goes_out_once_by_email_and_slack(cli, portal, box: Mailbox, api) -> None:
    cli("subscribers", "add", "researcher@ki.se", "--tag", "global-health-lmic", "--language", "sv")
    cli("subscribers", "add", "--slack-channel", "C0123ABCD", "--tag", "erasmus-education")
    cli("subscribers", "add", "nobody@ki.se", "--keyword", "no such words anywhere")
    code, out, _ = send(cli)
    assert code == 0 and "sent 2 deliveries" in out
    [message] = box.messages
    assert message["To"] == "researcher@ki.se" and message["Subject"].startswith("Utlysningar: ")
    text = body(message)
    edctp = [i for i in portal if "EDCTP3" in i]
    assert edctp and all(i in text for i in edctp if i in text) and edctp[0] in text
    assert "ERASMUS" not in text and re.search(r"== \d+ nya? utlysninga?r? ==", text)
    assert "Global hälsa" in text  # the section's Swedish label
    assert message["List-Unsubscribe"].startswith("<https://monitor.ki.se/unsubscribe?token=")
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert any(p.get_content_type() == "text/calendar" for p in message.walk())
    [post] = posts(api)
    assert post["channel"] == "C0123ABCD" and "ERASMUS" in json.dumps(post["blocks"])
    # The same period again, and again with --now: nothing new, so nothing is sent.
    assert send(cli)[1].startswith("sent 0 deliveries")
    assert send(cli, "--now")[1].startswith("sent 0 deliveries")
    assert len(box.messages) == 1 and len(posts(api)) == 1


def test_typed_changes_and_reminders_in_the_next_digest(cli, portal, box, db_url, search_2026):
    cli("subscribers", "add", "researcher@ki.se", "--tag", "global-health-lmic")
    assert send(cli)[0] == 0
    # Three days later the portal moves one EDCTP3 deadline and raises a budget.
    store = open_store(db_url)
    later = CAPTURE_TIME + timedelta(days=3)
    records = parse(FetchResult("eu", (Page("u", 1, search_2026),)), later)
    edctp = next(r for r in records if "EDCTP3" in r.identifier)
    moved = [r if r is not edctp else _moved(r) for r in records]
    with store.session() as session:
        source = session.exec(select(Source)).one()
    upsert_calls(store, source.id, moved, later)  # type: ignore[arg-type]
    next_week = (CAPTURE_TIME + timedelta(days=7)).isoformat()
    assert send(cli, as_of=next_week)[0] == 0
    second = box.messages[-1]
    text = body(second)
    assert "== 1 call that changed ==" in text
    assert "Deadline moved:" in text and "Budget changed:" in text
    assert " new call" not in text  # nothing is announced as new twice
    assert text.count("Deadline moved:") == 1 and text.count("Budget changed:") == 1
    # Weeks later the deadlines come within 28 days: a reminder, once.
    remind_at = _moved(edctp).deadlines[-1].at - timedelta(days=20)
    assert send(cli, as_of=remind_at.isoformat())[0] == 0
    reminder = body(box.messages[-1])
    assert "== 1 deadline coming up ==" in reminder and "(closes in 20 days)" in reminder
    count = len(box.messages)
    assert send(cli, "--now", as_of=(remind_at + timedelta(days=1)).isoformat())[0] == 0
    assert len(box.messages) == count
    store.dispose()


def _moved(record: Any) -> Any:
    from dataclasses import replace

    deadline = record.deadlines[-1]
    later = replace(deadline, at=deadline.at + timedelta(days=14))
    return replace(record, deadlines=(*record.deadlines[:-1], later),
                   budget=(record.budget or 0) + 1_000_000)  # fmt: skip


def test_smtp_outage_mid_run_sends_the_rest_next_time_never_twice(cli, portal, box) -> None:
    for n in range(5):
        cli("subscribers", "add", f"r{n}@ki.se", "--tag", "global-actor")
    box.fail_from = 2
    code, out, _ = send(cli)
    assert code == 1 and "451" in out and "sent 2 deliveries" in out and "3 left" in out
    box.fail_from = None
    code, out, _ = send(cli)
    assert code == 0 and "sent 3 deliveries" in out
    recipients = sorted(m["To"] for m in box.messages)
    assert recipients == [f"r{n}@ki.se" for n in range(5)]
    assert len({m["Message-ID"] for m in box.messages}) == 5
    assert send(cli, "--now")[1].startswith("sent 0")


def _many_calls(db_url: str, search_2026: dict[str, Any], copies: int) -> None:
    """More calls than one Slack message holds: the recorded ones under other identifiers."""
    from dataclasses import replace

    store = open_store(db_url)  # in the same source: calls of one source are never merged
    source = source_store.get_source(store, "eu")
    records = parse(FetchResult("eu", (Page("u", 1, search_2026),)), CAPTURE_TIME)
    clones = [replace(r, external_id=f"{r.external_id}-{n}", identifier=f"{r.identifier}-{n}",
                      title=f"{r.title} ({n})", url=f"{r.url}?copy={n}")
              for n in range(copies) for r in records]  # fmt: skip
    upsert_calls(store, source.id, [*records, *clones], CAPTURE_TIME)  # type: ignore[arg-type]
    store.dispose()


def test_slack_outage_between_parts_posts_only_the_rest(cli, portal, api, db_url, search_2026):
    _many_calls(db_url, search_2026, copies=12)
    cli("subscribers", "add", "--slack-channel", "C0123ABCD")  # everything: several messages
    api.add("POST", "/api/chat.postMessage", Reply(200, b'{"ok": true, "ts": "1.0"}'),
            Reply(200, b'{"ok": false, "error": "service_unavailable"}'))  # fmt: skip
    code, out, _ = send(cli)
    assert code == 1 and "service_unavailable" in out
    [first] = posts(api)[:1]
    assert len(posts(api)) == 2  # the first posted, the second refused
    api.add("POST", "/api/chat.postMessage", Reply(200, b'{"ok": true, "ts": "2.0"}'))
    assert send(cli)[0] == 0
    bodies = posts(api)
    delivered = [bodies[0], *bodies[2:]]
    assert len(delivered) >= 2 and bodies.count(first) == 1
    assert "continued (2/" in delivered[1]["text"]
    store = open_store(db_url)
    [delivery] = ledger.deliveries(store)
    assert delivery.status == "sent" and delivery.parts_sent == len(delivered)
    store.dispose()


def test_refused_recipient_fails_alone_and_its_calls_are_released(cli, portal, box, db_url):
    cli("subscribers", "add", "gone@ki.se", "--tag", "global-actor")
    cli("subscribers", "add", "here@ki.se", "--tag", "global-actor")
    box.refuse.add("gone@ki.se")
    code, out, _ = send(cli)
    assert code == 1 and "1 refused" in out and [m["To"] for m in box.messages] == ["here@ki.se"]
    code, out, _ = cli("subscribers", "show", "gone@ki.se")
    assert "failed" in out and "550" in out
    store = open_store(db_url)
    assert ledger.announced(store, list(portal.values())).get(1) is None
    store.dispose()


def test_unsubscribe_honours_the_signed_token(cli, portal, box) -> None:
    cli("subscribers", "add", "researcher@ki.se", "--tag", "global-actor")
    send(cli)
    link = box.messages[0]["List-Unsubscribe"].strip("<>")
    token = link.rpartition("token=")[2]
    code, _, err = cli("unsubscribe", token[:-2] + ("AA" if not token.endswith("AA") else "BB"))
    assert code == 2 and "not valid" in err
    code, out, _ = cli("unsubscribe", link)
    assert code == 0 and "unsubscribed subscriber 1" in out
    assert "UNSUBSCRIBED" in cli("subscribers", "list")[1]
    assert cli("unsubscribe", token)[1].startswith("subscriber 1 was already unsubscribed")
    next_week = (CAPTURE_TIME + timedelta(days=7)).isoformat()
    assert send(cli, "--now", as_of=next_week)[1].startswith("sent 0") and len(box.messages) == 1


def test_preview_writes_each_format_and_promises_nothing(cli, portal, db_url, tmp_path) -> None:
    cli("subscribers", "add", "researcher@ki.se", "--tag", "global-health-lmic")
    for fmt in ("html", "text", "slack", "eml"):
        out_file = tmp_path / f"digest.{fmt}"
        code, out, _ = cli("digest", "preview", "1", "--format", fmt, "--out", str(out_file),
                           "--as-of", AS_OF)  # fmt: skip
        assert code == 0 and out_file.exists()
    assert "<!DOCTYPE html>" in (tmp_path / "digest.html").read_text()
    assert json.loads((tmp_path / "digest.slack").read_text())[0]["blocks"]
    assert "List-Unsubscribe" not in (tmp_path / "digest.eml").read_text()  # no key set here
    code, out, _ = cli("digest", "send", "--dry-run", "--as-of", AS_OF)
    assert code == 0 and "1 digests due (1 with calls)" in out
    store = open_store(db_url)
    assert ledger.deliveries(store) == []
    store.dispose()
    code, out, _ = cli("digest", "preview", "1", "--as-of", "2030-01-01")
    assert code == 0 and "nothing due" in out


def test_curators_hear_when_a_source_turns_unhealthy_stays_so_and_recovers(
    cli, portal, box, db_url
) -> None:
    cli("subscribers", "add", "curator@ki.se", "--curator")
    store = open_store(db_url)
    with store.session() as session:
        source = session.exec(select(Source)).one()
        session.add(SourceEvent(source_id=source.id, kind="unhealthy",  # type: ignore[arg-type]
                                reason="2 failed runs in a row; last error: HTTP 503",
                                at=CAPTURE_TIME))  # fmt: skip
        session.commit()
    assert send(cli)[0] == 0
    assert send(cli)[0] == 0  # the same day: once
    next_day = (CAPTURE_TIME + timedelta(days=1)).isoformat()
    assert send(cli, as_of=next_day)[0] == 0
    with store.session() as session:
        session.add(SourceEvent(source_id=source.id, kind="healthy", reason="",  # type: ignore[arg-type]
                                at=CAPTURE_TIME + timedelta(days=1, hours=2)))  # fmt: skip
        session.commit()
    assert send(cli, as_of=(CAPTURE_TIME + timedelta(days=2)).isoformat())[0] == 0
    subjects = [m["Subject"] for m in box.to("curator@ki.se")]
    assert subjects == ["Source eu: has turned unhealthy", "Source eu: is still unhealthy",
                        "Source eu: is healthy again"]  # fmt: skip
    assert "HTTP 503" in body(box.messages[0])
    store.dispose()


def test_retiring_a_followed_tag_names_its_subscribers(cli, portal) -> None:
    cli("subscribers", "add", "researcher@ki.se", "--tag", "at-home")
    code, _, err = cli("tags", "retire", "at-home")
    assert code == 1 and "1 subscribers follow it" in err and "researcher@ki.se" in err


def test_every_message_has_a_stable_message_id_from_the_ledger(cli, portal, box, db_url):
    cli("subscribers", "add", "researcher@ki.se", "--tag", "global-actor")
    send(cli)
    store = open_store(db_url)
    [delivery] = ledger.deliveries(store)
    assert delivery.message_id == box.messages[0]["Message-ID"]
    assert delivery.message_id == f"<fm.digest.{delivery.id}.2026-W26@ki.se>"
    assert delivery.sent_at == datetime.fromisoformat(AS_OF).astimezone(UTC)
    store.dispose()


def test_a_webhook_subscriber_gets_the_digest_and_its_secret_stays_hidden(cli, portal, caplog):
    caplog.set_level(logging.DEBUG)
    with scripted_server() as hook:
        hook.add("POST", "/services/T0/B0/s3cr3t", Reply(200, b"ok", {}))
        url = hook.url + "/services/T0/B0/s3cr3t"
        code, out, _ = cli("subscribers", "add", "--slack-webhook", url, "--tag", "global-actor")
        assert code == 0 and "s3cr3t" not in out
        code, out, err = cli("-v", "digest", "send", "--as-of", AS_OF)
        assert code == 0 and "sent 1 deliveries" in out and "s3cr3t" not in out + err
        assert "delivery sent" in caplog.text and "s3cr3t" not in caplog.text  # even at DEBUG
        [request] = hook.requests
        assert json.loads(request["body"])["blocks"][0]["type"] == "header"
        assert "s3cr3t" not in cli("subscribers", "list")[1]


def test_two_connections_share_a_run_and_each_digest_goes_once(cli, portal, box, monkeypatch):
    monkeypatch.setenv("FUNDING_MONITOR_SEND_CONNECTIONS", "2")
    for n in range(8):
        cli("subscribers", "add", f"r{n}@ki.se", "--tag", "global-actor")
    code, out, _ = send(cli)
    assert code == 0 and "sent 8 deliveries" in out
    assert sorted(m["To"] for m in box.messages) == [f"r{n}@ki.se" for n in range(8)]
    assert box.connections == 2


def test_the_unsubscribe_page_takes_one_click_posts_and_ignores_gets(cli, portal, box, db_url):
    import httpx

    from monitor.config import load_settings
    from monitor.web.unsubscribe import running

    cli("subscribers", "add", "researcher@ki.se", "--tag", "global-actor")
    send(cli)
    link = box.messages[0]["List-Unsubscribe"].strip("<>")
    token = link.rpartition("token=")[2]
    store = open_store(db_url)
    with running(App(load_settings(database_url=db_url))) as server:
        base = f"{server}/unsubscribe"
        page = httpx.get(base, params={"token": token})
        assert page.status_code == 200 and '<form method="post"' in page.text
        assert "UNSUBSCRIBED" not in cli("subscribers", "list")[1]  # a GET changes nothing
        bad = httpx.post(base, params={"token": token[:-3] + "xyz"},
                         content=b"List-Unsubscribe=One-Click")  # fmt: skip
        assert bad.status_code == 400 and "not valid" in bad.text
        form = {"Content-Type": "application/x-www-form-urlencoded"}
        done = httpx.post(base, params={"token": token}, content=b"List-Unsubscribe=One-Click",
                          headers=form)  # fmt: skip
        assert done.status_code == 200 and "unsubscribed" in done.text
    assert "UNSUBSCRIBED" in cli("subscribers", "list")[1]
    store.dispose()
