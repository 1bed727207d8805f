"""The Slack channel: a digest or notice → Block Kit messages (pure), and sending them through
the Web API (bot token, chat.postMessage) or an incoming webhook, with slack-sdk.

Every text from the world goes through ``escape``: ``&``, ``<`` and ``>`` become entities (so
no ``<!channel>``, ``<@U…>`` or link can be smuggled in), formatting characters are fenced with
zero-width spaces so a title cannot turn bold or code, and ``@channel``, ``@here`` and
``@everyone`` are broken with a word joiner. Messages never ask Slack to parse names.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any, Protocol
from urllib.parse import quote, urlsplit

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler
from slack_sdk.webhook import WebhookClient

from notifications.channel import Channel, Envelope, Outgoing, Secret, Width
from notifications.digest import OTHER_AREA, Digest, Item, Notice
from notifications.errors import (
    DeliveryError,
    DestinationError,
    MessageError,
    RecipientError,
    TransportError,
)
from notifications.wording import Words

CHANNEL = "slack"
MAX_BLOCKS = 50  # per message (Slack's limit)
MAX_SECTION_TEXT = 3000  # characters per section text
MAX_HEADER_TEXT = 150
VOTES_ROOM = 1000  # characters of a call's section kept for the subscriber's 👍/👎 links
_MARKS = re.compile(r"([*_~`])")
_BROADCAST = re.compile(r"@(channel|here|everyone)\b", re.IGNORECASE)
_CHANNEL_ID = re.compile(r"^[CGD][A-Z0-9]{6,}$")
_CHANNEL_NAME = re.compile(r"^#[a-z0-9][a-z0-9_\-]{0,79}$")
# How the Web API's error codes are sorted. The token's faults are the transport's: every
# channel posted to with it would fail the same way, so the deliveries wait, as for an SMTP
# login refusal. Anything not listed (ratelimited, internal_error, timeouts) is retried too.
_TOKEN_FAULTS = {"invalid_auth", "not_authed", "token_revoked", "token_expired", "invalid_token",
                 "account_inactive", "missing_scope", "no_permission", "ekm_access_denied",
                 "not_allowed_token_type", "team_access_not_granted"}  # fmt: skip
# This channel refuses for good.
_RECIPIENT_FAULTS = {"channel_not_found", "not_in_channel", "is_archived", "channel_is_archived",
                     "restricted_action", "restricted_action_read_only_channel",
                     "action_prohibited"}  # fmt: skip
# This one message is refused (ours is malformed): it alone is retried, up to a cap.
_MESSAGE_FAULTS = {"invalid_blocks", "invalid_blocks_format", "msg_too_long", "no_text",
                   "too_many_attachments", "invalid_arguments", "invalid_attachments",
                   "invalid_payload", "too_many_blocks"}  # fmt: skip
# A webhook URL is its own credential: when it is revoked or its channel gone, that subscriber
# alone is refused for good.
_WEBHOOK_GONE = {"invalid_token", "no_service", "no_team", "team_disabled", "channel_not_found",
                 "channel_is_archived", "action_prohibited", "no_active_hooks",
                 "posting_to_general_channel_denied", "user_not_found"}  # fmt: skip
_CODE = re.compile(r"[a-z0-9_]{1,80}")


@dataclass(frozen=True)
class SlackMessage:
    text: str  # the notification / fallback text
    blocks: tuple[dict[str, Any], ...]


def escape(text: str) -> str:
    """``text`` safe inside mrkdwn: no mentions, no links, no formatting."""
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    text = _MARKS.sub("\u200b\\1\u200b", text)
    return _BROADCAST.sub("@\u2060\\1", text)


def _link(url: str, text: str) -> str:
    """A mrkdwn link when ``url`` is http(s), else the escaped text alone."""
    if not url.startswith(("https://", "http://")):
        return escape(text)
    safe = quote(url, safe=":/?#[]@!$&'()*+,;=%~-._")  # | and > and spaces get encoded
    # mrkdwn reads entities inside a link too: a query's "&" is written as Slack asks
    return f"<{safe.replace('&', '&amp;')}|{escape(text)}>"


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def check_channel(channel: str) -> str:
    """A channel id (C0123ABCD) or #name; DestinationError otherwise."""
    if _CHANNEL_ID.match(channel) or _CHANNEL_NAME.match(channel):
        return channel
    raise DestinationError(f"{channel!r} is not a Slack channel id (C0123ABCD) or #name",
                           channel=CHANNEL)  # fmt: skip


