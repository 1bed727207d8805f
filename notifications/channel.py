"""What a delivery channel is: one shape for email, Slack, Teams… (as ``sources.kind`` is for
source kinds). The sending run looks a subscriber's destination kind up in
``notifications.registry`` and uses only this shape: adding a channel is one module that
builds a ``Channel`` plus one line in the registry.

A channel has two halves, as the house style asks:

* ``render`` is pure: a digest or notice, with its ``Envelope`` (who sends it to whom, its
  stable Message-ID, its date), becomes the channel's messages (one email; Block Kit messages;
  Adaptive Cards), each within the channel's ``width``.
* ``open`` does the I/O: from the monitor's settings (read by attribute; each channel's module
  declares the ones it reads as a Protocol) and the ``Clients`` handed in (tests, benchmarks),
  it opens a ``Sender``. ``Sender.deliver`` is where the channel's error mapping lives: it raises
  only ``TransportError`` (the server, API or credential failed: the delivery waits, with every
  other one through the same transport), ``RecipientError`` (this destination refuses for
  good), ``RecipientDeferred`` (it refuses for now) or ``MessageError`` (this one message was
  refused), never with a secret in the text.
"""

from __future__ import annotations

import ssl
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

from notifications.digest import Digest, Notice

if TYPE_CHECKING:
    import httpx
    from slack_sdk import WebClient


@dataclass(frozen=True)
class Envelope:
    """What a message says about itself beyond its content. ``message_id`` is stable per
    delivery (a resend after a crash carries the same one)."""

    sender: str  # the From address (email), else unused
    recipient: str  # the subscriber's address (an email address, a channel id, a webhook URL)
    message_id: str
    date: datetime


@dataclass(frozen=True)
class Outgoing:
    """A delivery's messages, in the order they are sent, and the Message-ID the ledger keeps
    (the channel's messages carry it), if any."""

    messages: tuple[Any, ...]
    message_id: str | None = None


@dataclass(frozen=True)
class Clients:
    """Clients handed in instead of built from the settings (tests, benchmarks); None: the
    channel builds its own."""

    tls: ssl.SSLContext | None = None  # for TLS connections (SMTP)
    slack_client: WebClient | None = None  # Slack's Web API (a loopback one in tests)
    http: httpx.Client | None = None  # for webhook POSTs (Teams)


class Sender(Protocol):
    def deliver(self, address: str, message: Any) -> None:
        """Send one message to ``address``; raises TransportError, RecipientError,
        RecipientDeferred or MessageError (the channel's error mapping)."""

    def close(self) -> None: ...


class Secret(Protocol):
    """A secret setting (pydantic's SecretStr)."""

    def get_secret_value(self) -> str: ...


@dataclass(frozen=True)
class Width:
    """How much one message can carry (informational; ``render`` keeps within it)."""

    amount: int
    unit: str  # "blocks", "bytes"…

    def __str__(self) -> str:
        return f"{self.amount} {self.unit} per message"


Content = Digest | Notice


@dataclass(frozen=True)
class Channel:
    """One destination kind and the channel that serves it.

    ``shared``: every destination of the kind goes through one transport (an SMTP server, a
    bot token), so a transport fault defers all of them for the rest of the run; otherwise
    each address is its own transport (a webhook URL is its own credential).
    ``parallel``: the sender is cheap per thread (an SMTP connection), so the run sends over
    ``send_connections`` of them at once; otherwise one thread posts to the channel in order
    (rate limits are per channel or webhook).
    ``secrets``: the parts of an address that are credentials (blanked wherever they could
    show); ``secret`` is true when there are any, and the address is shown masked."""

    kind: str  # the destination kind stored with a subscriber: email, slack-channel…
    name: str  # the channel, as errors name it: email, slack, teams
    description: str
    check: Callable[[str], str]  # the address normalised, or DestinationError
    render: Callable[[Content, Envelope], Outgoing]
    open: Callable[[Any, Clients], Sender]
    width: Width | None = None
    shared: bool = True
    parallel: bool = False
    secrets: Callable[[str], tuple[str, ...]] | None = None

    @property
    def secret(self) -> bool:
        return self.secrets is not None

    def transport(self, subscriber_id: int | None) -> str:
        """The key of the transport a destination is sent through: deliveries through one
        share its fate within a run."""
        return self.kind if self.shared else f"{self.kind} {subscriber_id}"
