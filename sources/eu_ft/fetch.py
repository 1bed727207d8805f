"""I/O half of the EU Funding & Tenders source: the SEDIA search API, every page, and optional
topicDetails enrichment (SOURCES-GUIDE §3.2–3.4, §3.8, §3.11)."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from sources.errors import FetchError, ParseError
from sources.eu_ft import codes
from sources.eu_ft.parse import first
from sources.records import FetchResult, Page, SourceConfig
from sources.text import clean_line

if TYPE_CHECKING:  # the HTTP client (httpx) is loaded by whoever fetches
    from sources.http import HttpClient, Response, ResponseCache

logger = logging.getLogger(__name__)

DETAILS_URL = "https://ec.europa.eu/info/funding-tenders/opportunities/data/topicDetails"
# Explicit, stable order: relevance order loses and repeats hits between pages (§3.4).
SORT = [
    {"field": "identifier", "order": "ASC"},
    {"field": "DATASOURCE", "order": "ASC"},
    {"field": "esDA_IngestDate", "order": "ASC"},
]


def build_query(settings: Mapping[str, Any]) -> dict[str, Any]:
    """The boolean query for the configured types, statuses and programmes (all values strings)."""
    must: list[dict[str, Any]] = [
        {"terms": {"type": [str(t) for t in settings["types"]]}},
        {"terms": {"status": [codes.CODE_BY_STATUS[s] for s in settings["statuses"]]}},
    ]
    programmes = [codes.programme_code(p) for p in settings["programmes"]]
    if programmes:
        must.append({"terms": {"frameworkProgramme": programmes}})
    return {"bool": {"must": must}}


def search_parts(
    settings: Mapping[str, Any], *, sort: bool = True
) -> dict[str, tuple[str, str, str]]:
    """Multipart file parts, each with a filename and its own application/json type: plain
    form fields give a 500 and a JSON body is silently ignored by the server (§3.2)."""
    parts = {
        "query": ("query.json", json.dumps(build_query(settings)), "application/json"),
        "languages": (
            "languages.json",
            json.dumps(list(settings["languages"])),
            "application/json",
        ),
    }
    if sort:
        parts["sort"] = ("sort.json", json.dumps(SORT), "application/json")
    return parts


def fetch(
    http: HttpClient,
    config: SourceConfig,
    cache: ResponseCache | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> FetchResult:
    """Every page of open and forthcoming topics, then topicDetails when ``enrich`` says so.

    Raises FetchError or ParseError naming the page when any page fails: a partial scan is never
    returned (§3.11), so nothing stored is touched by a failed run.
    """
    search_url = config.url.rstrip("/") + "/search"
    pages, total = _scan(http, config, search_url, sleep)
    warnings = _total_warnings(config, total)
    if config.settings["check_total"]:
        warnings += _unsorted_total_check(http, config, search_url, total)
    documents, more = _enrich(http, config, pages, cache)
    state = {**config.state, "total": total}
    return FetchResult(config.name, tuple(pages), documents, state, (*warnings, *more))


def _scan(
    http: HttpClient, config: SourceConfig, search_url: str, sleep: Callable[[float], None]
) -> tuple[list[Page], int]:
    """All pages in order, stopping on a short page or at totalResults; never partial."""
    settings = config.settings
    size = settings["page_size"]
    pages: list[Page] = []
    for number in range(1, settings["max_pages"] + 1):
        page_url = f"{search_url}?pageSize={size}&pageNumber={number}"
        params = {"apiKey": "SEDIA", "text": "***", "pageSize": size, "pageNumber": number}
        try:
            response = http.request("POST", search_url, params=params, files=search_parts(settings))
        except FetchError as exc:
            raise exc.located(config.name, page_url) from exc
        data = decode_page(response, page_url, number, size, config.name)
        total = data["totalResults"]
        if total > settings["max_total"]:
            raise ParseError(
                f"totalResults {total:,} exceeds max_total {settings['max_total']:,}: the query "
                "filter was probably ignored by the server",
                source=config.name,
                url=page_url,
                hint="Check the request shape; raise max_total only if the total is genuine.",
            )
        pages.append(Page(url=page_url, number=number, data=data))
        if len(data["results"]) < size or number * size >= total:
            return pages, total
        sleep(settings["page_delay"])
    raise ParseError(
        f"more than max_pages={settings['max_pages']} pages; refusing a partial scan",
        source=config.name,
        url=search_url,
        hint="Raise max_pages or narrow the programmes.",
    )


def decode_page(
    response: Response, url: str, number: int, size: int, source: str
) -> dict[str, Any]:
    """The decoded page after the checks a 200 must pass (§2.1): JSON content, the envelope's
    fields, the echoed paging and a list of results. Raises ParseError saying which failed."""

    def fail(reason: str) -> ParseError:
        return ParseError(reason, source=source, url=url, status=response.status)

    body = response.content
    if not body.strip():
        raise fail("empty body")
    if body.lstrip()[:1] == b"<" or "html" in response.content_type:
        raise fail(f"expected JSON, got an HTML/XML page ({response.content_type or 'no type'})")
    try:
        data = json.loads(body)
    except ValueError as exc:
        raise fail(f"body is not valid JSON ({exc.__class__.__name__}: {exc}); truncated?") from exc
    if not isinstance(data, dict):
        raise fail(f"expected a JSON object, got {type(data).__name__}")
    if data.get("type") == "throwable" or data.get("businessError"):
        message = clean_line(str(data.get("message") or data.get("businessError")))[:300]
        raise fail(f"API error: {message}")
    results = data.get("results")
    if not isinstance(results, list):
        raise fail("no 'results' list in the response")
    if not isinstance(data.get("totalResults"), int):
        raise fail("no integer 'totalResults' in the response")
    if data.get("pageNumber") not in (None, number) or data.get("pageSize") not in (None, size):
        raise fail(
            f"paging not honoured: asked page {number} size {size}, got page "
            f"{data.get('pageNumber')} size {data.get('pageSize')}"
        )
    if not results and data["totalResults"] > (number - 1) * size:
        raise fail(f"empty page although totalResults is {data['totalResults']}")
    return data


def _total_warnings(config: SourceConfig, total: int) -> tuple[str, ...]:
    previous = config.state.get("total")
    if isinstance(previous, int) and previous >= 20 and total < previous / 2:
        return (f"total fell from {previous} to {total} since the last run",)
    return ()


def _unsorted_total_check(
    http: HttpClient, config: SourceConfig, search_url: str, total: int
) -> tuple[str, ...]:
    """A sort on a field some documents lack drops them (§3.4): compare the sorted total with
    an unsorted pageSize=1 request. A difference is a warning, not a failure."""
    url = f"{search_url}?pageSize=1&pageNumber=1 (unsorted)"
    params = {"apiKey": "SEDIA", "text": "***", "pageSize": 1, "pageNumber": 1}
    try:
        response = http.request(
            "POST", search_url, params=params, files=search_parts(config.settings, sort=False)
        )
        unsorted = decode_page(response, url, 1, 1, config.name)["totalResults"]
    except (FetchError, ParseError) as exc:
        return (f"unsorted total check failed: {exc.reason}",)
    if unsorted != total:
        return (f"sorted scan found {total} results but the unsorted total is {unsorted}",)
    return ()


def enrichment_targets(pages: list[Page], mode: str) -> list[str]:
    """Grant topics to fetch topicDetails for: stubs (no copy has a description) or all."""
    described: dict[str, bool] = {}
    for page in pages:
        for hit in page.data["results"]:
            meta = hit.get("metadata") if isinstance(hit, dict) else None
            identifier = first(meta, "identifier") if isinstance(meta, dict) else None
            if not isinstance(identifier, str) or str(first(meta, "type") or "1") != "1":
                continue  # external-action and cascade calls have no topicDetails
            has_text = bool(first(meta, "descriptionByte"))
            described[identifier] = described.get(identifier, False) or has_text
    return sorted(i for i, rich in described.items() if mode == "all" or not rich)


def _enrich(
    http: HttpClient, config: SourceConfig, pages: list[Page], cache: ResponseCache | None
) -> tuple[dict[str, Any], tuple[str, ...]]:
    """topicDetails for the enrichment targets; a failure only warns."""
    mode = config.settings["enrich"]
    if mode == "none":
        return {}, ()
    documents: dict[str, Any] = {}
    warnings: list[str] = []
    for identifier in enrichment_targets(pages, mode):
        try:
            documents[identifier] = topic_details(http, config, identifier, cache)
        except (FetchError, ParseError) as exc:
            warnings.append(f"topicDetails {identifier}: {exc.reason}")
    return documents, tuple(warnings)


def topic_details(
    http: HttpClient, config: SourceConfig, identifier: str, cache: ResponseCache | None
) -> dict[str, Any]:
    """The TopicDetails object, trying the lower-case identifier first, then as given (§3.8)."""
    base = config.settings["details_url"].rstrip("/")
    last: FetchError | None = None
    for candidate in dict.fromkeys((identifier.lower(), identifier)):
        url = f"{base}/{candidate}.json"
        try:
            response = http.get(url, cache=cache)
        except FetchError as exc:
            if exc.status == 404:
                last = exc
                continue
            raise
        try:
            data = json.loads(response.content)
        except ValueError as exc:
            raise ParseError("topicDetails is not JSON", source=config.name, url=url) from exc
        details = data.get("TopicDetails") if isinstance(data, dict) else None
        if not isinstance(details, dict):
            raise ParseError("no TopicDetails object", source=config.name, url=url)
        return details
    assert last is not None
    raise last
