"""The email channel's I/O half: one SMTP connection (STARTTLS, SSL or plain, with optional
login) reused for many messages. Library errors become TransportError (retry later) or
RecipientError (this recipient is refused for good); neither ever carries the password."""

from __future__ import annotations

import logging
import smtplib
import ssl
from dataclasses import dataclass, field
from email.message import EmailMessage
from types import TracebackType

from notifications.errors import RecipientError, TransportError

logger = logging.getLogger(__name__)
SECURITY = ("starttls", "ssl", "none")


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
        self.sent = 0

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

    def send(self, message: EmailMessage) -> None:
        """Send one message. Raises RecipientError when every recipient is refused with a
        permanent (5xx) reply, TransportError otherwise."""
        for attempt in (1, 2):
            if self._smtp is None:
                self._smtp = self._connect()
            try:
                self._smtp.send_message(message)
                self.sent += 1
                return
            except smtplib.SMTPServerDisconnected:
                self._smtp = None
                if attempt == 2:
                    raise TransportError(f"SMTP server {self.config.where} keeps disconnecting",
                                         channel="email") from None  # fmt: skip
            except smtplib.SMTPRecipientsRefused as exc:
                codes = [code for code, _ in exc.recipients.values()]
                error = RecipientError if all(c >= 500 for c in codes) else TransportError
                raise error(f"SMTP server {self.config.where} refused {', '.join(exc.recipients)}"
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
