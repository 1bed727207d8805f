"""The email channel's I/O half: one SMTP connection (STARTTLS, SSL or plain, with optional
login) reused for many messages. Library errors become TransportError (retry later) or
RecipientError (this recipient is refused for good); neither ever carries the password."""

from __future__ import annotations

import binascii
import email
import io
import logging
import smtplib
import ssl
from dataclasses import dataclass, field
from email.generator import BytesGenerator
from email.message import Message
from email.utils import getaddresses
from types import TracebackType
from typing import Any, Protocol

from notifications.channel import Clients, Secret
from notifications.errors import (
    DeliveryError,
    RecipientDeferred,
    RecipientError,
    TransportError,
)

logger = logging.getLogger(__name__)
SECURITY = ("starttls", "ssl", "none")


class WireGenerator(BytesGenerator):  # type: ignore[misc]  # its private parts are untyped
    """The email package's BytesGenerator, writing each body at once rather than line by
    line, and plain short ASCII headers without a trip through the folding policy. Its output
    is byte for byte the standard generator's (a test checks); a weekly run flattens
    thousands of large messages, and the line-by-line loop was most of the sending time."""

    _NL: str
    _fp: Any
    policy: Any

    def _write_lines(self, lines: str) -> None:
        if lines:  # str.replace: several times faster than the regex on large bodies
            text = lines.replace("\r\n", "\n").replace("\r", "\n")
            self.write(text.replace("\n", self._NL) if self._NL != "\n" else text)

    def _write_headers(self, msg: Message) -> None:
        limit = self.policy.max_line_length or 998
        for name, value in msg.raw_items():
            if (isinstance(value, str) and value.isascii() and "\n" not in value
                    and "\r" not in value and len(name) + len(value) + 2 <= limit):  # fmt: skip
                self.write(f"{name}: {value}{self._NL}")
            else:
                self._fp.write(self.policy.fold_binary(name, value))
        self.write(self._NL)


def seven_bit(message: Message) -> Message:
    """A copy of ``message`` whose 8bit parts are quoted-printable, for a server without
    8BITMIME."""
    copy = email.message_from_bytes(wire_bytes(message), policy=message.policy)
    for part in copy.walk():
        if str(part.get("Content-Transfer-Encoding", "")).lower() == "8bit":
            raw = part.get_payload(decode=True)
            part.replace_header("Content-Transfer-Encoding", "quoted-printable")
            part.set_payload(binascii.b2a_qp(raw, istext=True).decode("ascii"))
    return copy


def wire_bytes(message: Message) -> bytes:
    """The message as sent: CRLF line ends."""
    out = io.BytesIO()
    WireGenerator(out, policy=message.policy.clone(linesep="\r\n")).flatten(message)
    return out.getvalue()


@dataclass(frozen=True)
class SmtpConfig:
    host: str = "localhost"
    port: int = 587
    security: str = "starttls"  # starttls | ssl | none
    username: str = ""
    password: str = field(default="", repr=False)
    timeout: float = 30.0
    tls: ssl.SSLContext | None = field(default=None, repr=False)  # default: system CAs

    def __post_init__(self) -> None:
        if self.security not in SECURITY:
            raise ValueError(f"SMTP security {self.security!r} is not one of {', '.join(SECURITY)}")

    @property
    def where(self) -> str:
        return f"{self.host}:{self.port}"


