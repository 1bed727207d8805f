"""Teams through a loopback server posing as a Workflows webhook: what it received (an
Adaptive Card in a message), hostile titles shown as text, the size limit kept, refusals
sorted into their kinds, and the URL's signature in no error."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from notifications import teams
from notifications.channel import Clients, Envelope
from notifications.digest import Notice
from notifications.errors import DestinationError, MessageError, RecipientError, TransportError
from notifications.registry import destination
from tests.httpserver import Reply, ScriptedServer, scripted_server
from tests.notifications.samples import AS_OF, digest, item

PATH = "/workflows/2f0c6e1d9a7b4c55/triggers/manual/paths/invoke"
SIG = "Zx9Kq3LmN0pQrStUvWxYz1234567890abcdEFGHijk"
QUERY = f"?api-version=2016-06-01&sp=%2Ftriggers%2Fmanual%2Frun&sv=1.0&sig={SIG}"
ENVELOPE = Envelope(sender="monitor@ki.se", recipient="", message_id="<d.1@ki.se>", date=AS_OF)


@pytest.fixture
def workflow() -> Iterator[ScriptedServer]:
    with scripted_server() as server:
        yield server


def url(server: ScriptedServer) -> str:
    return f"{server.url}{PATH}{QUERY}"


def posted(server: ScriptedServer) -> list[dict[str, Any]]:
    return [json.loads(r["body"]) for r in server.requests]


def card_of(payload: dict[str, Any]) -> dict[str, Any]:
    assert payload["type"] == "message"
    [attachment] = payload["attachments"]
    assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
    card = attachment["content"]
    assert card["type"] == "AdaptiveCard" and card["version"] == "1.4"
    return card  # type: ignore[no-any-return]


def texts(card: dict[str, Any]) -> list[str]:
    """Every text of a card, in order (TextBlocks, facts, inside containers)."""
    found: list[str] = []

    def walk(block: dict[str, Any]) -> None:
        if block["type"] == "TextBlock":
            found.append(block["text"])
        elif block["type"] == "FactSet":
            found.extend(f"{f['title']}: {f['value']}" for f in block["facts"])
        for inner in block.get("items", []):
            walk(inner)

    for block in card["body"]:
        walk(block)
    return found


def send(server: ScriptedServer, *messages: teams.TeamsMessage) -> None:
    sender = teams.WEBHOOK.open(_Settings(), Clients())
    try:
        for message in messages:
            sender.deliver(url(server), message)
    finally:
        sender.close()


class _Settings:
    http_timeout = 5.0


def test_digest_arrives_as_an_adaptive_card_with_every_call(workflow: ScriptedServer) -> None:
    workflow.add("POST", PATH, Reply(202, b""))
    outgoing = teams.WEBHOOK.render(digest(item(1), item(2)), ENVELOPE)
    send(workflow, *outgoing.messages)
    [request] = workflow.requests
    assert request["path"] == PATH + QUERY
    assert request["headers"]["Content-Type"] == "application/json"
    [payload] = posted(workflow)
    card = card_of(payload)
    shown = texts(card)
    assert shown[0] == "Funding calls for international collaboration"
    assert "2 new calls" in shown and "1 call that changed" in shown
    assert "The university as a global actor" in shown  # the priority area's section
    for n in (1, 2):
        title = f"Capacity development for clinical trials in Africa ({n})"
        link = f"[{title}](https://ec.europa.eu/topic-details/HORIZON-JU-GH-EDCTP3-2026-{n:02d})"
        assert link in shown
    assert "Deadline: Wed 2 Sept 2026, 17:00 CEST (closes in 67 days)" in shown
    assert "Budget: €15,000,000" in shown
    assert any("Deadline moved" in t for t in shown)
    unsubscribe = "https://monitor.example.org/unsubscribe?token=abc.def"
    assert card["actions"] == [
        {"type": "Action.OpenUrl", "title": "View in browser",
         "url": "https://monitor.example.org/digests/42?token=pg.tok"},
        {"type": "Action.OpenUrl", "title": "Unsubscribe", "url": unsubscribe},
    ]  # fmt: skip
    footer = shown[-1]
    preferences = "https://monitor.example.org/preferences?token=pg.tok"
    assert f"[Change what you receive]({preferences})" in footer
    assert "Reference 42" in footer and "funding-monitor subscribers" not in footer
    assert payload["summary"] == "Funding calls: 3 calls for you (2026-W26)"


def test_swedish_digest_uses_the_same_wording_as_email() -> None:
    [message] = teams.render_digest(digest(language="sv"))
    shown = texts(message.card)
    assert shown[0] == "Utlysningar för internationellt samarbete"
    assert "1 ny utlysning" in shown
    assert any(t.startswith("Sista ansökningsdag: ") and "(stänger om 67 dagar)" in t
               for t in shown)  # fmt: skip
    assert [a["title"] for a in message.card["actions"]] == [
        "Visa i webbläsaren",
        "Avsluta prenumerationen",
    ]


def test_days_left_counts_local_days() -> None:
    soon = item(1, deadlines=(datetime(2026, 6, 28, 9, 0, tzinfo=UTC),))
    today = item(2, deadlines=(datetime(2026, 6, 27, 20, 0, tzinfo=UTC),))
    shown = texts(teams.render_digest(digest(soon, today))[0].card)
    assert any(t.endswith("(closes tomorrow)") for t in shown)
    assert any(t.endswith("(closes today)") for t in shown)


HOSTILE = ("**Win** _now_ [click me](https://evil.example/x) <at>General</at> `rm` "
           "{{DATE(2017-02-14T06:00:00Z, SHORT)}} ~~gone~~ \\*")  # fmt: skip


@pytest.mark.parametrize("title", [HOSTILE, "# Heading", "- a list", "1. numbered", "+ plus"])
def test_hostile_title_is_shown_as_text(title: str) -> None:
    hostile = item(1, title=title, funder="*Funder* [x](https://evil.example)")
    shown = texts(teams.render_digest(digest(hostile))[0].card)
    line, _ = [
        t
        for t in shown
        if t.endswith("(https://ec.europa.eu/topic-details/HORIZON-JU-GH-EDCTP3-2026-01)")
    ]  # new, changed
    inside = line[1 : line.rindex("](")]
    assert unescape(inside) == title  # what it shows is the title, character for character
    for mark in "*_[]<>`{}~":
        assert f"{mark}" not in strip_escaped(inside), mark
    assert not inside.startswith(("#", "-", "+", "1."))
    read = strip_escaped(line)  # one link only, ours: [title](the call's URL)
    assert read.count("[") == read.count("]") == read.count("](") == 1
    funder, _ = [t for t in shown if "Funder" in t]
    assert "[x](" not in strip_escaped(funder) and "*Funder*" not in strip_escaped(funder)


def unescape(text: str) -> str:
    """What a CommonMark renderer shows: a backslash before ASCII punctuation escapes it; any
    other backslash is shown."""
    return re.sub(r"\\([!-/:-@\[-`{-~])", r"\1", text)


def strip_escaped(text: str) -> str:
    """``text`` without its escaped characters: what is left is what markdown would read."""
    return re.sub(r"\\[!-/:-@\[-`{-~]", "", text)


def test_a_link_that_is_not_http_is_not_a_link() -> None:
    odd = item(1, url="javascript:alert(1)")
    shown = texts(teams.render_digest(digest(odd))[0].card)
    assert "javascript:" not in " ".join(shown)
    assert "Capacity development for clinical trials in Africa (1)" in shown


def test_oversized_digest_is_cut_below_the_limit() -> None:
    many = [item(n, title="Ω" * 280, funder="F" * 200) for n in range(1, 400)]
    messages = teams.render_digest(digest(*many))
    assert len(messages) == teams.MAX_CARDS
    assert all(len(m.data()) <= teams.MAX_BYTES for m in messages)
    assert [m.summary for m in messages][
        1
    ] == "Funding calls: 400 calls for you (2026-W26) – continued (2/5)"
    calls = sum(1 for m in messages for t in texts(m.card) if t.startswith("[ΩΩΩ"))
    [more] = [t for t in texts(messages[-1].card) if t.startswith("…and")]
    assert more == f"…and {400 - calls} more calls, too many for one message"
    assert 0 < 400 - calls < 400
    assert json.loads(messages[-1].data())["attachments"][0]["content"]["actions"]


def test_a_digest_a_little_too_long_is_split_without_loss() -> None:
    many = [item(n) for n in range(1, 60)]
    messages = teams.render_digest(digest(*many), max_bytes=16_000)
    assert 1 < len(messages) <= teams.MAX_CARDS
    assert all(len(m.data()) <= 16_000 for m in messages)
    links = [t for m in messages for t in texts(m.card) if t.startswith("[Capacity")]
    assert len(links) == 60  # 59 new, and the changed one
    assert not any(t.startswith("…and") for m in messages for t in texts(m.card))


def test_notice_is_a_card() -> None:
    notice = Notice(language="en", timezone="Europe/Stockholm", as_of=AS_OF, source="eu-ft",
                    state="unhealthy", reason="HTTP 503 *three* times", since=AS_OF,
                    reference="9")  # fmt: skip
    [message] = teams.WEBHOOK.render(notice, ENVELOPE).messages
    shown = texts(card_of(message.payload()))
    assert shown[0] == "Source eu-ft: has turned unhealthy"
    assert "Reason: HTTP 503 \\*three\\* times" in shown
    assert any(t.startswith("Unhealthy since: ") for t in shown)


@pytest.mark.parametrize(
    ("reply", "error"),
    [
        (Reply(400, b'{"error":{"code":"TriggerInputSchemaMismatch","message":"x"}}'),
         RecipientError),
        (Reply(404, b'{"error":{"code":"WorkflowNotFound"}}'), RecipientError),
        (Reply(401, b""), RecipientError),
        (Reply(413, b""), MessageError),
        (Reply(429, b"", {"Retry-After": "30"}), TransportError),
        (Reply(503, b"<html>busy</html>"), TransportError),
        (Reply(502, b""), TransportError),
    ],
)  # fmt: skip
def test_refusals_are_sorted_and_never_show_the_url(
    workflow: ScriptedServer, reply: Reply, error: type[Exception]
) -> None:
    workflow.add("POST", PATH, reply)
    with pytest.raises(error) as raised:
        send(workflow, *teams.render_digest(digest()))
    said = f"{raised.value} {getattr(raised.value, 'hint', '')}"
    assert f"HTTP {reply.status}" in said and "127.0.0.1" in said
    for part in (SIG, SIG[:12], PATH, "sig=", "2f0c6e1d9a7b4c55"):
        assert part not in said
    if reply.status == 404:
        assert "WorkflowNotFound" in said


def test_an_error_code_that_could_echo_anything_is_not_shown(workflow: ScriptedServer) -> None:
    workflow.add("POST", PATH, Reply(404, json.dumps({"error": {"code": f"sig={SIG}"}}).encode()))
    with pytest.raises(RecipientError) as raised:
        send(workflow, *teams.render_digest(digest()))
    assert SIG not in str(raised.value)


def test_unreachable_or_slow_workflow_is_the_transports_fault(workflow: ScriptedServer) -> None:
    workflow.add("POST", PATH, Reply(202, b"", delay=1.0))
    with httpx.Client(timeout=0.2) as client, pytest.raises(TransportError) as slow:
        teams.post(client, url(workflow), teams.render_digest(digest())[0])
    assert "did not answer in time" in str(slow.value) and SIG not in str(slow.value)
    closed = f"http://127.0.0.1:1{PATH}{QUERY}"
    with pytest.raises(TransportError) as refused:
        send_to(closed)
    assert "cannot reach" in str(refused.value) and SIG not in str(refused.value)


def send_to(address: str) -> None:
    sender = teams.open_sender(_Settings(), Clients())
    try:
        sender.deliver(address, teams.render_digest(digest())[0])
    finally:
        sender.close()


def test_check_webhook() -> None:
    good = f"https://prod-12.westeurope.logic.azure.com:443{PATH}{QUERY}"
    assert destination("teams-webhook").check(f"  {good} ") == good
    assert teams.check_webhook(f"http://127.0.0.1:8080{PATH}{QUERY}")
    for bad, says in [
        (f"http://prod-12.westeurope.logic.azure.com{PATH}{QUERY}", "https://"),
        (f"https://prod-12.westeurope.logic.azure.com{PATH}?api-version=1", "no sig"),
        (f"https://ki.webhook.office.com/webhookb2/abc/IncomingWebhook/{SIG}", "retired"),
        ("not a url", "https://"),
    ]:
        with pytest.raises(DestinationError) as raised:
            teams.check_webhook(bad)
        assert says in str(raised.value) and SIG not in str(raised.value)


def test_the_urls_secret_parts_are_named_for_blanking() -> None:
    good = f"https://prod-12.westeurope.logic.azure.com:443{PATH}{QUERY}"
    secrets = teams.webhook_secrets(good)
    assert good in secrets and SIG in secrets and PATH in secrets
    assert destination("teams-webhook").secret
