"""The ``feed`` kind: RSS and Atom call feeds through feedparser (bytes and headers in, never a
URL). Deadlines come from category fields and from the text; the id survives shared guids."""

from __future__ import annotations

import hashlib
import logging
from collections import Counter
from collections.abc import Mapping
from datetime import datetime, time
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from lxml import etree

from sources.dates_text import find_deadlines, parse_text_date
from sources.deadlines import compute_status, sorted_deadlines
from sources.errors import FetchError, ParseError
from sources.kind import SourceKind
from sources.records import CallRecord, Deadline, FetchResult, Page, SourceConfig
from sources.reporting import note_left_out
from sources.settings import Setting, bounded_int, clock_setting, csv_list, zone_setting
from sources.text import clean_line, html_to_text
from sources.urls import canonical_url, eu_topic_id
from sources.values import dates_in_range
from sources.xml_guard import screen_feed

if TYPE_CHECKING:  # the HTTP client (httpx) is loaded by whoever fetches
    from sources.http import HttpClient, ResponseCache

logger = logging.getLogger(__name__)
ATOM = "{http://www.w3.org/2005/Atom}id"
STATUS_WORDS = {
    "open": "open", "opened": "open", "ongoing": "open", "closed": "closed",
    "completed": "closed", "archived": "closed", "forthcoming": "forthcoming",
    "upcoming": "forthcoming", "planned": "forthcoming",
}  # fmt: skip


def fetch(http: HttpClient, config: SourceConfig, cache: ResponseCache | None) -> FetchResult:
    """GET the feed (conditionally). The bytes and headers go to ``parse`` (I/O only here)."""
    try:
        response = http.get(config.url, cache=cache)
    except FetchError as exc:
        raise exc.located(config.name, config.url) from exc
    data = {"content": response.content, "headers": dict(response.headers)}
    return FetchResult(config.name, (Page(config.url, 1, data),), {}, dict(config.state), (),
                       config.settings)  # fmt: skip


def decoded(page: Page, source: str, max_items: int) -> dict[str, Any]:
    """The page's feed, decoded (fetch keeps bytes; a test may hand in a decoded feed)."""
    if "entries" in page.data:
        return dict(page.data)
    feed = decode(page.data["content"], page.data["headers"], page.url, source)
    if len(feed["entries"]) > max_items:
        raise ParseError(
            f"{len(feed['entries'])} items, more than max_items={max_items}",
            source=source, url=page.url, hint="Is this really a feed of calls?",
        )  # fmt: skip
    if feed["problem"]:
        logger.warning("source=%s feed not well-formed, read anyway: %s", source, feed["problem"])
    return feed


def decode(content: bytes, headers: Mapping[str, str], url: str, source: str) -> dict[str, Any]:
    """The feed's items as plain dicts. Raises ParseError for HTML or for a feed so broken that
    no item could be read; a feed that is bozo but readable comes back with ``problem`` set."""
    import feedparser  # loaded to parse only: adding or listing sources never needs it

    screen_feed(content, source=source, url=url)  # before expat sees a byte
    parsed = feedparser.parse(content, response_headers=dict(headers))
    problem = str(parsed.get("bozo_exception") or "") if parsed.get("bozo") else ""
    head = content.lstrip()[:200].lower()
    usable = any(e.get("title") or e.get("link") for e in parsed.entries)
    if not usable and (b"<html" in head or b"<!doctype html" in head):
        raise ParseError("expected a feed, got an HTML page", source=source, url=url)
    if not usable and problem:
        raise ParseError(f"not a readable feed: {problem}", source=source, url=url)
    atom_ids = _atom_ids(content)
    entries = [
        _entry(e, atom_ids[i] if i < len(atom_ids) else None) for i, e in enumerate(parsed.entries)
    ]
    return {"title": clean_line(parsed.feed.get("title")), "entries": entries, "problem": problem}


def _atom_ids(content: bytes) -> list[str | None]:
    """atom:id of each RSS item, in order (feedparser lets the guid hide it)."""
    try:
        root = etree.fromstring(content, etree.XMLParser(recover=True, resolve_entities=False,
                                                         no_network=True))  # fmt: skip
    except etree.XMLSyntaxError:
        return []
    if root is None:
        return []
    return [item.findtext(ATOM) for item in root.iter("item")]


def _entry(entry: Any, atom_id: str | None) -> dict[str, Any]:
    return {
        "title": entry.get("title", ""),
        "link": entry.get("link", ""),
        "guid": entry.get("id", ""),
        "atom_id": atom_id or "",
        "summary": entry.get("summary", ""),
        "published": entry.get("published", ""),
        "tags": [[t.get("scheme") or "", t.get("term") or ""] for t in entry.get("tags", [])],
    }


def parse(result: FetchResult, now: datetime) -> list[CallRecord]:
    """One record per distinct item id; later duplicates of an id are dropped. Raises
    ParseError for a page that is not a feed, or one with more than ``max_items`` items."""
    settings = result.settings
    records: dict[str, CallRecord] = {}
    for page in result.pages:
        feed = decoded(page, result.source, settings["max_items"])
        entries = feed["entries"]
        shared = {g for g, n in Counter(e["guid"] for e in entries).items() if n > 1}
        left_out: list[int] = []
        for number, entry in enumerate(entries, 1):
            record = to_record(entry, entry["guid"] in shared, settings, feed, now,
                               source=result.source)  # fmt: skip
            if record is None:
                left_out.append(number)
            else:
                records.setdefault(record.external_id, record)
        note_left_out(logger, left_out, len(entries), page.url, "no title or no http(s) link")
    return list(records.values())


