"""The destinations a subscriber can have, one line each: the channel that serves the kind
(``notifications.channel.Channel``: its address check, render, sender, width). Adding a
channel is one module plus one line here. An unknown kind is a DestinationError listing the
known ones."""

from __future__ import annotations

from notifications import mail, slack, teams
from notifications.channel import Channel
from notifications.errors import DestinationError

CHANNELS: dict[str, Channel] = {
    channel.kind: channel
    for channel in (
        mail.EMAIL,
        slack.BOT,
        slack.WEBHOOK,
        teams.WEBHOOK,
    )
}


def destination(kind: str) -> Channel:
    """The channel serving destinations of ``kind``; DestinationError listing the known ones."""
    if kind not in CHANNELS:
        raise DestinationError(f"unknown destination {kind!r}; known: {', '.join(CHANNELS)}")
    return CHANNELS[kind]
