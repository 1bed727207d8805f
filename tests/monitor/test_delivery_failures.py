"""One broken delivery fails alone, through the command line on SQLite and PostgreSQL: a digest
that cannot be built or rendered is recorded with a clear error, retried up to
FUNDING_MONITOR_DELIVERY_MAX_ATTEMPTS times, then given up on and reported; every other
subscriber's digest goes out. A Slack token the API refuses is a fault of the transport (the
deliveries wait, their calls are kept), and no token the API echoes back is ever shown."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest
from sqlalchemy import update
from sqlmodel import col

from monitor.store import ledger
from monitor.store.db import open_store
from monitor.store.tables import Call, Subscriber
from tests.conftest import CAPTURE_TIME
from tests.httpserver import Reply, scripted_server
from tests.mailserver import Mailbox
from tests.monitor.conftest import TOKEN

AS_OF = CAPTURE_TIME.isoformat()
POST = "/api/chat.postMessage"


def send(cli: Any) -> tuple[int, str, str]:
    return cli("digest", "send", "--as-of", AS_OF)  # type: ignore[no-any-return]


def poison(db_url: str, portal: dict[str, int], how: str) -> None:
    """A value that no renderer can show, written straight into the store (as an old version,
    a hand edit or a bug elsewhere might have left it)."""
    store = open_store(db_url)
    with store.session() as session:
        if how == "language":  # breaks building subscriber 1's digest
            session.execute(update(Subscriber).where(col(Subscriber.id) == 1)
                            .values(language="xx"))  # fmt: skip
        else:  # a deadline in year 9999: its local time overflows when the digest is rendered
            edctp = [cid for identifier, cid in portal.items() if "EDCTP3" in identifier]
            at = [{"at": "9999-12-31T23:30:00+00:00", "date_only": False}]
            session.execute(update(Call).where(col(Call.id).in_(edctp)).values(deadlines=at))
        session.commit()
    store.dispose()


@pytest.mark.parametrize("how", ["language", "deadline"])
def test_a_digest_that_cannot_be_made_fails_alone_and_is_given_up_after_the_cap(
    cli, portal, box: Mailbox, db_url, monkeypatch, caplog, how: str
) -> None:
    monkeypatch.setenv("FUNDING_MONITOR_DELIVERY_MAX_ATTEMPTS", "2")
    caplog.set_level(logging.INFO)
    cli("subscribers", "add", "broken@ki.se", "--tag", "global-health-lmic")
    cli("subscribers", "add", "fine@ki.se", "--tag", "erasmus-education")
    poison(db_url, portal, how)
    code, out, err = send(cli)
    assert code == 1 and "Traceback" not in out + err
    assert [m["To"] for m in box.messages] == ["fine@ki.se"]
    assert "subscriber 1 (email broken@ki.se)" in out and "delivery 1" in out
    assert "attempt 1 of 2" in out and "1 left for the next run" in out
    crashed = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert crashed and crashed[0].exc_info is not None  # a bug: logged with its traceback
    store = open_store(db_url)
    [broken] = [d for d in ledger.deliveries(store) if d.subscriber_id == 1]
    assert broken.status == "pending" and broken.attempts == 1
    assert broken.error and "broken@ki.se" in broken.error and "bug" in broken.error
    # The second run tries once more and gives up: reported, and its calls are released.
    caplog.clear()
    code, out, err = send(cli)
    assert code == 1 and "Traceback" not in out + err
    assert "given up after 2 attempts" in out and "1 given up" in out
    assert any(r.levelno == logging.ERROR and "delivery given up" in r.getMessage()
               for r in caplog.records)  # fmt: skip
    [broken] = [d for d in ledger.deliveries(store) if d.subscriber_id == 1]
    assert broken.status == "failed" and broken.attempts == 2
    assert ledger.announced(store, list(portal.values())).get(1) is None
    code, out, _ = cli("subscribers", "show", "1")
    assert code == 0 and "failed" in out and "given up after 2 attempts" in out
    # The third run leaves it alone.
    code, out, _ = send(cli)
    assert code == 0 and out.startswith("sent 0 deliveries")
    assert [m["To"] for m in box.messages] == ["fine@ki.se"]
    store.dispose()


def test_an_infinite_budget_is_shown_as_unknown_and_the_digest_goes_out(
    cli, portal, box: Mailbox, db_url
) -> None:
    cli("subscribers", "add", "researcher@ki.se", "--tag", "global-health-lmic")
    store = open_store(db_url)
    edctp = [cid for identifier, cid in portal.items() if "EDCTP3" in identifier]
    with store.session() as session:
        session.execute(update(Call).where(col(Call.id).in_(edctp)).values(budget=float("inf")))
        session.commit()
    store.dispose()
    code, out, _ = send(cli)
    assert code == 0 and "sent 1 deliveries" in out
    [message] = box.messages
    text = message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert "Budget: not given" in text and "Infinity" not in text and "inf " not in text


ECHOES = [
    {"ok": False, "error": "invalid_auth", "echo": f"Bearer {TOKEN}"},
    {"ok": False, "error": "token_revoked", "warning": f"Authorization: Bearer {TOKEN}"},
    {"ok": False, "error": "not_authed"},
    {"ok": False, "error": "account_inactive"},
    {"ok": False, "error": "missing_scope", "needed": "chat:write", "provided": TOKEN},
    {"ok": False, "error": f"invalid_auth Bearer {TOKEN}"},  # even inside the error code
    {"ok": False, "detail": f"Bearer {TOKEN} is not valid"},  # no error code at all
]


@pytest.mark.parametrize("answer", ECHOES, ids=lambda a: str(a.get("error", "no-code"))[:14])
def test_a_refused_slack_token_defers_every_slack_delivery_and_is_never_shown(
    cli, portal, box: Mailbox, api, db_url, caplog, answer: dict[str, Any]
) -> None:
    caplog.set_level(logging.DEBUG)
    cli("subscribers", "add", "--slack-channel", "C0123ABCD", "--tag", "global-actor")
    cli("subscribers", "add", "--slack-channel", "C0456EFGH", "--tag", "global-actor")
    cli("subscribers", "add", "researcher@ki.se", "--tag", "global-actor")
    api.add("POST", POST, Reply(200, json.dumps(answer).encode()))
    code, out, err = send(cli)
    seen = [out, err, caplog.text]
    assert code == 1 and "1 deliveries" in out and "2 left for the next run" in out
    assert "0 refused" in out and [m["To"] for m in box.messages] == ["researcher@ki.se"]
    readable = answer.get("error") in ("invalid_auth", "token_revoked", "not_authed",
                                       "account_inactive", "missing_scope")  # fmt: skip
    assert "FUNDING_MONITOR_SLACK_TOKEN" in out if readable else "without an error code" in out
    store = open_store(db_url)
    waiting = [d for d in ledger.deliveries(store) if d.subscriber_id in (1, 2)]
    assert [d.status for d in waiting] == ["pending", "pending"]
    assert all(d.attempts == 0 for d in waiting)  # the transport's fault, not the delivery's
    seen += [d.error or "" for d in waiting]
    announced = ledger.announced(store, list(portal.values()))
    assert announced.get(1) and announced.get(2)  # their calls are still promised to them
    for subscriber in ("1", "2"):
        code, shown, _ = cli("subscribers", "show", subscriber)
        assert code == 0 and "pending" in shown
        seen.append(shown)
    # The token is put right: the next run sends both, once.
    api.add("POST", POST, Reply(200, b'{"ok": true, "ts": "1.0"}'))
    code, out, err = send(cli)
    seen += [out, err, caplog.text]
    assert code == 0 and "sent 2 deliveries" in out
    channels = [json.loads(r["body"])["channel"] for r in api.requests if r["path"] == POST]
    assert channels[-2:] == ["C0123ABCD", "C0456EFGH"] and len(box.messages) == 1
    for text in seen:
        assert TOKEN not in text and "loopback-token" not in text
    store.dispose()


def test_a_webhook_error_that_echoes_its_secret_path_shows_it_nowhere(cli, portal, db_url):
    with scripted_server() as hook:
        path = "/services/T0/B0/s3cr3tpath"
        hook.add("POST", path, Reply(400, f"invalid_payload at {path}".encode(), {}))
        cli("subscribers", "add", "--slack-webhook", hook.url + path, "--tag", "global-actor")
        code, out, err = send(cli)
        assert code == 1 and "400" in out
        code, shown, _ = cli("subscribers", "show", "1")
    store = open_store(db_url)
    [delivery] = ledger.deliveries(store)
    store.dispose()
    for text in (out, err, shown, delivery.error or ""):
        assert "s3cr3tpath" not in text


def test_a_notice_that_cannot_be_made_fails_alone(cli, portal, box: Mailbox, db_url) -> None:
    cli("subscribers", "add", "curator@ki.se", "--curator")
    cli("subscribers", "add", "researcher@ki.se", "--tag", "global-actor")
    store = open_store(db_url)  # a notice whose stored content lacks its source and state
    ledger.plan(store, [ledger.Planned(1, "notice", "eu:unhealthy:2026-06-27", CAPTURE_TIME,
                                       payload={"reason": "?"})])  # fmt: skip
    code, out, err = send(cli)
    assert code == 1 and "Traceback" not in out + err
    assert "delivery 1 (notice eu:unhealthy:2026-06-27) to subscriber 1" in out
    assert [m["To"] for m in box.messages] == ["researcher@ki.se"]
    [notice] = [d for d in ledger.deliveries(store) if d.kind == "notice"]
    assert (
        notice.status == "pending" and notice.attempts == 1 and "KeyError" in (notice.error or "")
    )
    store.dispose()


def test_a_message_slack_refuses_as_malformed_fails_alone(cli, portal, api, db_url) -> None:
    def answer(method: str, path: str, headers: dict[str, str], body: bytes) -> Reply:
        if json.loads(body)["channel"] == "C0123ABCD":
            return Reply(200, b'{"ok": false, "error": "invalid_blocks"}')
        return Reply(200, b'{"ok": true, "ts": "1.0"}')

    api.add_function("POST", POST, answer)
    cli("subscribers", "add", "--slack-channel", "C0123ABCD", "--tag", "global-actor")
    cli("subscribers", "add", "--slack-channel", "C0456EFGH", "--tag", "global-actor")
    code, out, _ = send(cli)
    assert code == 1 and "sent 1 deliveries" in out and "invalid_blocks" in out
    assert "attempt 1 of 5" in out  # the default cap
    store = open_store(db_url)
    statuses = {d.subscriber_id: (d.status, d.attempts) for d in ledger.deliveries(store)}
    assert statuses == {1: ("pending", 1), 2: ("sent", 0)}
    store.dispose()


@pytest.mark.parametrize(
    "values",
    [
        {"reminder_days": [100_000_000_000_000_000_000]},  # as an old database may hold them
        {"filters": {"tags": ["global-health-lmic"], "min_days_left": 10**20}},
    ],
)
def test_one_subscription_that_cannot_be_planned_stops_nobody_elses_digest(
    cli, portal, box: Mailbox, db_url, caplog, values: dict[str, Any]
) -> None:
    cli("subscribers", "add", "broken@ki.se", "--tag", "global-health-lmic")
    cli("subscribers", "add", "fine@ki.se", "--tag", "erasmus-education")
    store = open_store(db_url)
    with store.session() as session:
        session.execute(update(Subscriber).where(col(Subscriber.id) == 1).values(**values))
        session.commit()
    code, out, err = send(cli)
    assert code == 1 and "Traceback" not in out + err
    assert [m["To"] for m in box.messages] == ["fine@ki.se"]
    assert "subscriber 1 (email): digest not planned" in out
    assert ledger.deliveries(
        store,
    ) and all(d.subscriber_id == 2 for d in ledger.deliveries(store))
    code, out, err = cli("digest", "preview", "1", "--as-of", AS_OF)
    assert code == 2 and "digest not planned" in err and "subscribers edit" in err
    store.dispose()


def test_a_mailbox_refused_for_now_waits_alone_and_goes_out_once_it_takes_mail(
    cli, portal, box: Mailbox, db_url, monkeypatch
) -> None:
    monkeypatch.setenv("FUNDING_MONITOR_DELIVERY_MAX_ATTEMPTS", "3")
    cli("subscribers", "add", "full@ki.se", "--tag", "global-health-lmic")
    cli("subscribers", "add", "fine@ki.se", "--tag", "global-health-lmic")
    box.defer.add("full@ki.se")  # the server answers 450 for this address
    code, out, err = send(cli)
    assert code == 1 and "Traceback" not in out + err
    assert [m["To"] for m in box.messages] == ["fine@ki.se"]  # the others are not held up
    assert "full@ki.se" in out and "450" in out and "attempt 1 of 3" in out
    store = open_store(db_url)
    [full] = [d for d in ledger.deliveries(store) if d.subscriber_id == 1]
    assert full.status == "pending" and full.attempts == 1 and "450" in (full.error or "")
    box.defer.clear()  # the mailbox takes mail again: the next run sends it, once
    code, out, _ = send(cli)
    assert code == 0 and [m["To"] for m in box.messages] == ["fine@ki.se", "full@ki.se"]
    [full] = [d for d in ledger.deliveries(store) if d.subscriber_id == 1]
    assert full.status == "sent"
    store.dispose()


def test_a_server_that_defers_every_recipient_is_down_for_the_rest_of_the_run(
    cli, portal, box: Mailbox, db_url, monkeypatch
) -> None:
    from monitor.digests.sending import SERVER_DEFERS

    monkeypatch.setenv("FUNDING_MONITOR_SEND_CONNECTIONS", "1")  # in the order of the ledger
    cli("subscribers", "add", "fine@ki.se", "--tag", "global-health-lmic")
    for n in range(SERVER_DEFERS + 2):
        cli("subscribers", "add", f"r{n}@ki.se", "--tag", "global-health-lmic")
        box.defer.add(f"r{n}@ki.se")
    code, out, err = send(cli)
    assert code == 1 and "Traceback" not in out + err
    assert [m["To"] for m in box.messages] == ["fine@ki.se"]
    store = open_store(db_url)
    tried = sorted(d.attempts for d in ledger.deliveries(store) if d.status == "pending")
    # the first SERVER_DEFERS each count an attempt; the rest wait uncounted, as for an outage
    assert tried == [0, 0] + [1] * SERVER_DEFERS
    assert f"the server deferred {SERVER_DEFERS} recipients in a row" in out
    store.dispose()
