"""Teams subscribers end to end, through `funding-monitor digest send` on SQLite and
PostgreSQL, with a loopback server posing as the Teams Workflows webhooks: the digest arrives
as an Adaptive Card, a refused workflow URL fails that delivery alone, a busy one waits for the
next run, a long digest goes out in parts each under the limit (a part once sent is not sent
again), and no part of a workflow URL's signature is shown anywhere."""

from __future__ import annotations

import json
import logging
import re
from typing import Any

import pytest

from monitor.store import ledger
from monitor.store import subscribers as subscriber_store
from monitor.store.db import open_store
from notifications import teams
from notifications.registry import destination
from tests.conftest import CAPTURE_TIME
from tests.httpserver import Reply, ScriptedServer, scripted_server
from tests.mailserver import Mailbox

AS_OF = CAPTURE_TIME.isoformat()
SIGS = {"a": "AaSig0123456789abcdefGHIJKLmnopqrstuvwxyz01",
        "b": "BbSig0123456789abcdefGHIJKLmnopqrstuvwxyz02"}  # fmt: skip


def path(name: str) -> str:
    return f"/workflows/{name}0f1e2d3c4b5a/triggers/manual/paths/invoke"


def workflow_url(server: ScriptedServer, name: str) -> str:
    return f"{server.url}{path(name)}?api-version=2016-06-01&sv=1.0&sig={SIGS[name]}"


def add_teams(db_url: str, url: str, *tags: str) -> int:
    """A Teams subscriber, its URL checked by the channel as `subscribers add` checks it."""
    store = open_store(db_url)
    try:
        address = destination("teams-webhook").check(url)
        row = subscriber_store.add_subscriber(store, "teams-webhook", address,
                                              filters={"tags": list(tags)})  # fmt: skip
    finally:
        store.dispose()
    assert row.id is not None
    return row.id


def send(cli: Any) -> tuple[int, str, str]:
    return cli("-v", "digest", "send", "--as-of", AS_OF)  # type: ignore[no-any-return]


def cards(server: ScriptedServer, name: str) -> list[dict[str, Any]]:
    found = []
    for request in server.requests:
        if request["path"].startswith(path(name)):
            payload = json.loads(request["body"])
            assert payload["type"] == "message"
            [attachment] = payload["attachments"]
            assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
            found.append(attachment["content"])
    return found


def links(card: dict[str, Any]) -> list[str]:
    """The markdown links of a card's call titles (each call is a Container)."""
    calls = [block for block in card["body"] if block["type"] == "Container"]
    return [b["text"] for c in calls for b in c["items"]
            if b["type"] == "TextBlock" and b["text"].startswith("[")]  # fmt: skip


def leaks(*texts: str) -> list[str]:
    """The parts of a signature (or a workflow's path) found in ``texts``."""
    parts = [*SIGS.values(), *(s[:10] for s in SIGS.values()), "sig=", "0f1e2d3c4b5a"]
    return [p for p in parts for t in texts if p in t]


@pytest.fixture
def workflows() -> Any:
    with scripted_server() as server:
        yield server


def test_a_teams_subscriber_gets_the_digest_as_an_adaptive_card(
    cli, portal, workflows: ScriptedServer, db_url, caplog, monkeypatch
) -> None:
    caplog.set_level(logging.DEBUG)
    monkeypatch.setenv("FUNDING_MONITOR_PUBLIC_URL", "https://monitor.ki.se")
    monkeypatch.setenv("FUNDING_MONITOR_SECRET_KEY", "test-secret-key-1234")
    workflows.add("POST", path("a"), Reply(202, b""))
    subscriber = add_teams(db_url, workflow_url(workflows, "a"), "global-health-lmic")
    code, out, err = send(cli)
    assert code == 0 and "sent 1 deliveries" in out
    [card] = cards(workflows, "a")
    assert card["type"] == "AdaptiveCard" and card["version"] == "1.4"
    text = json.dumps(card, ensure_ascii=False)
    edctp = [i for i in portal if "EDCTP3" in i]
    assert edctp and "ERASMUS" not in text
    assert all(any(i in link for link in links(card)) for i in edctp)  # each call, as a link
    assert re.search(r"\d+ new calls?", text) and "(closes in " in text
    store = open_store(db_url)
    [delivery] = ledger.deliveries(store)
    store.dispose()
    assert delivery.status == "sent" and delivery.subscriber_id == subscriber
    view, unsubscribe = card["actions"]
    assert view["title"] == "View in browser"
    assert view["url"].startswith(f"https://monitor.ki.se/digests/{delivery.id}?token=")
    assert unsubscribe["url"].startswith("https://monitor.ki.se/unsubscribe?token=")
    code, listed, _ = cli("subscribers", "list")
    code, shown, _ = cli("subscribers", "show", str(subscriber))
    assert "teams-webhook http://127.0.0.1/…" in listed
    assert leaks(out, err, caplog.text, listed, shown) == []  # even at DEBUG
    # Sent once: the next run sends nothing.
    code, out, _ = send(cli)
    assert code == 0 and out.startswith("sent 0 deliveries") and len(cards(workflows, "a")) == 1


