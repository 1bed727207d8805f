"""Errors of the notifications wing.

    DeliveryError          a digest or notice could not be delivered
    ├── TransportError     the server or API is unreachable, busy, or refuses our credentials
    │                      (an SMTP login, a Slack token; a webhook's 429 or 5xx): every
    │                      delivery through it waits
    ├── RecipientError     this recipient is refused for good (bad address, unknown channel)
    ├── RecipientDeferred  this recipient is refused for now (an SMTP 4xx for its address: a
    │                      full or busy mailbox, greylisting): it alone waits and is tried
    │                      again, up to a cap, while the others go through
    ├── MessageError       this one message was refused (malformed, too long): it alone is
    │                      retried, up to a cap, while the others go through
    └── DestinationError   an address, channel or webhook URL is malformed (caught before storing)

Each carries the channel, the recipient as safe to show (never a token, a webhook secret or a
server's answer that could echo one) and a hint an operator can act on.
"""

from __future__ import annotations


class DeliveryError(Exception):
    default_hint = ""
    retry = False

    def __init__(self, message: str, *, channel: str = "", hint: str | None = None) -> None:
        super().__init__(message)
        self.channel = channel
        self.hint = hint if hint is not None else self.default_hint


class TransportError(DeliveryError):
    default_hint = (
        "Check the FUNDING_MONITOR_SMTP_* / _SLACK_* settings and that the server is up; "
        "`funding-monitor digest send` retries what was not sent."
    )
    retry = True


class RecipientError(DeliveryError):
    default_hint = "Fix or remove the subscriber with `funding-monitor subscribers edit|remove`."


class RecipientDeferred(DeliveryError):
    default_hint = (
        "The recipient's mail server refused this address for now (a full or busy mailbox, "
        "greylisting); the next run tries again. If it lasts, check the address with the "
        "subscriber."
    )
    retry = True


class MessageError(DeliveryError):
    default_hint = (
        "The message built for this delivery was refused: a bug of funding-monitor; please "
        "report it with this error."
    )
    retry = True


class DestinationError(DeliveryError):
    default_hint = (
        "Give an email address (name@example.org), a Slack channel id (C0123ABCD), a Slack "
        "incoming-webhook URL or a Teams workflow webhook URL (https://…)."
    )
