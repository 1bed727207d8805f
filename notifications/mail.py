"""The email channel's pure half: a digest or notice → a MIME message (HTML + text from Jinja2
templates, the deadlines as .ics), with the headers that mail clients and list tools expect."""

from __future__ import annotations

from datetime import datetime
from email.headerregistry import Address
from email import policy
from email.message import EmailMessage
from email.utils import format_datetime

from email_validator import EmailNotValidError, validate_email
from jinja2 import Environment, PackageLoader, StrictUndefined

from notifications.digest import OTHER_AREA, Digest, Notice
from notifications.errors import DestinationError
from notifications.ics import deadlines_calendar
from notifications.wording import Words

CHANNEL = "email"
# Lines up to SMTP's 998 characters: a long List-Unsubscribe URL must stay one raw <URI>, not
# be folded into RFC 2047 encoded-words that mail clients do not read as a link.
POLICY = policy.SMTP.clone(max_line_length=998)


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
_HTML = _environment(autoescape=True).get_template("digest.html")
_TEXT = _environment(autoescape=False).get_template("digest.txt")
_NOTICE = _environment(autoescape=False).get_template("notice.txt")


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
    parts = [(name, sections) for name, sections in
             (("new", digest.new), ("changed", digest.changed), ("reminders", digest.reminders))
             if sections]  # fmt: skip

    def area(tag: str) -> str:
        return words("other") if tag == OTHER_AREA else digest.label(tag)

    def labels(tags: tuple[str, ...]) -> str:
        return ", ".join(digest.label(t) for t in tags)

    return {"d": digest, "w": words, "parts": parts, "area": area, "labels": labels}


def render_text(digest: Digest) -> str:
    return _TEXT.render(_context(digest))


def render_html(digest: Digest, *, has_calendar: bool = True) -> str:
    return _HTML.render(_context(digest), has_calendar=has_calendar)


def _headers(message: EmailMessage, sender: str, recipient: str, subject: str, *,
             message_id: str, date: datetime) -> None:  # fmt: skip
    message["From"] = sender
    message["To"] = Address(addr_spec=recipient)
    message["Subject"] = subject
    message["Date"] = format_datetime(date)
    message["Message-ID"] = message_id
    message["Auto-Submitted"] = "auto-generated"  # keeps out-of-office replies away


def digest_message(
    digest: Digest, *, sender: str, recipient: str, message_id: str, date: datetime
) -> EmailMessage:
    """The digest as multipart/mixed: alternative (text, HTML) + deadlines.ics when any call
    has a deadline. With an unsubscribe URL: List-Unsubscribe and List-Unsubscribe-Post
    (RFC 8058 one-click)."""
    words = Words(digest.language, digest.timezone)
    calendar = deadlines_calendar(
        digest, domain=sender.rpartition("@")[2].strip("> ") or "localhost"
    )
    message = EmailMessage(policy=POLICY)
    subject = words("subject", count=digest.count, period=digest.period)
    _headers(message, sender, recipient, subject, message_id=message_id, date=date)
    if digest.unsubscribe_url:
        message["List-Unsubscribe"] = f"<{digest.unsubscribe_url}>"
        message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message.set_content(render_text(digest), subtype="plain", charset="utf-8")
    message.add_alternative(render_html(digest, has_calendar=calendar is not None),
                            subtype="html", charset="utf-8")  # fmt: skip
    if calendar is not None:
        message.add_attachment(calendar, maintype="text", subtype="calendar",
                               filename="deadlines.ics", params={"method": "PUBLISH"})  # fmt: skip
    return message


def notice_message(
    notice: Notice, *, sender: str, recipient: str, message_id: str, date: datetime
) -> EmailMessage:
    words = Words(notice.language, notice.timezone)
    message = EmailMessage(policy=POLICY)
    state = words("notice_" + notice.state)
    subject = words("subject_notice", source=notice.source, state=state)
    _headers(message, sender, recipient, subject, message_id=message_id, date=date)
    message.set_content(_NOTICE.render(n=notice, w=words), subtype="plain", charset="utf-8")
    return message
