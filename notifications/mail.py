"""The email channel's pure half: a digest or notice → a MIME message (HTML + text from Jinja2
templates, the deadlines as .ics), with the headers that mail clients and list tools expect."""

from __future__ import annotations

import binascii
import secrets
from dataclasses import replace
from datetime import datetime
from email.header import Header
from email.message import Message
from email.mime.multipart import MIMEMultipart
from email.mime.nonmultipart import MIMENonMultipart
from email.policy import compat32
from email.utils import format_datetime, formataddr, parseaddr
from functools import lru_cache

from email_validator import EmailNotValidError, validate_email
from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup, escape

from notifications import smtp
from notifications.channel import Channel, Envelope, Outgoing
from notifications.digest import OTHER_AREA, Digest, Item, Notice, Section
from notifications.errors import DestinationError
from notifications.ics import deadlines_calendar
from notifications.wording import Words

CHANNEL = "email"
# Header lines up to SMTP's 998 characters: a long List-Unsubscribe URL must stay one <URI> on
# the header's own line, as one-click unsubscribe tools read it.
POLICY = compat32.clone(max_line_length=998)
MAX_LINE = 998


def _environment(autoescape: bool) -> Environment:
    env = Environment(
        loader=PackageLoader("notifications", "templates"),
        autoescape=autoescape,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["web"] = lambda url: (
        isinstance(url, str) and url.startswith(("https://", "http://"))
    )
    return env


# Autoescaping is on for HTML and off for the text part, where escaping would show as "&amp;".
_HTML_ENV, _TEXT_ENV = _environment(autoescape=True), _environment(autoescape=False)
_HTML, _ITEM_HTML = _HTML_ENV.get_template("digest.html"), _HTML_ENV.get_template("item.html")
_TEXT, _ITEM_TEXT = _TEXT_ENV.get_template("digest.txt"), _TEXT_ENV.get_template("item.txt")
_NOTICE = _TEXT_ENV.get_template("notice.txt")


# A run renders the same call for thousands of subscribers: each call's block is rendered once
# per language and part, and the digests are assembled from those blocks (3x faster rendering
# in bench/digest.py). Bounded: about twice the blocks of that run (2,258), a few MB at most.
# The subscriber's own links (👍/👎) are added around the block, so that it stays shared.
@lru_cache(maxsize=4096)
def _fragment(
    html: bool, item: Item, language: str, timezone: str, labels: str, as_of: datetime
) -> str:
    template = _ITEM_HTML if html else _ITEM_TEXT
    text = template.render(item=item, w=Words(language, timezone), labels=labels, as_of=as_of)
    # HTML in few lines: every SMTP hop handles a message line by line (the text stays as is)
    return _packed(text.splitlines()) if html else text


def _packed(lines: list[str], width: int = 800) -> str:
    """HTML lines joined into lines of up to about ``width`` characters (tags end each
    template line, so joining them adds or removes no space that shows)."""
    out: list[str] = []
    current = ""
    for line in lines:
        if current and len(current) + len(line) > width:
            out.append(current)
            current = ""
        current += line
    return "\n".join([*out, current]) if current else "\n".join(out)


def check_address(address: str) -> str:
    """The address normalised (domain lowercased), or DestinationError saying what is wrong.
    Syntax only: no DNS lookup."""
    try:
        return str(validate_email(address, check_deliverability=False).normalized)
    except EmailNotValidError as exc:
        raise DestinationError(
            f"{address!r} is not an email address: {exc}", channel=CHANNEL
        ) from None


def _context(digest: Digest) -> dict[str, object]:
    words = Words(digest.language, digest.timezone)
    parts = [(name, sections, sum(len(s.items) for s in sections)) for name, sections in
             (("new", digest.new), ("changed", digest.changed), ("reminders", digest.reminders))
             if sections]  # fmt: skip

    def area(tag: str) -> str:
        return words("other") if tag == OTHER_AREA else digest.label(tag)

    return {"d": digest, "w": words, "parts": parts, "area": area}


def _items(digest: Digest, section: Section, html: bool) -> str:
    """A section's calls, each block rendered once per run and language and joined here
    (a Jinja loop over thousands of digests' items cost more than the blocks themselves),
    each with the subscriber's 👍/👎 links."""
    words = Words(digest.language, digest.timezone)
    ask, yes, no = (escape(words(k)) if html else words(k)
                    for k in ("vote_ask", "vote_up", "vote_down"))  # fmt: skip
    blocks = []
    for item in section.items:
        block = _fragment(html, item, digest.language, digest.timezone,
                          ", ".join(digest.label(t) for t in item.tags), digest.as_of)  # fmt: skip
        up, down = _votes(digest, item)
        if html:
            votes = (f'<p class="votes">{ask} <a href="{escape(up)}">{yes}</a> '
                     f'<a href="{escape(down)}">{no}</a></p>\n') if up else ""  # fmt: skip
            block = f'<div class="call">\n{block}\n{votes}</div>'
        elif up:
            block += f"  {yes}: {up}\n  {no}: {down}\n"
        blocks.append(block)
    return "\n" + "\n".join(blocks)


def _votes(digest: Digest, item: Item) -> tuple[str, str]:
    """The subscriber's 👍 and 👎 links for ``item``, or ("", "") when it has none (both
    must be web links)."""
    up, down = digest.votes.get(item.call_id, ("", ""))
    web = all(url.startswith(("https://", "http://")) for url in (up, down))
    return (up, down) if web else ("", "")


def render_text(digest: Digest) -> str:
    def items(section: Section) -> str:
        return _items(digest, section, html=False)

    return _TEXT.render(_context(digest), items=items)


def render_html(digest: Digest, *, has_calendar: bool = True) -> str:
    def items(section: Section) -> Markup:
        # the blocks come from the autoescaping environment: already safe HTML
        return Markup(_items(digest, section, html=True))  # noqa: S704

    return _HTML.render(_context(digest), items=items, has_calendar=has_calendar)


def web_copy(digest: Digest) -> str:
    """The digest as its web copy shows it (the page "view in browser" opens): the email's
    HTML, without a link to itself or the attachment's name."""
    return render_html(replace(digest, web_url=""), has_calendar=False)


def _header(value: str) -> str | Header:
    """A header value on one line; non-ASCII as an RFC 2047 encoded word."""
    value = " ".join(value.split())  # no CR/LF: a value from the world cannot add headers
    return value if value.isascii() else Header(value, "utf-8")


def _headers(message: Message, sender: str, recipient: str, subject: str, *,
             message_id: str, date: datetime) -> None:  # fmt: skip
    name, address = parseaddr(sender)
    message["From"] = formataddr((name, address), charset="utf-8")
    message["To"] = _header(recipient)  # type: ignore[assignment]  # Message takes a Header
    message["Subject"] = _header(subject)  # type: ignore[assignment]
    message["Date"] = format_datetime(date)
    message["Message-ID"] = " ".join(message_id.split())
    message["Auto-Submitted"] = "auto-generated"  # keeps out-of-office replies away


def _part(maintype: str, subtype: str, data: bytes, **params: str) -> MIMENonMultipart:
    """A UTF-8 part sent as it is (8bit) when every line fits SMTP's 998 octets, else
    quoted-printable (binascii's C encoder). No encoding pass over the thousands of large
    bodies of a weekly run; ``notifications.smtp`` re-encodes for a server without 8BITMIME."""
    part = MIMENonMultipart(maintype, subtype, policy=POLICY, charset="utf-8", **params)
    del part["MIME-Version"]  # only the top-level message carries it
    if max(map(len, data.splitlines()), default=0) <= MAX_LINE:
        part["Content-Transfer-Encoding"] = "8bit"
        part.set_payload(data.decode("ascii", "surrogateescape"))  # bytes written back as-is
    else:
        part["Content-Transfer-Encoding"] = "quoted-printable"
        part.set_payload(binascii.b2a_qp(data, istext=True).decode("ascii"))
    return part


def _boundary() -> str:
    """A random MIME boundary (96 random bits cannot occur in a part by chance), so the
    generator need not search every part for it."""
    return f"=_fm_{secrets.token_hex(12)}"


def _text(body: str, subtype: str) -> MIMENonMultipart:
    return _part("text", subtype, body.encode("utf-8"))


def digest_message(
    digest: Digest, *, sender: str, recipient: str, message_id: str, date: datetime
) -> Message:
    """The digest as multipart/mixed: alternative (text, HTML) + deadlines.ics when any call
    has a deadline. With an unsubscribe URL: List-Unsubscribe and List-Unsubscribe-Post
    (RFC 8058 one-click).

    Built with the email package's MIME classes (compat32), several times faster than
    EmailMessage for the thousands of large messages of a weekly run."""
    words = Words(digest.language, digest.timezone)
    domain = parseaddr(sender)[1].rpartition("@")[2] or "localhost"
    calendar = deadlines_calendar(digest, domain=domain)
    body = MIMEMultipart("alternative", _boundary(), policy=POLICY, _subparts=[
        _text(render_text(digest), "plain"),
        _text(render_html(digest, has_calendar=calendar is not None), "html"),
    ])  # fmt: skip
    message: Message = body
    if calendar is not None:
        attachment = _part("text", "calendar", calendar, method="PUBLISH")
        attachment.add_header("Content-Disposition", "attachment", filename="deadlines.ics")
        message = MIMEMultipart("mixed", _boundary(), [body, attachment], policy=POLICY)
    subject = words.subject(digest.count, digest.period)
    if "MIME-Version" not in message:
        message["MIME-Version"] = "1.0"
    _headers(message, sender, recipient, subject, message_id=message_id, date=date)
    if digest.unsubscribe_url:
        message["List-Unsubscribe"] = f"<{digest.unsubscribe_url}>"
        message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    return message


def notice_message(
    notice: Notice, *, sender: str, recipient: str, message_id: str, date: datetime
) -> Message:
    words = Words(notice.language, notice.timezone)
    message = _text(_NOTICE.render(n=notice, w=words), "plain")
    message["MIME-Version"] = "1.0"
    state = words("notice_" + notice.state)
    subject = words("subject_notice", source=notice.source, state=state)
    _headers(message, sender, recipient, subject, message_id=message_id, date=date)
    return message


def render(content: Digest | Notice, envelope: Envelope) -> Outgoing:
    """The channel's render: one MIME message, carrying the delivery's Message-ID."""
    e = envelope
    if isinstance(content, Digest):
        message = digest_message(content, sender=e.sender, recipient=e.recipient,
                                 message_id=e.message_id, date=e.date)  # fmt: skip
    else:
        message = notice_message(content, sender=e.sender, recipient=e.recipient,
                                 message_id=e.message_id, date=e.date)  # fmt: skip
    return Outgoing((message,), envelope.message_id)


EMAIL = Channel(
    kind="email",
    name=CHANNEL,
    description="an email address, through the SMTP server of the FUNDING_MONITOR_SMTP_* settings",
    check=check_address,
    render=render,
    open=smtp.open_sender,
    parallel=True,  # one SMTP connection per sending thread: send_connections at once
)
