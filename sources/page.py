"""The ``page`` kind, for funders without a feed: a curator gives the page's URL and either CSS
selectors (item, title, link, deadline, summary) or a path into JSON, embedded in the page
(``__NEXT_DATA__`` on Wellcome and Grand Challenges) or served as is (a WordPress wp-json list)."""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from datetime import UTC, datetime, time
from typing import TYPE_CHECKING, Any
from urllib.parse import urljoin
from zoneinfo import ZoneInfo

import lxml.html
from lxml import etree
from lxml.cssselect import CSSSelector, SelectorError

from sources.dates_text import find_deadlines, parse_text_date
from sources.deadlines import compute_status, sorted_deadlines
from sources.errors import FetchError, ParseError
from sources.kind import SourceKind
from sources.records import CallRecord, Deadline, FetchResult, Page, SourceConfig
from sources.reporting import note_left_out
from sources.settings import Setting, bounded_int, choice, clock_setting, zone_setting
from sources.text import clean_line, html_to_text
from sources.urls import canonical_url, eu_topic_id
from sources.values import dates_in_range, shown_url

if TYPE_CHECKING:  # the HTTP client (httpx) is loaded by whoever fetches
    from sources.http import HttpClient, ResponseCache

logger = logging.getLogger(__name__)


def fetch(http: HttpClient, config: SourceConfig, cache: ResponseCache | None) -> FetchResult:
    """GET the page (conditionally) and decode its text; ``parse`` pulls out the items."""
    try:
        response = http.get(config.url, cache=cache)
    except FetchError as exc:
        raise exc.located(config.name, config.url) from exc
    text = response.content.decode(_charset(response.headers), errors="replace")
    # Relative links are resolved against where the page was found (after any redirect).
    page = Page(config.url, 1, {"text": text, "base": response.url})
    return FetchResult(config.name, (page,), {}, dict(config.state), (), config.settings)


def items_of(page: Page, settings: Mapping[str, Any], source: str) -> list[dict[str, str]]:
    """The page's items as plain dicts. Raises ParseError when the page cannot be read as
    configured, or holds more than ``max_items``; no match at all is logged (the monitor's
    health check turns the source unhealthy when it used to have items)."""
    base = page.data.get("base") or page.url
    if settings["mode"] == "css":
        items = css_items(page.data["text"], base, settings, source)
    else:
        items = json_items(page.data["text"], settings, source, base)
    if len(items) > settings["max_items"]:
        raise ParseError(f"{len(items)} items, more than max_items={settings['max_items']}",
                         source=source, url=page.url)  # fmt: skip
    if not items:
        logger.warning("source=%s no items matched on %s: has the page changed?", source,
                       shown_url(page.url))  # fmt: skip
    return items


def _charset(headers: Mapping[str, str]) -> str:
    for part in headers.get("content-type", "").split(";"):
        key, _, value = part.strip().partition("=")
        if key.lower() == "charset" and value:
            try:
                "".encode(value.strip('"'))
                return value.strip('"')
            except LookupError:
                break
    return "utf-8"


def css_items(text: str, url: str, settings: Mapping[str, Any], source: str
              ) -> list[dict[str, str]]:  # fmt: skip
    """One dict per element matching ``item``, with the text (and link) of its parts."""
    if not text.strip():
        raise ParseError("empty page", source=source, url=url)
    try:
        root = lxml.html.document_fromstring(text)
    except (etree.ParserError, ValueError) as exc:
        raise ParseError(f"not an HTML page: {exc}", source=source, url=url) from exc
    items = []
    for element in CSSSelector(settings["item"])(root):
        link = _first(element, settings["link"])
        href = link.get("href", "") if link is not None else ""
        items.append({
            "title": _text(_first(element, settings["title"])),
            "url": urljoin(url, href) if href else "",
            "deadline": _text(_first(element, settings["deadline"])),
            "summary": _html(_first(element, settings["summary"])),
            "id": "",
            "opens": "",
        })  # fmt: skip
    return items


def _first(element: Any, selector: str) -> Any:
    if not selector:
        return None
    found = CSSSelector(selector)(element)
    return found[0] if found else None


def _text(element: Any) -> str:
    return clean_line(element.text_content()) if element is not None else ""


def _html(element: Any) -> str:
    if element is None:
        return ""
    return etree.tostring(element, encoding="unicode", method="html")


def json_items(text: str, settings: Mapping[str, Any], source: str, url: str
               ) -> list[dict[str, str]]:  # fmt: skip
    """Items found at ``json_path`` in the JSON of ``json_script`` (or in the body itself)."""
    raw = text
    if settings["json_script"]:
        root = lxml.html.document_fromstring(text) if text.strip() else None
        found = CSSSelector(settings["json_script"])(root) if root is not None else []
        if not found:
            raise ParseError(f"no element matches {settings['json_script']!r}: has the page "
                             "changed?", source=source, url=url)  # fmt: skip
        raw = found[0].text or ""
    try:
        data = json.loads(raw)
    except ValueError as exc:
        raise ParseError(f"embedded data is not JSON: {exc}", source=source, url=url) from exc
    listing = walk(data, settings["json_path"])
    if not isinstance(listing, list):
        raise ParseError(f"{settings['json_path']!r} is not a list in the page's JSON",
                         source=source, url=url)  # fmt: skip
    fields = {key: settings[f"{key}_field"] for key in ("title", "url", "deadline", "summary",
                                                          "id", "opens")}  # fmt: skip
    items = []
    for entry in listing:
        if isinstance(entry, Mapping):
            values = {key: walk(entry, path) if path else "" for key, path in fields.items()}
            items.append({key: _scalar(value) for key, value in values.items()})
    for item in items:
        item["url"] = urljoin(url, item["url"]) if item["url"] else ""
        item["title"] = clean_line(html_to_text(item["title"]))
    return items


