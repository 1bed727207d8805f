"""The deadlines of a digest as an iCalendar file (RFC 5545), with icalendar. Pure."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from functools import lru_cache

from icalendar import Event

from notifications.digest import Digest
from notifications.wording import Words

PRODID = "-//funding-monitor//digest//EN"


def deadlines_calendar(digest: Digest, domain: str = "funding-monitor") -> bytes | None:
    """One event per upcoming deadline of the digest's calls (ending at the deadline), or None
    when no call in it has one. UIDs are stable per call and deadline, so that re-importing
    the file updates events instead of duplicating them."""
    events: dict[str, bytes] = {}
    for part in (digest.new, digest.changed, digest.reminders):
        for section in part:
            for item in section.items:
                for deadline in item.deadlines:
                    uid = f"call-{item.call_id}-{deadline.astimezone(UTC):%Y%m%dT%H%M%SZ}@{domain}"
                    if uid not in events:
                        events[uid] = _event(uid, item.title, item.identifier, item.url,
                                             deadline, digest.as_of, digest.language)  # fmt: skip
    if not events:
        return None
    head = (
        b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:" + PRODID.encode() + b"\r\nMETHOD:PUBLISH\r\n"
    )
    return head + b"".join(events.values()) + b"END:VCALENDAR\r\n"


@lru_cache(maxsize=32768)
def _event(uid: str, title: str, identifier: str, url: str, deadline: datetime,
           stamp: datetime, language: str) -> bytes:  # fmt: skip
    """One VEVENT, built by icalendar (cached: a run puts one call in many digests)."""
    event = Event()
    event.add("uid", uid)
    event.add("dtstamp", stamp.astimezone(UTC))
    event.add("dtstart", deadline.astimezone(UTC) - timedelta(minutes=30))
    event.add("dtend", deadline.astimezone(UTC))
    event.add("summary", Words(language, "UTC")("ics_summary", title=title))
    if url.startswith(("https://", "http://")):
        event.add("url", url)
    event.add("description", f"{identifier}\n{url}".strip())
    return bytes(event.to_ical())
