"""The Microsoft Teams channel: a digest or notice → Adaptive Cards (pure), posted with httpx
to a Teams Workflows webhook (the "Post to a channel when a webhook request is received"
workflow) as ``{"type": "message", "attachments": [{"contentType":
"application/vnd.microsoft.card.adaptive", "content": <AdaptiveCard 1.4>}]}``.

The whole workflow URL is a credential (its ``sig`` signs the request): it is never written in
an error or a log line, only its host.

Every text from the world goes through ``escape``: a TextBlock reads a CommonMark subset
(``**bold**``, ``_italic_``, ``[links](…)``, lists), so the characters that make it (and
``{{…}}`` date functions, ``<`` for HTML and mentions) are backslash-escaped, ``#``, ``-``,
``+`` and ``1.`` at the start of a line too; a title cannot turn bold, become a list or carry
a link. A message must stay under Teams' ~28 KB: a digest is packed into cards of at most
``MAX_BYTES`` of JSON each, at most ``MAX_CARDS`` of them, and what does not fit is one line,
"…and N more".
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import parse_qs, quote, urlsplit

import httpx

from notifications.channel import Channel, Clients, Envelope, Outgoing, Width
from notifications.digest import OTHER_AREA, Digest, Item, Notice
from notifications.errors import (
    DestinationError,
    MessageError,
    RecipientError,
    TransportError,
)
from notifications.slack import safe_webhook
from notifications.wording import Words

CHANNEL = "teams"
CARD = "application/vnd.microsoft.card.adaptive"
SCHEMA = "http://adaptivecards.io/schemas/adaptive-card.json"
MAX_BYTES = 26_000  # of JSON per message: under Teams' ~28 KB with room for its envelope
MAX_CARDS = 5  # a digest longer than this many cards ends with "…and N more"
MAX_TITLE = 300  # characters of a call's title shown
MAX_TEXT = 600  # of any other text from the world
MAX_URL = 2000  # a longer link is left out (the title is shown alone)
_MARKS = re.compile(r"([\\`*_~\[\]<>{}|])")
_LINE_START = re.compile(r"^(\s*)([#+\-]|\d+[.)])", re.MULTILINE)
_CODE = re.compile(r"[A-Za-z][A-Za-z0-9_.]{0,79}")
_GONE = (400, 401, 403, 404, 410)  # the workflow URL is wrong, unsigned or deleted
_RETIRED = ("webhook.office.com", "outlook.office.com", "outlook.office365.com")


@dataclass(frozen=True)
class TeamsMessage:
    """One card, and its summary (what a notification shows)."""

    summary: str
    card: dict[str, Any]

    def payload(self) -> dict[str, Any]:
        attachment = {"contentType": CARD, "contentUrl": None, "content": self.card}
        return {"type": "message", "summary": self.summary, "attachments": [attachment]}

    def data(self) -> bytes:
        """The JSON posted, as sent (its size is what Teams limits)."""
        return _json(self.payload())


def _json(value: object) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def escape(text: str) -> str:
    """``text`` shown as it is in a TextBlock: no formatting, no link, no list, no heading."""
    text = _MARKS.sub(r"\\\1", text)
    # a heading or list marker escaped (CommonMark escapes punctuation only: "1\." not "\1.")
    return _LINE_START.sub(lambda m: f"{m[1]}{m[2][:-1]}\\{m[2][-1]}", text)


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _plain(text: str, limit: int = MAX_TEXT) -> str:
    """A text from the world on one line, cut, then escaped."""
    return escape(_cut(" ".join(text.split()), limit))


def _link(url: str, text: str) -> str:
    """A markdown link when ``url`` is http(s), else the escaped text alone."""
    shown = _plain(text, MAX_TITLE)
    if not _web(url) or len(url) > MAX_URL:
        return shown
    safe = quote(url, safe=":/?#@!$&'*+,;=%~-._")  # ( ) [ ] < > spaces get encoded
    return f"[{shown}]({safe})"


def _web(url: str) -> bool:
    return url.startswith(("https://", "http://"))


def check_webhook(url: str) -> str:
    """A Teams Workflows webhook URL: https (plain http on loopback only, for tests), with
    its ``sig``; DestinationError saying what is wrong, never quoting the URL."""
    parts = urlsplit(url.strip())
    host = parts.hostname or ""
    where = safe_webhook(url)
    if any(host == r or host.endswith("." + r) for r in _RETIRED):
        raise DestinationError(
            f"{where} is an Office 365 connector webhook, which Teams has retired",
            channel=CHANNEL,
            hint="In Teams, add the workflow 'Post to a channel when a webhook request is "
            "received' and give its URL (…/workflows/…/triggers/manual/paths/invoke?…&sig=…).",
        )
    loopback = host in ("127.0.0.1", "localhost", "::1")
    if not (parts.scheme == "https" and host or parts.scheme == "http" and loopback):
        raise DestinationError(f"Teams webhook {where} must be an https:// URL "
                               "(plain http only on loopback)", channel=CHANNEL)  # fmt: skip
    if not parse_qs(parts.query).get("sig"):
        raise DestinationError(
            f"Teams webhook {where} has no sig=… signature: copy the workflow's whole URL",
            channel=CHANNEL,
            hint="In the workflow's trigger, copy 'HTTP POST URL' whole, query string included.",
        )
    return url.strip()


def webhook_secrets(url: str) -> tuple[str, ...]:
    """The parts of a workflow URL that could let someone post: the URL, its query (the
    signature) and the signature alone, and its path."""
    parts = urlsplit(url)
    found = [url, parts.query, parts.path, *parse_qs(parts.query).get("sig", [])]
    return tuple(v for v in found if len(v) > 1)


def _text(text: str, **style: Any) -> dict[str, Any]:
    return {"type": "TextBlock", "text": text, "wrap": True, **style}


def _item(item: Item, words: Words, digest: Digest) -> dict[str, Any]:
    """One call: its title as a link, its changes, funder and programme, the facts."""
    parts: list[dict[str, Any]] = [_text(_link(item.url, item.title), weight="Bolder")]
    if item.summary:
        parts.append(_text(_plain(item.summary), spacing="None"))
    parts += [_text("⚠ " + _plain(words.change(c)), color="Warning") for c in item.changes]
    origin = " · ".join(dict.fromkeys(v for v in (item.funder, item.programme) if v))
    if origin:
        parts.append(_text(_plain(origin), isSubtle=True, spacing="None"))
    name = words("deadlines") if len(item.deadlines) > 1 else words("deadline")
    when = words.moments(item.deadlines, item.stages) if item.deadlines else words("no_deadline")
    if item.next_deadline is not None:
        when += f" ({words.closes(item.next_deadline, digest.as_of)})"
    facts = [{"title": name, "value": _plain(when)}]
    if item.status == "forthcoming" and item.opens:
        facts.append({"title": words("opens"), "value": _plain(words.when(item.opens))})
    if item.budget is not None:
        facts.append({"title": words("budget"),
                      "value": _plain(words.money(item.budget, item.currency))})  # fmt: skip
    if item.tags:
        labels = ", ".join(digest.label(t) for t in item.tags)
        facts.append({"title": words("tags"), "value": _plain(labels)})
    parts.append({"type": "FactSet", "facts": facts, "spacing": "Small"})
    up, down = digest.votes.get(item.call_id, ("", ""))
    if all(_web(url) and len(url) <= MAX_URL for url in (up, down)):
        parts.append(_text(f"{escape(words('vote_ask'))} {_link(up, words('vote_up'))} · "
                           f"{_link(down, words('vote_down'))}", size="Small",
                           spacing="Small"))  # fmt: skip
    return {"type": "Container", "items": parts, "separator": True, "spacing": "Medium"}


def _units(digest: Digest, words: Words) -> list[list[dict[str, Any]]]:
    """The digest's body, one unit per call (with the part and area headings it opens), so
    that no heading is left at the end of a card without its call."""
    units: list[list[dict[str, Any]]] = []
    for name, sections in (("new", digest.new), ("changed", digest.changed),
                           ("reminders", digest.reminders)):  # fmt: skip
        count = sum(len(section.items) for section in sections)
        heading: list[dict[str, Any]] = [
            _text(
                escape(words.count(name, count)),
                size="Medium",
                weight="Bolder",
                separator=True,
                spacing="Large",
            )
        ]
        if name == "reminders" and sections:
            days = words.count("days", max(digest.reminder_days, default=0))
            heading.append(_text(escape(words("reminders_intro", days=days)), isSubtle=True))
        for section in sections:
            area = words("other") if section.area == OTHER_AREA else digest.label(section.area)
            opening = [*heading, _text(_plain(area), weight="Bolder", color="Accent")]
            heading = []
            for item in section.items:
                units.append([*opening, _item(item, words, digest)])
                opening = []
    return units


def _footer(digest: Digest, words: Words) -> list[dict[str, Any]]:
    lines = [escape(words("footer"))]
    if _web(digest.preferences_url) and len(digest.preferences_url) <= MAX_URL:
        lines.append(_link(digest.preferences_url, words("manage")))
    else:
        lines.append(escape(words("manage_admin")))
    if digest.unsubscribe_url and _web(digest.unsubscribe_url):
        lines.append(_link(digest.unsubscribe_url, words("unsubscribe")))
    if digest.reference:
        lines.append(escape(words("reference", ref=digest.reference)))
    return [_text("\n\n".join(lines), size="Small", isSubtle=True, separator=True,
                  spacing="Large")]  # fmt: skip


def _card(body: list[dict[str, Any]], actions: list[dict[str, Any]]) -> dict[str, Any]:
    card: dict[str, Any] = {"$schema": SCHEMA, "type": "AdaptiveCard", "version": "1.4",
                            "msteams": {"width": "Full"}, "body": body}  # fmt: skip
    if actions:
        card["actions"] = actions
    return card


def render_digest(digest: Digest, *, max_bytes: int | None = None) -> list[TeamsMessage]:
    """The digest as Adaptive Cards of at most ``max_bytes`` (MAX_BYTES) of JSON each, at most
    MAX_CARDS of them; the calls that do not fit are counted on a last line."""
    words = Words(digest.language, digest.timezone)
    summary = words.subject(digest.count, digest.period)
    intro = words.intro(digest.count, digest.as_of)
    actions = [{"type": "Action.OpenUrl", "title": words(title), "url": url}
               for title, url in (("view_online", digest.web_url),
                                  ("unsubscribe", digest.unsubscribe_url))
               if _web(url) and len(url) <= MAX_URL]  # fmt: skip
    footer = _footer(digest, words)
    units = _units(digest, words)
    # The room a card leaves for calls: its frame with the longest heading a card can have,
    # the footer and a "more" line, measured as sent.
    widest = words("continued", part=MAX_CARDS, parts=MAX_CARDS)
    frame = TeamsMessage(f"{summary} – {widest}", _card(
        [_heading(words, f"{widest}"), _text(escape(intro), isSubtle=True), *footer,
         _more(words, 10**6)], actions))  # fmt: skip
    cards, more = _pack(units, (max_bytes or MAX_BYTES) - len(frame.data()))
    messages = []
    for number, blocks in enumerate(cards, 1):
        part = words("continued", part=number, parts=len(cards)) if len(cards) > 1 else ""
        body = [_heading(words, part), _text(escape(intro), isSubtle=True)] if number == 1 \
            else [_heading(words, part)]  # fmt: skip
        body += blocks
        if number == len(cards) and more:
            body.append(_more(words, more))
        body += footer
        messages.append(TeamsMessage(f"{summary} – {part}" if part else summary,
                                     _card(body, actions)))  # fmt: skip
    return messages


def _pack(units: list[list[dict[str, Any]]], room: int) -> tuple[list[list[Any]], int]:
    """The units in cards of at most ``room`` bytes of blocks each (a unit larger than that
    alone in its card: texts are cut, so none comes near), at most MAX_CARDS cards; and how
    many units were left out."""
    cards: list[list[dict[str, Any]]] = [[]]
    used = 0
    for taken, unit in enumerate(units):
        size = sum(len(_json(block)) + 1 for block in unit)
        if cards[-1] and used + size > room:
            if len(cards) == MAX_CARDS:
                return cards, len(units) - taken
            cards.append([])
            used = 0
        cards[-1] += unit
        used += size
    return cards, 0


def _heading(words: Words, part: str) -> dict[str, Any]:
    text = words("heading") + (f" – {part}" if part else "")
    return _text(escape(text), size="Large", weight="Bolder", style="heading")


def _more(words: Words, count: int) -> dict[str, Any]:
    return _text(escape(words("more", more=words.count("more", count))), weight="Bolder",
                 separator=True)  # fmt: skip


def render_notice(notice: Notice) -> list[TeamsMessage]:
    words = Words(notice.language, notice.timezone)
    title = words("subject_notice", source=notice.source, state=words("notice_" + notice.state))
    facts = [{"title": words("notice_reason"), "value": _plain(notice.reason)}]
    if notice.since:
        facts.append({"title": words("notice_since"), "value": _plain(words.when(notice.since))})
    body = [_text(_plain(title), size="Medium", weight="Bolder", style="heading"),
            {"type": "FactSet", "facts": facts},
            _text(escape(words("notice_hint", source=notice.source)), isSubtle=True)]  # fmt: skip
    if notice.reference:
        body.append(_text(escape(words("reference", ref=notice.reference)), size="Small",
                          isSubtle=True))  # fmt: skip
    return [TeamsMessage(_cut(" ".join(title.split()), MAX_TEXT), _card(body, []))]


def render(content: Digest | Notice, envelope: Envelope) -> Outgoing:
    """The channel's render: Adaptive Cards within MAX_BYTES each."""
    cards = render_digest(content) if isinstance(content, Digest) else render_notice(content)
    return Outgoing(tuple(cards))