def check_webhook(url: str) -> str:
    """An incoming-webhook URL: https, or http on loopback only (for tests)."""
    parts = urlsplit(url)
    loopback = parts.hostname in ("127.0.0.1", "localhost", "::1")
    if parts.scheme == "https" and parts.hostname or parts.scheme == "http" and loopback:
        return url
    raise DestinationError(
        f"webhook {safe_webhook(url)} must be an https:// URL (plain http only on loopback)",
        channel=CHANNEL,
    )


def safe_webhook(url: str) -> str:
    """A webhook URL as safe to show: its path is the secret, so only the host is kept."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.hostname or '?'}/…" if parts.scheme else "(not a URL)"


def _item_block(item: Item, words: Words, digest: Digest) -> dict[str, Any]:
    names = ", ".join(digest.label(t) for t in item.tags)
    votes = _votes(digest, item, words)
    limit = MAX_SECTION_TEXT - (VOTES_ROOM if votes else 0)
    text = _item_text(item, words.language, words.zone.key, names, digest.as_of, limit)
    if votes:
        text += "\n" + votes
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def _votes(digest: Digest, item: Item, words: Words) -> str:
    """The subscriber's 👍/👎 links for ``item`` as one mrkdwn line, or "" when it has none
    or they would not fit in ``VOTES_ROOM``."""
    up, down = digest.votes.get(item.call_id, ("", ""))
    if not all(url.startswith(("https://", "http://")) for url in (up, down)):
        return ""
    line = (f"{escape(words('vote_ask'))} {_link(up, words('vote_up'))}   "
            f"{_link(down, words('vote_down'))}")  # fmt: skip
    return line if len(line) < VOTES_ROOM else ""


@lru_cache(maxsize=4096)  # 1.1x faster rendering in bench/digest.py (1,058 texts a run)
def _item_text(
    item: Item, language: str, timezone: str, labels: str, as_of: datetime, limit: int
) -> str:
    """One call's mrkdwn, at most ``limit`` characters (cached: a run puts one call in many
    digests; the subscriber's own links are added after)."""
    words = Words(language, timezone)
    lines = [f"*{_link(item.url, item.title)}*"]
    if item.summary:
        lines.append(escape(item.summary))
    lines += [f":warning: *{escape(words.change(c))}*" for c in item.changes]
    origin = " · ".join(
        escape(x) for x in dict.fromkeys(v for v in (item.funder, item.programme) if v)
    )
    if origin:
        lines.append(origin)
    when = words.moments(item.deadlines, item.stages) if item.deadlines else words("no_deadline")
    name = words("deadlines") if len(item.deadlines) > 1 else words("deadline")
    detail = f"{name}: *{escape(when)}*"
    if item.next_deadline is not None:
        detail += f" ({escape(words.closes(item.next_deadline, as_of))})"
    if item.budget is not None:
        detail += f" · {words('budget')}: {escape(words.money(item.budget, item.currency))}"
    lines.append(detail)
    if labels:
        lines.append(f"_{escape(labels)}_")
    return _cut("\n".join(lines), limit)


def _header(text: str) -> dict[str, Any]:
    return {"type": "header", "text": {"type": "plain_text", "text": _cut(text, MAX_HEADER_TEXT)}}


