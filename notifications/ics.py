"""The deadlines of a digest as an iCalendar file (RFC 5545), with icalendar. Pure."""

from __future__ import annotations

from datetime import UTC, timedelta

from icalendar import Calendar, Event

from notifications.digest import Digest
from notifications.wording import Words

PRODID = "-//funding-monitor//digest//EN"


def deadlines_calendar(digest: Digest, domain: str = "funding-monitor") -> bytes | None:
    """One event per upcoming deadline of the digest's calls (ending at the deadline), or None
    when no call in it has one. UIDs are stable per call and deadline, so that re-importing
    the file updates events instead of duplicating them."""
    words = Words(digest.language, digest.timezone)
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("method", "PUBLISH")
    seen: set[str] = set()
    for part in (digest.new, digest.changed, digest.reminders):
        for section in part:
            for item in section.items:
                for deadline in item.deadlines:
                    at = deadline.astimezone(UTC)
                    uid = f"call-{item.call_id}-{at:%Y%m%dT%H%M%SZ}@{domain}"
                    if uid in seen:
                        continue
                    seen.add(uid)
                    event = Event()
                    event.add("uid", uid)
                    event.add("dtstamp", digest.as_of.astimezone(UTC))
                    event.add("dtstart", at - timedelta(minutes=30))
                    event.add("dtend", at)
                    event.add("summary", words("ics_summary", title=item.title))
                    if item.url.startswith(("https://", "http://")):
                        event.add("url", item.url)
                    event.add("description", f"{item.identifier}\n{item.url}".strip())
                    calendar.add_component(event)
    return calendar.to_ical() if seen else None
