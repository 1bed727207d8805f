"""A real SMTP server on 127.0.0.1 (aiosmtpd) that keeps what it receives, for email tests.

``rules`` lets a test script the server: refuse a recipient (for good or for now), or answer
a temporary failure from the Nth message on (an outage in the middle of a run)."""

from __future__ import annotations

import email
import email.policy
import socket
import ssl
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


@dataclass
class Mailbox:
    messages: list[EmailMessage] = field(default_factory=list)
    envelopes: list[tuple[str, list[str]]] = field(default_factory=list)
    peers: set[tuple[str, int]] = field(default_factory=set)
    logins: list[str] = field(default_factory=list)
    refuse: set[str] = field(default_factory=set)  # recipients answered 550
    defer: set[str] = field(default_factory=set)  # recipients answered 450 (for now)
    fail_from: int | None = None  # answer 451 to every message after this many were taken
    on_data: Callable[[int], None] | None = None  # called before message N (1-based) is taken
    host: str = "127.0.0.1"
    port: int = 0

    @property
    def connections(self) -> int:
        return len(self.peers)

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.messages if m["To"] == address]


class _Handler:
    def __init__(self, box: Mailbox) -> None:
        self.box = box

    async def handle_EHLO(self, server: Any, session: Any, envelope: Any, hostname: str,
                          responses: list[str]) -> list[str]:  # fmt: skip
        self.box.peers.add(tuple(session.peer))  # STARTTLS starts a new session, same peer
        session.host_name = hostname
        return responses

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str,
                          options: list[str]) -> str:  # fmt: skip
        if address in self.box.refuse:
            return "550 5.1.1 no such user here"
        if address in self.box.defer:
            return "450 4.2.1 mailbox busy, try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        number = len(self.box.messages) + 1
        if self.box.on_data is not None:
            self.box.on_data(number)
        if self.box.fail_from is not None and number > self.box.fail_from:
            return "451 4.3.0 mail system busy, try later"
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        self.box.messages.append(message)
        self.box.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        return "250 OK queued"


def _authenticator(box: Mailbox, user: str, password: str) -> Callable[..., AuthResult]:
    def check(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> AuthResult:
        ok = (
            isinstance(data, LoginPassword)
            and data.login.decode() == user
            and (data.password.decode() == password)
        )
        if ok:
            box.logins.append(user)
        return AuthResult(success=ok, handled=False)

    return check


def free_port() -> int:
    """A port free on loopback now (aiosmtpd 1.4 cannot listen on port 0 itself)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def mail_server(
    *,
    tls: ssl.SSLContext | None = None,
    implicit_tls: bool = False,
    login: tuple[str, str] | None = None,
) -> Iterator[Mailbox]:
    """An SMTP server on a free loopback port: plain, STARTTLS (``tls``) or implicit TLS
    (``tls`` and ``implicit_tls``); with ``login``, AUTH is required."""
    box = Mailbox()
    kwargs: dict[str, Any] = {"hostname": "127.0.0.1", "port": free_port()}
    if tls is not None and implicit_tls:
        kwargs["ssl_context"] = tls
    elif tls is not None:
        kwargs.update(tls_context=tls, require_starttls=True)
    if login is not None:
        kwargs.update(authenticator=_authenticator(box, *login), auth_required=True,
                      auth_require_tls=tls is not None and not implicit_tls)  # fmt: skip
    controller = Controller(_Handler(box), **kwargs)
    controller.start()
    box.port = controller.port
    try:
        yield box
    finally:
        controller.stop()