def digest_blocks(digest: Digest) -> list[dict[str, Any]]:
    words = Words(digest.language, digest.timezone)
    blocks: list[dict[str, Any]] = [
        _header(words("heading")),
        _context(escape(words.intro(digest.count, digest.as_of))),
    ]
    if _web(digest.web_url):
        blocks.append(_context(_link(digest.web_url, words("view_online"))))
    for name, sections in (("new", digest.new), ("changed", digest.changed),
                           ("reminders", digest.reminders)):  # fmt: skip
        if not sections:
            continue
        count = sum(len(section.items) for section in sections)
        blocks += [{"type": "divider"}, _header(words.count(name, count))]
        for section in sections:
            area = words("other") if section.area == OTHER_AREA else digest.label(section.area)
            blocks.append(_context(f"*{escape(area)}*"))
            blocks += [_item_block(item, words, digest) for item in section.items]
    footer = escape(words("footer"))
    if _web(digest.preferences_url):
        footer += f" {_link(digest.preferences_url, words('manage'))}"
    else:
        footer += f" {escape(words('manage_admin'))}"
    if _web(digest.unsubscribe_url):
        footer += f" · {_link(digest.unsubscribe_url, words('unsubscribe'))}"
    if digest.reference:
        footer += f" · {escape(words('reference', ref=digest.reference))}"
    blocks += [{"type": "divider"}, _context(footer)]
    return blocks


def _web(url: str) -> bool:
    return url.startswith(("https://", "http://"))


def _context(mrkdwn: str) -> dict[str, Any]:
    return {
        "type": "context",
        "elements": [{"type": "mrkdwn", "text": _cut(mrkdwn, MAX_SECTION_TEXT)}],
    }


def render_digest(digest: Digest) -> list[SlackMessage]:
    """The digest as one or more messages of at most MAX_BLOCKS blocks each."""
    words = Words(digest.language, digest.timezone)
    text = escape(words.subject(digest.count, digest.period))
    return split(text, digest_blocks(digest), words)


def split(text: str, blocks: Sequence[dict[str, Any]], words: Words) -> list[SlackMessage]:
    chunks = [tuple(blocks[i : i + MAX_BLOCKS]) for i in range(0, len(blocks), MAX_BLOCKS)]
    if len(chunks) == 1:
        return [SlackMessage(text, chunks[0])]
    return [SlackMessage(f"{text} – {words('continued', part=n, parts=len(chunks))}" if n > 1
                         else text, chunk)
            for n, chunk in enumerate(chunks, 1)]  # fmt: skip


def render_notice(notice: Notice) -> list[SlackMessage]:
    words = Words(notice.language, notice.timezone)
    title = words("subject_notice", source=notice.source, state=words("notice_" + notice.state))
    lines = [f"*{escape(title)}*", f"{words('notice_reason')}: {escape(notice.reason)}"]
    if notice.since:
        lines.append(f"{words('notice_since')}: {escape(words.when(notice.since))}")
    lines.append(escape(words("notice_hint", source=notice.source)))
    block = {
        "type": "section",
        "text": {"type": "mrkdwn", "text": _cut("\n".join(lines), MAX_SECTION_TEXT)},
    }
    return [SlackMessage(escape(title), (block,))]


def web_client(token: str, base_url: str, *, retries: int = 3, timeout: int = 30) -> WebClient:
    """A WebClient that waits out 429s (Retry-After) up to ``retries`` times."""
    client = WebClient(token=token, base_url=base_url, timeout=timeout)
    client.retry_handlers.append(RateLimitErrorRetryHandler(max_retry_count=retries))
    return client


def webhook_client(url: str, *, retries: int = 3, timeout: int = 30) -> WebhookClient:
    client = WebhookClient(url, timeout=timeout)
    client.retry_handlers.append(RateLimitErrorRetryHandler(max_retry_count=retries))
    return client


def post(client: WebClient, channel: str, message: SlackMessage) -> str:
    """chat.postMessage; returns the message's ts. Raises TransportError (the API or the token
    failed: retry later), RecipientError (this channel refuses for good) or MessageError (this
    message is malformed). The API's answer is never quoted beyond its error code: it may echo
    the token."""
    try:
        response = client.chat_postMessage(channel=channel, text=message.text,
                                           blocks=list(message.blocks), unfurl_links=False,
                                           unfurl_media=False, link_names=False)  # fmt: skip
    except SlackApiError as exc:
        raise _refusal(channel, exc) from None
    except (SlackClientError, OSError) as exc:
        raise TransportError(f"cannot reach the Slack Web API: {exc.__class__.__name__}: {exc}",
                             channel=CHANNEL) from None  # fmt: skip
    return str(response.get("ts", ""))


