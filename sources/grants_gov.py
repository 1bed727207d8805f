"""The ``grants-gov`` kind: the Grants.gov search2 API (JSON POST, no key), every page, with
the fetchOpportunity detail for deadlines, award ranges and eligibility (SOURCES-GUIDE §4.1)."""

from __future__ import annotations

import html
import json
import re
import time
from collections.abc import Callable, Mapping
from datetime import date, datetime
from datetime import time as clock
from typing import TYPE_CHECKING, Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

from sources.deadlines import compute_status, sorted_deadlines
from sources.errors import FetchError, ParseError
from sources.kind import SourceKind
from sources.records import CallRecord, Deadline, FetchResult, Page, SourceConfig
from sources.settings import Setting, bounded_int, non_negative_float
from sources.text import clean_line
from sources.values import amount, dates_in_range

if TYPE_CHECKING:  # the HTTP client (httpx) is loaded by whoever fetches
    from sources.http import HttpClient, Response, ResponseCache

DETAIL_PAGE = "https://www.grants.gov/search-results-detail/"
STATUSES = {"forecasted": "forthcoming", "posted": "open", "closed": "closed", "archived": "closed"}
EASTERN = ZoneInfo("America/New_York")
DUE_TIME = clock(17, 0)  # date-only Grants.gov dates: 5 p.m. Eastern by convention


