"""Digests built by hand for the rendering and transport tests."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from email.message import Message
from typing import Any

from notifications.digest import Change, Digest, Item, Section

AS_OF = datetime(2026, 6, 27, 12, 50, tzinfo=UTC)
LABELS = {"global-actor": "The university as a global actor",
          "global-health-lmic": "Global health and LMIC collaboration",
          "at-home": "Internationalisation at home"}  # fmt: skip


SITE = "https://monitor.example.org"


def votes(call_id: int) -> tuple[str, str]:
    """The 👍/👎 links of a call, as ``monitor.digests.tokens.page_url`` writes them."""
    return (f"{SITE}/feedback?token=pg.tok&call={call_id}&vote=up",
            f"{SITE}/feedback?token=pg.tok&call={call_id}&vote=down")  # fmt: skip


def item(call_id: int = 1, **changes: object) -> Item:
    base = Item(
        call_id=call_id,
        title=f"Capacity development for clinical trials in Africa ({call_id})",
        url=f"https://ec.europa.eu/topic-details/HORIZON-JU-GH-EDCTP3-2026-{call_id:02d}",
        funder="Global Health EDCTP3 Joint Undertaking",
        programme="Horizon Europe",
        identifier=f"HORIZON-JU-GH-EDCTP3-2026-{call_id:02d}",
        status="open",
        deadlines=(datetime(2026, 9, 2, 15, 0, tzinfo=UTC),),
        budget=15_000_000.0,
        currency="EUR",
        tags=("global-actor", "global-health-lmic"),
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def digest(*items: Item, language: str = "en", **changes: object) -> Digest:
    items = items or (item(),)
    moved = replace(
        items[0],
        changes=(
            Change(
                "deadline_changed",
                (datetime(2026, 9, 2, 15, tzinfo=UTC),),
                (datetime(2026, 9, 16, 15, tzinfo=UTC),),
            ),
        ),
    )
    base = Digest(
        language=language,
        timezone="Europe/Stockholm",
        as_of=AS_OF,
        period="2026-W26",
        new=(Section("global-actor", items),),
        changed=(Section("global-actor", (moved,)),),
        tag_labels=LABELS,
        unsubscribe_url="https://monitor.example.org/unsubscribe?token=abc.def",
        preferences_url=f"{SITE}/preferences?token=pg.tok",
        web_url=f"{SITE}/digests/42?token=pg.tok",
        votes={i.call_id: votes(i.call_id) for i in items},
        reference="42",
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def email(built: Digest | None = None, **headers: object) -> Message:
    """A digest as an email, with plain test headers unless some are given."""
    from notifications import mail

    args: dict[str, Any] = {"sender": "monitor@ki.se", "recipient": "r@ki.se",
                            "message_id": "<d.1@ki.se>", "date": AS_OF, **headers}  # fmt: skip
    return mail.digest_message(built or digest(), **args)
