"""The destinations a subscriber can have, one line each: the channel that serves it and the
check its address must pass. An unknown kind is a DestinationError listing the known ones."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from notifications import mail, slack
from notifications.errors import DestinationError


@dataclass(frozen=True)
class Destination:
    kind: str
    channel: str  # the module that renders and sends: mail or slack
    check: Callable[[str], str]  # the address normalised, or DestinationError
    secret: bool = False  # the address itself is a secret (shown masked)


DESTINATIONS = {
    "email": Destination("email", mail.CHANNEL, mail.check_address),
    "slack-channel": Destination("slack-channel", slack.CHANNEL, slack.check_channel),
    "slack-webhook": Destination("slack-webhook", slack.CHANNEL, slack.check_webhook, True),
}


def destination(kind: str) -> Destination:
    if kind not in DESTINATIONS:
        raise DestinationError(f"unknown destination {kind!r}; known: {', '.join(DESTINATIONS)}")
    return DESTINATIONS[kind]