def fetch(
    http: HttpClient,
    config: SourceConfig,
    cache: ResponseCache | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> FetchResult:
    """Every page of search2 hits, then fetchOpportunity for up to ``max_details`` of them."""
    settings = config.settings
    base = config.url.rstrip("/")
    pages: list[Page] = []
    start, total = 0, None
    while total is None or start < total:
        if start >= settings["max_records"]:
            raise ParseError(
                f"more than max_records={settings['max_records']} hits; refusing a partial scan",
                source=config.name, url=f"{base}/search2",
                hint="Narrow the keyword or agencies, or raise max_records.",
            )  # fmt: skip
        body = search_body(settings, start)
        data = _post(http, config, f"{base}/search2", body, f"startRecordNum={start}")
        hits, total = _check_page(data, config, start, settings["rows"])
        pages.append(Page(f"{base}/search2?startRecordNum={start}", len(pages) + 1, data))
        if len(hits) < settings["rows"]:
            break
        start += len(hits)
        sleep(settings["page_delay"])
    documents, warnings = _details(http, config, pages)
    return FetchResult(config.name, tuple(pages), documents, dict(config.state), warnings,
                       settings)  # fmt: skip


def search_body(settings: Mapping[str, Any], start: int) -> dict[str, Any]:
    """The search2 request: several values are joined with '|' (commas give 0 hits, §4.1)."""
    body: dict[str, Any] = {
        "oppStatuses": "|".join(settings["statuses"]),
        "rows": settings["rows"],
        "startRecordNum": start,
    }
    for key in ("keyword", "agencies", "fundingCategories", "eligibilities"):
        value = settings[_SETTING_OF[key]]
        if value:
            body[key] = "|".join(value) if isinstance(value, tuple) else value
    return body


_SETTING_OF = {
    "keyword": "keyword",
    "agencies": "agencies",
    "fundingCategories": "funding_categories",
    "eligibilities": "eligibilities",
}


def _post(http: HttpClient, config: SourceConfig, url: str, body: dict[str, Any], where: str
          ) -> dict[str, Any]:  # fmt: skip
    located = f"{url}?{where}"
    try:
        response = http.request("POST", url, json=body)
    except FetchError as exc:
        raise exc.located(config.name, located) from exc
    return decode(response, located, config.name)


def decode(response: Response, url: str, source: str) -> dict[str, Any]:
    """The ``data`` object of a Grants.gov answer, after the envelope checks (§2.1)."""

    def fail(reason: str) -> ParseError:
        return ParseError(reason, source=source, url=url, status=response.status)

    if response.content.lstrip()[:1] == b"<":
        raise fail(f"expected JSON, got an HTML/XML page ({response.content_type or 'no type'})")
    try:
        envelope = json.loads(response.content)
    except ValueError as exc:
        raise fail(f"body is not valid JSON ({exc}); truncated?") from exc
    if not isinstance(envelope, dict) or not isinstance(envelope.get("data"), dict):
        raise fail("no 'data' object in the response")
    errors = envelope["data"].get("errorMsgs") or envelope["data"].get("errorMessages") or []
    if envelope.get("errorcode") not in (0, "0") or errors:
        message = clean_line(str(envelope.get("msg") or errors))[:300]
        raise fail(f"API error {envelope.get('errorcode')}: {message}")
    return envelope["data"]


def _check_page(data: Mapping[str, Any], config: SourceConfig, start: int, rows: int
                ) -> tuple[list[Any], int]:  # fmt: skip
    url = f"{config.url.rstrip('/')}/search2?startRecordNum={start}"
    hits, total = data.get("oppHits"), data.get("hitCount")
    if not isinstance(hits, list) or not isinstance(total, int):
        raise ParseError("no 'oppHits' list or integer 'hitCount'", source=config.name, url=url)
    echo = data.get("searchParams") or {}
    if echo.get("startRecordNum", start) != start or echo.get("rows", rows) != rows:
        raise ParseError(
            f"paging not honoured: asked start {start} rows {rows}, got start "
            f"{echo.get('startRecordNum')} rows {echo.get('rows')}",
            source=config.name, url=url,
        )  # fmt: skip
    return hits, total


def _details(http: HttpClient, config: SourceConfig, pages: list[Page]
             ) -> tuple[dict[str, Any], tuple[str, ...]]:  # fmt: skip
    """fetchOpportunity per hit, up to max_details; a failure only warns."""
    limit = config.settings["max_details"]
    ids = list(dict.fromkeys(str(h.get("id")) for p in pages for h in p.data["oppHits"]))
    documents: dict[str, Any] = {}
    warnings: list[str] = []
    base = config.url.rstrip("/")
    for opportunity in ids[:limit]:
        if not opportunity.isdigit():
            continue
        try:
            body = {"opportunityId": int(opportunity)}
            documents[opportunity] = _post(http, config, f"{base}/fetchOpportunity", body,
                                           f"opportunityId={opportunity}")  # fmt: skip
        except (FetchError, ParseError) as exc:
            warnings.append(f"fetchOpportunity {opportunity}: {exc.reason}")
    if len(ids) > limit:
        warnings.append(f"details fetched for {limit} of {len(ids)} opportunities (max_details)")
    return documents, tuple(warnings)


def parse(result: FetchResult, now: datetime) -> list[CallRecord]:
    """One record per opportunity id, details merged in when fetched."""
    records: dict[str, CallRecord] = {}
    for page in result.pages:
        for hit in page.data.get("oppHits") or ():
            if not isinstance(hit, dict) or not str(hit.get("id") or "").strip():
                continue
            detail = result.documents.get(str(hit["id"]))
            record = to_record(hit, detail if isinstance(detail, Mapping) else None, now,
                               source=result.source)  # fmt: skip
            records.setdefault(record.external_id, record)
    return list(records.values())


def to_record(hit: Mapping[str, Any], detail: Mapping[str, Any] | None, now: datetime,
              source: str = "") -> CallRecord:  # fmt: skip
    """One opportunity (plus its detail); unusable amounts and dates are dropped with a
    warning naming ``source`` and the opportunity."""
    synopsis = (detail or {}).get("synopsis") or {}
    external_id = clean_line(str(hit["id"]))
    number = clean_line(str(hit.get("number") or "")) or external_id
    opens_day = _us_date(hit.get("openDate"))
    opens = datetime.combine(opens_day, clock(0, 0), EASTERN) if opens_day else None
    opens, deadlines = dates_in_range(opens, _deadlines(hit, detail), source=source,
                                      item=number)  # fmt: skip
    source_status = STATUSES.get(str(hit.get("oppStatus") or "").lower())
    status, flags = compute_status(opens, deadlines, source_status, now)
    eligibility = clean_line(synopsis.get("applicantEligibilityDesc"))
    ceiling = _amount(synopsis.get("awardCeiling"), source, number)
    return CallRecord(
        external_id=external_id,
        identifier=number,
        title=clean_line(hit.get("title")) or number,
        url=DETAIL_PAGE + quote(external_id, safe=""),
        funder=clean_line(hit.get("agency") or synopsis.get("agencyName")) or "US federal agency",
        programme="US federal (Grants.gov)",
        status=status,
        description=_description(synopsis, eligibility),
        call_identifier=clean_line(hit.get("agencyCode")),
        action_types=tuple(_descriptions(synopsis.get("fundingInstruments"))),
        opens=opens,
        deadlines=deadlines,
        budget=ceiling,
        currency="USD" if ceiling is not None else None,
        keywords=tuple(dict.fromkeys([*(clean_line(c) for c in hit.get("cfdaList") or ()),
                                      *_descriptions(synopsis.get("fundingActivityCategories"))])),
        source_status=source_status,
        flags=(*flags, *foreign_flags(eligibility)),
    )  # fmt: skip


def foreign_flags(eligibility: str) -> tuple[str, ...]:
    """Whether organisations outside the US may apply: there is no filter for it (§4.1)."""
    text = eligibility.lower()
    flags = []
    if re.search(r"non-domestic \(non-u\.s\.\) entities \(foreign organizations\) are not eligible",
                 text):  # fmt: skip
        flags.append("foreign-orgs-not-eligible")
    elif re.search(r"non-domestic \(non-u\.s\.\) entities \(foreign organizations\) are eligible",
                   text):  # fmt: skip
        flags.append("foreign-orgs-eligible")
    if "foreign components" in text and "are allowed" in text:
        flags.append("foreign-components-allowed")
    return tuple(flags)


def _deadlines(hit: Mapping[str, Any], detail: Mapping[str, Any] | None) -> tuple[Deadline, ...]:
    found: list[Deadline] = []
    for package in (detail or {}).get("opportunityPkgs") or ():
        raw = str(package.get("closingDate") or "")
        day = _iso_date(raw)
        if day:
            found.append(Deadline(datetime.combine(day, DUE_TIME, EASTERN), raw, True))
    if not found:
        raw = str(hit.get("closeDate") or "")
        day = _us_date(raw)
        if day:
            found.append(Deadline(datetime.combine(day, DUE_TIME, EASTERN), raw, True))
    return sorted_deadlines(found)


def _us_date(raw: Any) -> date | None:
    match = re.fullmatch(r"\s*(\d{2})/(\d{2})/(\d{4})\s*", str(raw or ""))
    try:
        return date(int(match[3]), int(match[1]), int(match[2])) if match else None
    except ValueError:
        return None


def _iso_date(raw: str) -> date | None:
    try:
        return date.fromisoformat(raw[:10])
    except ValueError:
        return None


def _amount(value: Any, source: str, item: str) -> float | None:
    """An award amount ("$1,000,000", 1000000); "none", "" and missing give None."""
    text = value.replace(",", "").replace("$", "") if isinstance(value, str) else value
    return amount(text, source=source, item=item, field="awardCeiling")


def _descriptions(items: Any) -> list[str]:
    return [clean_line(i.get("description")) for i in items or () if isinstance(i, dict)]


def _description(synopsis: Mapping[str, Any], eligibility: str) -> str:
    text = synopsis.get("synopsisDesc") or ""
    if eligibility:
        text += f"<h3>Eligibility</h3><p>{html.escape(eligibility)}</p>"
    return text if isinstance(text, str) else ""


def _statuses(text: str) -> tuple[str, ...]:
    values = tuple(v.strip().lower() for v in re.split(r"[|,]", text) if v.strip())
    if not values or any(v not in STATUSES for v in values):
        raise ValueError(f"use {', '.join(STATUSES)} (got {text!r})")
    return values


def _pipe_list(text: str) -> tuple[str, ...]:
    return tuple(v.strip() for v in re.split(r"[|,]", text) if v.strip())


KIND = SourceKind(
    name="grants-gov",
    description="Grants.gov search2 + fetchOpportunity (--url: the API base, e.g. "
    "https://api.grants.gov/v1/api)",
    default_url="https://api.grants.gov/v1/api",
    settings=(
        Setting("keyword", "", "search words; quote a phrase (words are OR-ed)"),
        Setting("agencies", (), "agency codes, e.g. HHS-NIH11 (all NIH institutes, Fogarty "
                "included)", _pipe_list),
        Setting("statuses", ("forecasted", "posted"), "forecasted, posted, closed, archived",
                _statuses),
        Setting("funding_categories", (), "category codes, e.g. HL for health", _pipe_list),
        Setting("eligibilities", (), "eligibility codes (99 unrestricted, 25 others)", _pipe_list),
        Setting("rows", 100, "hits per page", bounded_int(1, 1000)),
        Setting("max_records", 2000, "refuse a search with more hits than this",
                bounded_int(1, 100_000)),
        Setting("max_details", 200, "fetchOpportunity calls per run at most (0: none)",
                bounded_int(0, 10_000)),
        Setting("page_delay", 0.5, "seconds to pause between pages", non_negative_float),
    ),
    fetch=fetch,
    parse=parse,
)  # fmt: skip