def test_a_removed_workflow_fails_alone_and_its_error_shows_no_signature(
    cli, portal, workflows: ScriptedServer, box: Mailbox, db_url, caplog
) -> None:
    caplog.set_level(logging.DEBUG)
    workflows.add("POST", path("a"), Reply(404, b'{"error":{"code":"WorkflowNotFound"}}'))
    workflows.add("POST", path("b"), Reply(202, b""))
    gone = add_teams(db_url, workflow_url(workflows, "a"), "global-actor")
    fine = add_teams(db_url, workflow_url(workflows, "b"), "global-actor")
    cli("subscribers", "add", "researcher@ki.se", "--tag", "global-actor")
    code, out, err = send(cli)
    assert code == 1 and "sent 2 deliveries" in out and "1 refused" in out
    assert f"subscriber {gone} (teams-webhook http://127.0.0.1/…)" in out
    assert "HTTP 404" in out and "WorkflowNotFound" in out and "--teams-webhook" in out
    assert len(cards(workflows, "b")) == 1 and [m["To"] for m in box.messages] == [
        "researcher@ki.se"
    ]
    store = open_store(db_url)
    status = {d.subscriber_id: d for d in ledger.deliveries(store)}
    assert status[gone].status == "failed" and status[fine].status == "sent"
    assert status[gone].error and "HTTP 404" in status[gone].error
    code, shown, _ = cli("subscribers", "show", str(gone))
    assert leaks(out, err, caplog.text, shown, status[gone].error) == []
    store.dispose()


def test_a_bad_request_is_the_recipients_fault_too(cli, portal, workflows, db_url) -> None:
    echo = b'{"error":{"code":"InvalidRequestContent","message":"sig=AaSig0123456789abcdef"}}'
    workflows.add("POST", path("a"), Reply(400, echo))
    gone = add_teams(db_url, workflow_url(workflows, "a"), "global-actor")
    code, out, err = send(cli)
    assert code == 1 and "1 refused" in out and "HTTP 400" in out
    store = open_store(db_url)
    [delivery] = ledger.deliveries(store)
    assert delivery.subscriber_id == gone and delivery.status == "failed"
    assert leaks(out, err, delivery.error or "") == []
    store.dispose()


@pytest.mark.parametrize("busy", [Reply(503, b"<html>busy</html>"), Reply(429, b"")])
def test_a_busy_workflow_defers_to_the_next_run(
    cli, portal, workflows: ScriptedServer, db_url, busy: Reply
) -> None:
    workflows.add("POST", path("a"), busy, Reply(202, b""))
    subscriber = add_teams(db_url, workflow_url(workflows, "a"), "global-actor")
    code, out, err = send(cli)
    assert code == 1 and "1 left for the next run" in out and f"HTTP {busy.status}" in out
    store = open_store(db_url)
    [delivery] = ledger.deliveries(store)
    assert delivery.status == "pending" and delivery.attempts == 0  # not the delivery's fault
    assert leaks(out, err, delivery.error or "") == []
    code, out, _ = send(cli)
    assert code == 0 and "sent 1 deliveries" in out
    [delivery] = ledger.deliveries(store)
    assert delivery.status == "sent" and delivery.subscriber_id == subscriber
    assert len(cards(workflows, "a")) == 2  # the refused one, then the one accepted
    store.dispose()


def test_a_long_digest_goes_in_parts_under_the_limit_each_sent_once(
    cli, portal, workflows: ScriptedServer, db_url, monkeypatch
) -> None:
    monkeypatch.setattr(teams, "MAX_BYTES", 6_000)
    # the second card is refused once (busy): the next run sends the rest, not the first again
    workflows.add("POST", path("a"), Reply(202, b""), Reply(503, b""), Reply(202, b""))
    add_teams(db_url, workflow_url(workflows, "a"), "global-actor")
    code, out, _ = send(cli)
    assert code == 1 and "1 left for the next run" in out
    store = open_store(db_url)
    [delivery] = ledger.deliveries(store)
    assert delivery.status == "pending" and delivery.parts_sent == 1
    code, out, _ = send(cli)
    assert code == 0 and "sent 1 deliveries" in out
    [delivery] = ledger.deliveries(store)
    sizes = [len(r["body"]) for r in workflows.requests]
    bodies = [json.dumps(c) for c in cards(workflows, "a")]
    assert delivery.status == "sent" and delivery.parts_sent == len(bodies) - 1 >= 2
    assert all(size <= 6_000 for size in sizes)
    assert bodies[1] == bodies[2]  # the refused part, sent again; the first was not
    headings = [c["body"][0]["text"] for c in cards(workflows, "a")]
    assert (
        headings[0].endswith(f"(1/{delivery.parts_sent})")
        and len(set(headings)) == len(headings) - 1
    )
    store.dispose()