def _refusal(channel: str, exc: SlackApiError) -> DeliveryError:
    """The error a refusal of the Web API stands for, named by its error code alone."""
    response = exc.response
    data = getattr(response, "data", None)
    code = error_code(data.get("error") if isinstance(data, dict) else None)
    if not code:
        status = getattr(response, "status_code", "?")
        return TransportError(f"Slack answered HTTP {status} without an error code when posting "
                              f"to {channel}", channel=CHANNEL)  # fmt: skip
    if code in _TOKEN_FAULTS:
        return TransportError(f"Slack refused the bot token ({code}) posting to {channel}; "
                              "every Slack channel waits for the next run",
                              channel=CHANNEL, hint=_hint(code))  # fmt: skip
    kind: type[DeliveryError] = TransportError
    if code in _RECIPIENT_FAULTS:
        kind = RecipientError
    elif code in _MESSAGE_FAULTS:
        kind = MessageError
    return kind(f"Slack refused the message to {channel}: {code}", channel=CHANNEL,
                hint=_hint(code))  # fmt: skip


def error_code(value: object) -> str:
    """A Slack error code (``invalid_auth``) as safe to show, or "" for anything else: a
    server may put whatever it likes there, the token included."""
    text = value.strip() if isinstance(value, str) else ""
    return text if _CODE.fullmatch(text) else ""


def post_webhook(client: WebhookClient, message: SlackMessage) -> None:
    """Post through an incoming webhook. Raises TransportError, RecipientError (the webhook is
    gone) or MessageError; never with its URL's secret path or the server's answer beyond an
    error code."""
    where = safe_webhook(client.url)
    try:
        response = client.send(text=message.text, blocks=list(message.blocks),
                               unfurl_links=False, unfurl_media=False)  # fmt: skip
    except (SlackClientError, OSError) as exc:
        raise TransportError(f"cannot reach the Slack webhook {where}: "
                             f"{exc.__class__.__name__}", channel=CHANNEL) from None  # fmt: skip
    if response.status_code == 200:
        return
    code = error_code(response.body)
    said = code or f"an answer of {len(response.body or '')} characters"
    kind: type[DeliveryError] = TransportError
    if response.status_code in (403, 404, 410) or code in _WEBHOOK_GONE:
        kind = RecipientError
    elif code in _MESSAGE_FAULTS:
        kind = MessageError
    hint = None if kind is RecipientError else _hint(code)  # a webhook has no bot to invite
    raise kind(f"Slack webhook {where} answered {response.status_code}: {said}", channel=CHANNEL,
               hint=hint)  # fmt: skip


def _hint(error: str) -> str | None:
    if error in ("not_in_channel", "channel_not_found"):
        return "Invite the bot to the channel (/invite @bot) or fix the channel id."
    if error == "missing_scope":
        return ("Give the Slack app the chat:write scope and reinstall it, then set the new "
                "FUNDING_MONITOR_SLACK_TOKEN; the deliveries wait for the next run.")  # fmt: skip
    if error in _TOKEN_FAULTS:
        return ("Check FUNDING_MONITOR_SLACK_TOKEN (a bot token, xoxb-…, with chat:write); the "
                "deliveries wait for the next run.")  # fmt: skip
    if error in _MESSAGE_FAULTS:
        return MessageError.default_hint
    return None


def render(content: Digest | Notice, envelope: Envelope) -> Outgoing:
    """The channel's render: Block Kit messages of at most MAX_BLOCKS blocks each."""
    messages = render_digest(content) if isinstance(content, Digest) else render_notice(content)
    return Outgoing(tuple(messages))


class SlackSettings(Protocol):
    """The settings the Slack bot's sender reads."""

    @property
    def slack_token(self) -> Secret: ...
    @property
    def slack_base_url(self) -> str: ...