class TeamsSettings(Protocol):
    """The settings the Teams sender reads."""

    @property
    def http_timeout(self) -> float: ...


def open_sender(settings: TeamsSettings, clients: Clients) -> WebhookSender:
    """The channel's sender: the httpx client handed in (tests), or its own with the
    settings' ``http_timeout``."""
    return WebhookSender(clients.http, settings.http_timeout)


class WebhookSender:
    """POSTs cards to workflow URLs with one httpx client (handed in, or its own)."""

    def __init__(self, client: httpx.Client | None, timeout: float) -> None:
        self._own = client is None
        self._client = client or httpx.Client(timeout=timeout, follow_redirects=False)

    def deliver(self, address: str, message: TeamsMessage) -> None:
        post(self._client, address, message)

    def close(self) -> None:
        if self._own:
            self._client.close()


def post(client: httpx.Client, url: str, message: TeamsMessage) -> None:
    """POST one card to a workflow URL. Raises TransportError (unreachable, timed out, busy:
    429 or 5xx; tried again next run), RecipientError (400, 401, 403, 404, 410: the URL is
    wrong or the workflow gone) or MessageError (413: too large). No error carries the URL
    beyond its host, nor the server's answer beyond an error code."""
    where = safe_webhook(url)
    try:
        response = client.post(url, content=message.data(),
                                headers={"Content-Type": "application/json"})  # fmt: skip
    except httpx.TimeoutException as exc:
        raise TransportError(f"the Teams workflow at {where} did not answer in time "
                             f"({exc.__class__.__name__})", channel=CHANNEL) from None  # fmt: skip
    except (httpx.HTTPError, OSError) as exc:  # connection refused, TLS, DNS…
        raise TransportError(f"cannot reach the Teams workflow at {where}: "
                             f"{exc.__class__.__name__}", channel=CHANNEL) from None  # fmt: skip
    status = response.status_code
    if 200 <= status < 300:
        return
    code = _error_code(response)
    said = f"HTTP {status}" + (f" ({code})" if code else "")
    if status in _GONE:
        raise RecipientError(
            f"the Teams workflow at {where} refused the card: {said}; its URL is wrong, "
            "expired or the workflow was deleted",
            channel=CHANNEL,
            hint="In Teams, check the workflow 'Post to a channel when a webhook request is "
            "received' is on; if it was recreated, remove this subscriber and add the new "
            "URL with `funding-monitor subscribers add --teams-webhook URL`.",
        )
    if status == 413:
        raise MessageError(f"the Teams workflow at {where} refused the card as too large: "
                           f"{said}", channel=CHANNEL)  # fmt: skip
    raise TransportError(f"the Teams workflow at {where} answered {said}", channel=CHANNEL,
                         hint="Teams or Power Automate is busy or down; `funding-monitor "
                         "digest send` tries again.")  # fmt: skip


def _error_code(response: httpx.Response) -> str:
    """The error code of a workflow's JSON answer (``{"error": {"code": "…"}}``) when it
    looks like one, else "": the body itself is never shown."""
    try:
        data = json.loads(response.content[:4096] or b"null")
    except ValueError:
        return ""
    error = data.get("error") if isinstance(data, dict) else None
    code = error.get("code") if isinstance(error, dict) else None
    return code if isinstance(code, str) and _CODE.fullmatch(code) else ""


WEBHOOK = Channel(
    kind="teams-webhook",
    name=CHANNEL,
    description="a Teams Workflows webhook URL (a secret: shown masked)",
    check=check_webhook,
    render=render,
    open=open_sender,
    width=Width(MAX_BYTES, "bytes"),
    shared=False,  # each workflow URL is its own credential
    secrets=webhook_secrets,
)