class SmtpSender:
    """``with SmtpSender(config) as smtp: smtp.send(message)``. Connects on first send and
    reconnects once if the server dropped an idle connection."""

    def __init__(self, config: SmtpConfig) -> None:
        self.config = config
        self._smtp: smtplib.SMTP | None = None

    def __enter__(self) -> SmtpSender:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:  # fmt: skip
        self.close()

    def _connect(self) -> smtplib.SMTP:
        c = self.config
        context = c.tls or ssl.create_default_context()
        try:
            if c.security == "ssl":
                smtp: smtplib.SMTP = smtplib.SMTP_SSL(c.host, c.port, timeout=c.timeout,
                                                      context=context)  # fmt: skip
            else:
                smtp = smtplib.SMTP(c.host, c.port, timeout=c.timeout)
            smtp.ehlo()
            if c.security == "starttls":
                smtp.starttls(context=context)
                smtp.ehlo()
            if c.username:
                smtp.login(c.username, c.password)
        except smtplib.SMTPAuthenticationError as exc:
            raise TransportError(
                f"SMTP server {c.where} refused the login of {c.username!r} ({exc.smtp_code})",
                channel="email",
                hint="Check FUNDING_MONITOR_SMTP_USERNAME and FUNDING_MONITOR_SMTP_PASSWORD.",
            ) from None
        except (OSError, smtplib.SMTPException) as exc:
            raise TransportError(
                f"cannot connect to SMTP server {c.where} ({c.security}): {_reason(exc)}",
                channel="email",
            ) from None
        logger.debug("smtp connected server=%s security=%s", c.where, c.security)
        return smtp

    def send(self, message: Message) -> None:
        """Send one message to its To/Cc addresses, from its From address. Raises
        RecipientError when every recipient is refused with a permanent (5xx) reply,
        RecipientDeferred when they are refused and one of them only for now (4xx),
        TransportError otherwise (the server, the connection, the login)."""
        sender = getaddresses([str(message["From"] or "")])[0][1]
        given = [str(v) for v in (message.get_all("To") or []) + (message.get_all("Cc") or [])]
        recipients = [address for _, address in getaddresses(given) if address]
        international = not all(a.isascii() for a in (sender, *recipients))
        for attempt in (1, 2):
            if self._smtp is None:
                self._smtp = self._connect()
            if self._smtp.has_extn("8bitmime"):
                data = wire_bytes(message)
                options = ["BODY=8BITMIME"] if not data.isascii() or international else []
            else:
                data, options = wire_bytes(seven_bit(message)), []
            if international:
                options.append("SMTPUTF8")
            try:
                self._smtp.sendmail(sender, recipients, data, options)
                return
            except smtplib.SMTPServerDisconnected:
                self._smtp = None
                if attempt == 2:
                    raise TransportError(f"SMTP server {self.config.where} keeps disconnecting",
                                         channel="email") from None  # fmt: skip
            except smtplib.SMTPRecipientsRefused as exc:
                codes = [code for code, _ in exc.recipients.values()]
                refused: type[DeliveryError] = RecipientError
                if not all(c >= 500 for c in codes):
                    refused = RecipientDeferred
                raise refused(f"SMTP server {self.config.where} refused {', '.join(exc.recipients)}"
                            f": {_replies(exc.recipients)}", channel="email") from None  # fmt: skip
            except smtplib.SMTPResponseException as exc:
                error = RecipientError if exc.smtp_code >= 500 else TransportError
                self._reset()
                raise error(f"SMTP server {self.config.where} answered {exc.smtp_code}: "
                            f"{_text(exc.smtp_error)}", channel="email") from None  # fmt: skip
            except (OSError, smtplib.SMTPException) as exc:
                self._drop()
                raise TransportError(f"sending through {self.config.where} failed: "
                                     f"{_reason(exc)}", channel="email") from None  # fmt: skip

    def deliver(self, address: str, message: Message) -> None:
        """``send``, as a channel's Sender: the message names its recipients itself."""
        self.send(message)

    def _reset(self) -> None:
        try:
            if self._smtp is not None:
                self._smtp.rset()
        except (OSError, smtplib.SMTPException):
            self._drop()

    def _drop(self) -> None:
        if self._smtp is not None:
            try:
                self._smtp.close()
            finally:
                self._smtp = None

    def close(self) -> None:
        if self._smtp is None:
            return
        try:
            self._smtp.quit()
        except (OSError, smtplib.SMTPException):
            pass  # the messages are sent; a failed goodbye changes nothing
        finally:
            self._drop()


def _text(value: bytes | str) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


def _replies(recipients: dict[str, tuple[int, bytes]]) -> str:
    return "; ".join(f"{code} {_text(reply)}" for code, reply in recipients.values())


def _reason(exc: BaseException) -> str:
    return f"{exc.__class__.__name__}: {exc}" if str(exc) else exc.__class__.__name__


class SmtpSettings(Protocol):
    """The settings the email channel's sender reads."""

    @property
    def smtp_host(self) -> str: ...
    @property
    def smtp_port(self) -> int: ...
    @property
    def smtp_security(self) -> str: ...
    @property
    def smtp_username(self) -> str: ...
    @property
    def smtp_password(self) -> Secret: ...
    @property
    def http_timeout(self) -> float: ...


def open_sender(settings: SmtpSettings, clients: Clients) -> SmtpSender:
    """One SMTP connection (opened on its first message) as the settings describe it."""
    s = settings
    return SmtpSender(SmtpConfig(host=s.smtp_host, port=s.smtp_port, security=s.smtp_security,
                                 username=s.smtp_username,
                                 password=s.smtp_password.get_secret_value(),
                                 timeout=s.http_timeout, tls=clients.tls))  # fmt: skip
