"""The EU Funding & Tenders Portal (SEDIA search API): Horizon Europe (with Global Health
EDCTP3), EU4Health, Erasmus+, Digital Europe and the other EU programmes."""

from __future__ import annotations

from sources.eu_ft import codes
from sources.eu_ft.fetch import DETAILS_URL, fetch
from sources.eu_ft.parse import parse
from sources.kind import SourceKind
from sources.settings import Setting, boolean, bounded_int, choice, csv_list, non_negative_float


def _programmes(text: str) -> tuple[str, ...]:
    values = csv_list(text)
    for value in values:
        codes.programme_code(value)  # raises ValueError naming the valid names
    return values


def _statuses(text: str) -> tuple[str, ...]:
    values = csv_list(text)
    bad = [v for v in values if v not in codes.CODE_BY_STATUS]
    if bad or not values:
        raise ValueError(f"use forthcoming, open and/or closed (got {text!r})")
    return values


def _types(text: str) -> tuple[str, ...]:
    values = csv_list(text)
    if not values or any(v not in ("0", "1", "2", "8") for v in values):
        raise ValueError("use 1 (grant topics), 2 (external action), 8 (cascade calls)")
    return values


KIND = SourceKind(
    name="eu-ft",
    description="EU Funding & Tenders Portal search API (--url: the API base, e.g. "
    "https://api.tech.ec.europa.eu/search-api/prod/rest)",
    default_url="https://api.tech.ec.europa.eu/search-api/prod/rest",
    settings=(
        Setting(
            "programmes",
            codes.DEFAULT_PROGRAMMES,
            "comma-separated programme names or frameworkProgramme codes; empty for all",
            _programmes,
        ),
        Setting(
            "types", ("1", "8"), "call types: 1 grant topics, 8 cascade calls, 2 EuropeAid", _types
        ),
        Setting("statuses", ("forthcoming", "open"), "portal statuses to ask for", _statuses),
        Setting(
            "languages", ("en",), "the languages part (one hit per topic per language)", csv_list
        ),
        Setting(
            "page_size", 100, "results per page (the server caps it at 100)", bounded_int(1, 100)
        ),
        Setting("max_pages", 200, "refuse to go past this many pages", bounded_int(1, 10_000)),
        Setting(
            "max_total",
            20_000,
            "fail if totalResults is above this (filter ignored)",
            bounded_int(1, 10**8),
        ),
        Setting("page_delay", 0.5, "seconds to pause between pages", non_negative_float),
        Setting(
            "enrich",
            "none",
            "topicDetails enrichment: none, stubs (no description) or all",
            choice("none", "stubs", "all"),
        ),
        Setting(
            "check_total",
            True,
            "compare the total with an unsorted request (a sort can drop documents)",
            boolean,
        ),
        Setting("details_url", DETAILS_URL, "base URL of the topicDetails JSON documents"),
    ),
    fetch=fetch,
    parse=parse,
)