class BotSender:
    """chat.postMessage with the bot token; the client is built on the first message, so that
    a run without a token fails only its Slack deliveries (a TransportError: they wait)."""

    def __init__(self, settings: SlackSettings, client: WebClient | None) -> None:
        self._settings = settings
        self._client = client

    def deliver(self, address: str, message: SlackMessage) -> None:
        if self._client is None:
            token = self._settings.slack_token.get_secret_value()
            if not token:
                raise TransportError("no Slack token is set", channel=CHANNEL,
                                     hint="Set FUNDING_MONITOR_SLACK_TOKEN to a bot token "
                                     "with chat:write.")  # fmt: skip
            self._client = web_client(token, self._settings.slack_base_url)
        post(self._client, address, message)

    def close(self) -> None:
        pass  # WebClient holds no connection between calls


class WebhookSender:
    """Posts through incoming webhooks, one client per URL."""

    def __init__(self) -> None:
        self._clients: dict[str, WebhookClient] = {}

    def deliver(self, address: str, message: SlackMessage) -> None:
        if address not in self._clients:
            self._clients[address] = webhook_client(address)
        post_webhook(self._clients[address], message)

    def close(self) -> None:
        self._clients.clear()


CONNECTED = {
    "en": "funding-monitor is connected: your digests of research funding calls will be posted "
    "here. Change or stop them on your preferences page.",
    "sv": "funding-monitor är anslutet: dina sammanställningar av utlysningar av "
    "forskningsmedel kommer att publiceras här. Ändra eller stoppa dem på din "
    "inställningssida.",
}


def connected_message(language: str, preferences_url: str = "") -> SlackMessage:
    """The message that checks a webhook a subscriber gave: it says what will come there."""
    text = CONNECTED.get(language, CONNECTED["en"])
    shown = escape(text) + (f" {_link(preferences_url, preferences_url)}" if preferences_url
                            else "")  # fmt: skip
    block = {"type": "section", "text": {"type": "mrkdwn", "text": shown}}
    return SlackMessage(text=text, blocks=(block,))


def check_webhook_host(url: str, hosts: Sequence[str]) -> str:
    """``url`` (a checked webhook) if its host is one of ``hosts``, with a path: a webhook a
    reader types on a page may only point at Slack's own host (or loopback in tests), so the
    server posts nowhere else. DestinationError otherwise, without the URL's secret path."""
    url = check_webhook(url)
    parts = urlsplit(url)
    if (parts.hostname or "").lower() not in {h.strip().lower() for h in hosts if h.strip()}:
        raise DestinationError(f"webhook {safe_webhook(url)} is not a Slack incoming-webhook "
                               f"address (it must start https://{hosts[0] if hosts else '?'}/)",
                               channel=CHANNEL)  # fmt: skip
    if len(parts.path) < 10:
        raise DestinationError(f"webhook {safe_webhook(url)} has no webhook path: copy the whole "
                               "address Slack gave", channel=CHANNEL)  # fmt: skip
    return url


def webhook_secrets(url: str) -> tuple[str, ...]:
    """A webhook URL's secret parts: the whole URL and its path (the part that authorises)."""
    path = urlsplit(url).path
    return (url, path) if len(path) > 1 else (url,)


BOT = Channel(
    kind="slack-channel",
    name=CHANNEL,
    description="a Slack channel id (C0123ABCD) or #name, posted to with the bot token",
    check=check_channel,
    render=render,
    open=lambda settings, clients: BotSender(settings, clients.slack_client),
    width=Width(MAX_BLOCKS, "blocks"),
)
WEBHOOK = Channel(
    kind="slack-webhook",
    name=CHANNEL,
    description="a Slack incoming-webhook URL (a secret: shown masked)",
    check=check_webhook,
    render=render,
    open=lambda settings, clients: WebhookSender(),
    width=Width(MAX_BLOCKS, "blocks"),
    shared=False,  # each webhook URL is its own credential
    secrets=webhook_secrets,
)
