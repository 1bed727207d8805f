"""The shape every channel has: the registry's kinds, each rendering a digest and a notice
within its width, and the address checks the registry answers with."""

from __future__ import annotations

import json

import pytest

from notifications import registry
from notifications.channel import Envelope
from notifications.digest import Notice
from notifications.errors import DestinationError
from tests.notifications.samples import AS_OF, digest, item

ENVELOPE = Envelope(sender="monitor@ki.se", recipient="r@ki.se", message_id="<d.1@ki.se>",
                    date=AS_OF)  # fmt: skip
NOTICE = Notice(language="en", timezone="UTC", as_of=AS_OF, source="eu", state="unhealthy",
                reason="HTTP 503")  # fmt: skip


def test_every_destination_kind_has_its_channel() -> None:
    assert set(registry.CHANNELS) == {"email", "slack-channel", "slack-webhook", "teams-webhook"}
    for kind, channel in registry.CHANNELS.items():
        assert channel.kind == kind and channel.description
        assert registry.destination(kind) is channel
    with pytest.raises(DestinationError) as raised:
        registry.destination("fax")
    assert "fax" in str(raised.value) and "teams-webhook" in str(raised.value)


@pytest.mark.parametrize("kind", sorted(registry.CHANNELS))
def test_each_channel_renders_within_its_width(kind: str) -> None:
    channel = registry.destination(kind)
    long = digest(*[item(n) for n in range(1, 120)])
    outgoing = channel.render(long, ENVELOPE)
    assert outgoing.messages
    if channel.width is not None and channel.width.unit == "blocks":
        assert all(len(m.blocks) <= channel.width.amount for m in outgoing.messages)
    if channel.width is not None and channel.width.unit == "bytes":
        assert all(len(m.data()) <= channel.width.amount for m in outgoing.messages)
    # only email's messages carry the delivery's Message-ID (the ledger keeps it)
    assert (outgoing.message_id == "<d.1@ki.se>") == (kind == "email")
    notice = channel.render(NOTICE, ENVELOPE)
    assert len(notice.messages) == 1 and "HTTP 503" in _text(notice.messages[0])


def _text(message: object) -> str:
    if hasattr(message, "as_string"):
        return str(message.as_string())
    if hasattr(message, "data"):
        return message.data().decode()
    return json.dumps(message.blocks)  # type: ignore[attr-defined]


def test_secret_addresses_name_their_secret_parts() -> None:
    assert not registry.destination("email").secret
    assert not registry.destination("slack-channel").secret
    hook = "https://hooks.slack.com/services/T0/B0/s3cr3t"
    assert "/services/T0/B0/s3cr3t" in registry.destination("slack-webhook").secrets(hook)  # type: ignore[misc]