def walk(data: Any, path: str) -> Any:
    """``data`` followed along a dotted path ('props.pageProps.items', 'title.rendered', a
    number for a list index); None where the path breaks."""
    for step in filter(None, path.split(".")):
        if isinstance(data, Mapping):
            data = data.get(step)
        elif isinstance(data, list) and step.isdigit() and int(step) < len(data):
            data = data[int(step)]
        else:
            return None
    return data


def _scalar(value: Any) -> str:
    if value is None or isinstance(value, (dict, list)):
        return ""
    return str(value)


def parse(result: FetchResult, now: datetime) -> list[CallRecord]:
    """One record per distinct item id (the item's own id, else its canonical link)."""
    settings = result.settings
    records: dict[str, CallRecord] = {}
    for page in result.pages:
        items, left_out = items_of(page, settings, result.source), []
        for number, item in enumerate(items, 1):
            record = to_record(item, settings, now, source=result.source)
            if record is None:
                left_out.append(number)
            else:
                records.setdefault(record.external_id, record)
        note_left_out(logger, left_out, len(items), page.url, "no title or no http(s) link")
    return list(records.values())


def to_record(item: Mapping[str, str], settings: Mapping[str, Any], now: datetime,
              source: str = "") -> CallRecord | None:  # fmt: skip
    """One item as a CallRecord (None without a title or an http(s) link); dates out of range
    are dropped with a warning naming ``source`` and the item."""
    title, link = clean_line(item["title"]), clean_line(item["url"])
    if not title or not link.startswith(("http://", "https://")):
        return None
    url = canonical_url(link)
    external_id = clean_line(item["id"])[:300] or url[:300]
    zone = ZoneInfo(settings["deadline_timezone"])
    at = time.fromisoformat(settings["deadline_time"])
    deadlines = sorted_deadlines(Deadline(datetime.combine(day, at, zone), raw, True)
                                 for day, raw in _dates(item["deadline"]))  # fmt: skip
    opens_day = _dates(item["opens"])
    opens = datetime.combine(opens_day[0][0], time(0, 0), zone) if opens_day else None
    opens, deadlines = dates_in_range(opens, deadlines, source=source, item=external_id)
    status, flags = compute_status(opens, deadlines, None, now)
    return CallRecord(
        external_id=external_id,
        identifier=eu_topic_id(link) or external_id,
        title=title,
        url=url,
        funder=settings["funder"] or "unknown funder",
        programme=settings["programme"],
        status=status,
        description=item["summary"],
        opens=opens,
        deadlines=deadlines,
        flags=flags,
    )


def _dates(text: str) -> list[tuple[Any, str]]:
    """Dates in a deadline field: UNIX seconds, ISO, or words ("26 March 2026")."""
    text = clean_line(text)
    if not text:
        return []
    if text.isdigit() and len(text) in (10, 13):  # UNIX seconds (Grand Challenges) or ms
        seconds = int(text) / (1000 if len(text) == 13 else 1)
        return [(datetime.fromtimestamp(seconds, UTC).date(), text)]
    found = find_deadlines(text) or []
    if not found:
        day = parse_text_date(text)
        found = [(day, text)] if day else []
    return found


def _selector(text: str) -> str:
    if text:
        try:
            CSSSelector(text)
        except SelectorError as exc:
            raise ValueError(f"not a CSS selector: {exc}") from exc
    return text


KIND = SourceKind(
    name="page",
    description="a web page of calls read with CSS selectors, or JSON in or behind it",
    default_url="",
    settings=(
        Setting("mode", "css", "css (selectors) or json (a path into JSON)", choice("css", "json")),
        Setting("item", "article", "CSS: one element per call", _selector),
        Setting("title", "h2, h3, a", "CSS, inside an item: the title", _selector),
        Setting("link", "a[href]", "CSS, inside an item: the link to the call", _selector),
        Setting("deadline", "", "CSS, inside an item: the text with the deadline", _selector),
        Setting("summary", "p", "CSS, inside an item: the summary", _selector),
        Setting("json_script", "script#__NEXT_DATA__",
                "JSON mode: CSS for the script holding the JSON; empty if the body is JSON",
                _selector),
        Setting("json_path", "props.pageProps.initialListings",
                "JSON mode: dotted path to the list"),
        Setting("title_field", "title", "JSON mode: path to the title in an item"),
        Setting("url_field", "url", "JSON mode: path to the link in an item"),
        Setting("deadline_field", "", "JSON mode: path to the deadline (text, ISO or UNIX time)"),
        Setting("opens_field", "", "JSON mode: path to the opening date"),
        Setting("summary_field", "", "JSON mode: path to the summary (HTML allowed)"),
        Setting("id_field", "", "JSON mode: path to the item's own id"),
        Setting("funder", "", "the funder's name"),
        Setting("programme", "", "programme name to give every call"),
        Setting("deadline_time", "17:00", "time of day given to date-only deadlines",
                clock_setting),
        Setting("deadline_timezone", "Europe/London", "time zone of those deadlines",
                zone_setting),
        Setting("max_items", 50_000, "refuse pages with more items than this (the body size "
                "limit bounds memory)", bounded_int(1, 1_000_000)),
    ),
    fetch=fetch,
    parse=parse,
)  # fmt: skip