def to_record(entry: Mapping[str, Any], shared_guid: bool, settings: Mapping[str, Any],
              feed: Mapping[str, Any], now: datetime, source: str = ""
              ) -> CallRecord | None:  # fmt: skip
    """One item as a CallRecord (None without a title or an http(s) link); deadlines out of
    range are dropped with a warning naming ``source`` and the item."""
    title = clean_line(entry["title"])
    link = clean_line(entry["link"])
    if not title or not link.startswith(("http://", "https://")):
        return None
    url = canonical_url(link)
    external_id = stable_id(entry, shared_guid, url, title)
    categories = [(clean_line(k), clean_line(v)) for k, v in entry["tags"]]
    _, deadlines = dates_in_range(None, _deadlines(entry, categories, settings), source=source,
                                  item=external_id)  # fmt: skip
    status_word = next((v.lower() for k, v in categories if k == settings["status_domain"]), "")
    source_status = STATUS_WORDS.get(status_word)
    status, flags = compute_status(None, deadlines, source_status, now)
    if "invite only" in title.lower() or "invitation only" in title.lower():
        flags = (*flags, "invite-only")
    wanted = set(settings["keyword_domains"])
    return CallRecord(
        external_id=external_id,
        identifier=eu_topic_id(link) or external_id,
        title=title,
        url=url,
        funder=_funder(categories, settings, feed),
        programme=settings["programme"],
        status=status,
        description=entry["summary"],
        call_title=next((v for k, v in categories if k == "Call for proposals"), ""),
        action_types=tuple(v for k, v in categories if k == "Type of action"),
        deadlines=deadlines,
        keywords=tuple(dict.fromkeys(v for k, v in categories if k in wanted or not k)),
        source_status=source_status,
        flags=flags,
    )


def stable_id(entry: Mapping[str, Any], shared_guid: bool, url: str, title: str) -> str:
    """atom:id, else a guid that no other item shares, else the canonical link plus a digest
    of the title (two items may share one link: EDCTP3 nodes 662 and 663)."""
    if entry["atom_id"]:
        return clean_line(entry["atom_id"])[:300]
    if entry["guid"] and not shared_guid:
        return clean_line(entry["guid"])[:300]
    digest = hashlib.sha1(title.lower().encode()).hexdigest()[:12]
    return f"{url[:280]}#{digest}"


def _funder(categories: list[tuple[str, str]], settings: Mapping[str, Any],
            feed: Mapping[str, Any]) -> str:  # fmt: skip
    if settings["funder"]:
        return settings["funder"]
    body = next((v for k, v in categories if "corporate-body" in k), "")
    return body or feed.get("title") or "unknown funder"


def _deadlines(entry: Mapping[str, Any], categories: list[tuple[str, str]],
               settings: Mapping[str, Any]) -> tuple[Deadline, ...]:  # fmt: skip
    """Deadline categories first; failing those, deadlines announced in title or summary."""
    zone = ZoneInfo(settings["deadline_timezone"])
    at = time.fromisoformat(settings["deadline_time"])
    found: list[Deadline] = []
    for key, value in categories:
        if key.lower() in settings["deadline_domains"]:
            day = parse_text_date(value)
            if day:
                found.append(Deadline(datetime.combine(day, at, zone), value, True))
    if not found:
        text = f"{entry['title']}\n{html_to_text(entry['summary'], max_html=50_000)}"
        for day, words in find_deadlines(text):
            found.append(Deadline(datetime.combine(day, at, zone), words, True))
    return sorted_deadlines(found)


def _lower_list(text: str) -> tuple[str, ...]:
    return tuple(v.lower() for v in csv_list(text))


KIND = SourceKind(
    name="feed",
    description="an RSS or Atom feed of calls (--url: the feed's address)",
    default_url="",
    settings=(
        Setting(
            "funder",
            "",
            "the funder's name (default: the item's corporate-body category, else the feed title)",
        ),
        Setting("programme", "", "programme name to give every call"),
        Setting("status_domain", "Status", "category domain holding Open/Closed/Forthcoming"),
        Setting(
            "deadline_domains",
            ("deadline", "closing date"),
            "category domains holding a deadline date",
            _lower_list,
        ),
        Setting(
            "keyword_domains",
            ("http://data.europa.eu/uxp/det",),
            "category domains kept as keywords (plain categories always are)",
            csv_list,
        ),
        Setting(
            "deadline_time", "17:00", "time of day given to date-only deadlines", clock_setting
        ),
        Setting(
            "deadline_timezone", "Europe/Brussels", "time zone of those deadlines", zone_setting
        ),
        Setting(
            "max_items",
            50_000,
            "refuse feeds with more items than this (the body size limit bounds memory)",
            bounded_int(1, 1_000_000),
        ),
    ),
    fetch=fetch,
    parse=parse,
)
