"""Slack through a loopback server posing as the Web API (``WebClient(base_url=...)``) and as an
incoming webhook: what it received, 429s waited out, refusals sorted into their kinds."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from notifications import slack
from notifications.errors import MessageError, RecipientError, TransportError
from tests.httpserver import Reply, ScriptedServer, scripted_server
from tests.notifications.samples import digest, item

TOKEN = "xoxb-test-token-0000"
POST = "/api/chat.postMessage"


def ok(ts: str = "1.0") -> Reply:
    return Reply(200, json.dumps({"ok": True, "ts": ts}).encode())


@pytest.fixture
def api() -> Iterator[ScriptedServer]:
    with scripted_server() as server:
        yield server


def sent(server: ScriptedServer) -> list[dict[str, Any]]:
    return [json.loads(r["body"]) for r in server.requests if r["path"] == POST]


def test_digest_posts_block_kit_messages_with_the_token(api: ScriptedServer) -> None:
    api.add("POST", POST, ok())
    client = slack.web_client(TOKEN, api.url + "/api/")
    for message in slack.render_digest(digest()):
        assert slack.post(client, "C0123ABCD", message) == "1.0"
    [body] = sent(api)
    assert body["channel"] == "C0123ABCD" and body["link_names"] is False
    assert body["text"] == "Funding calls: 2 calls for you (2026-W26)"
    assert body["blocks"][0] == {
        "type": "header",
        "text": {"type": "plain_text", "text": "Funding calls for international collaboration"},
    }
    assert api.requests[0]["headers"]["Authorization"] == f"Bearer {TOKEN}"


def test_rate_limit_is_waited_out_with_retry_after(api: ScriptedServer) -> None:
    limited = Reply(429, b'{"ok": false, "error": "ratelimited"}',
                    {"Content-Type": "application/json", "Retry-After": "1"})  # fmt: skip
    api.add("POST", POST, limited, ok("2.0"))
    client = slack.web_client(TOKEN, api.url + "/api/")
    [message] = slack.render_digest(digest())
    assert slack.post(client, "C0123ABCD", message) == "2.0"
    assert api.count("POST", POST) == 2


def test_refusals_are_permanent_or_transient(api: ScriptedServer) -> None:
    api.add("POST", POST, Reply(200, b'{"ok": false, "error": "channel_not_found"}'),
            Reply(200, b'{"ok": false, "error": "internal_error"}'))  # fmt: skip
    client = slack.web_client(TOKEN, api.url + "/api/", retries=0)
    [message] = slack.render_digest(digest())
    with pytest.raises(RecipientError, match="channel_not_found") as info:
        slack.post(client, "C0123ABCD", message)
    assert "invite" in (info.value.hint or "").lower()
    with pytest.raises(TransportError, match="internal_error"):
        slack.post(client, "C0123ABCD", message)


@pytest.mark.parametrize("code", ["invalid_auth", "not_authed", "token_revoked",
                                  "account_inactive", "missing_scope"])  # fmt: skip
def test_a_refused_token_is_the_transports_fault_and_its_echo_is_never_quoted(
    api: ScriptedServer, code: str
) -> None:
    echo = {"ok": False, "error": code, "echo": f"Bearer {TOKEN}", "provided": TOKEN}
    api.add("POST", POST, Reply(200, json.dumps(echo).encode()))
    client = slack.web_client(TOKEN, api.url + "/api/", retries=0)
    [message] = slack.render_digest(digest())
    with pytest.raises(TransportError, match=code) as info:
        slack.post(client, "C0123ABCD", message)
    assert "FUNDING_MONITOR_SLACK_TOKEN" in (info.value.hint or "")
    assert TOKEN not in str(info.value) and "Bearer" not in str(info.value)


@pytest.mark.parametrize("body", [{"ok": False, "error": f"invalid_auth: Bearer {TOKEN}"},
                                  {"ok": False, "detail": f"Bearer {TOKEN}"}])  # fmt: skip
def test_an_answer_without_a_plain_error_code_is_not_quoted(
    api: ScriptedServer, body: dict[str, object]
) -> None:
    api.add("POST", POST, Reply(200, json.dumps(body).encode()))
    client = slack.web_client(TOKEN, api.url + "/api/", retries=0)
    [message] = slack.render_digest(digest())
    with pytest.raises(TransportError, match="without an error code") as info:
        slack.post(client, "C0123ABCD", message)
    assert TOKEN not in str(info.value)


def test_a_malformed_message_is_refused_alone(api: ScriptedServer) -> None:
    api.add("POST", POST, Reply(200, b'{"ok": false, "error": "invalid_blocks"}'))
    client = slack.web_client(TOKEN, api.url + "/api/", retries=0)
    [message] = slack.render_digest(digest())
    with pytest.raises(MessageError, match="invalid_blocks"):
        slack.post(client, "C0123ABCD", message)


def test_unreachable_api_is_transient_and_never_shows_the_token() -> None:
    client = slack.web_client(TOKEN, "http://127.0.0.1:9/api/", timeout=2)
    [message] = slack.render_digest(digest())
    with pytest.raises(TransportError) as info:
        slack.post(client, "C0123ABCD", message)
    assert TOKEN not in str(info.value)


def test_webhook_receives_the_split_messages(api: ScriptedServer) -> None:
    api.add("POST", "/services/T0/B0/secret", Reply(200, b"ok", {"Content-Type": "text/plain"}))
    url = api.url + "/services/T0/B0/secret"
    client = slack.webhook_client(slack.check_webhook(url))
    many = tuple(item(i) for i in range(1, 61))
    messages = slack.render_digest(digest(*many, changed=()))
    for message in messages:
        slack.post_webhook(client, message)
    bodies = [json.loads(r["body"]) for r in api.requests]
    assert len(bodies) == len(messages) == 2
    assert sum(1 for b in bodies for block in b["blocks"] if block["type"] == "section") == 60


def test_webhook_gone_is_permanent_and_hides_its_secret(api: ScriptedServer) -> None:
    api.add("POST", "/services/T0/B0/secret", Reply(404, b"no_service", {}))
    client = slack.webhook_client(api.url + "/services/T0/B0/secret", retries=0)
    [message] = slack.render_digest(digest())
    with pytest.raises(RecipientError) as info:
        slack.post_webhook(client, message)
    assert "secret" not in str(info.value) and "404" in str(info.value)


def test_a_webhook_answer_that_echoes_its_url_is_not_quoted(api: ScriptedServer) -> None:
    url = api.url + "/services/T0/B0/secret"
    api.add("POST", "/services/T0/B0/secret", Reply(500, f"oops at {url}".encode(), {}))
    client = slack.webhook_client(url, retries=0)
    [message] = slack.render_digest(digest())
    with pytest.raises(TransportError) as info:
        slack.post_webhook(client, message)
    assert "secret" not in str(info.value) and "500" in str(info.value)
