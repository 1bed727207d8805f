"""The JSON API: ``/api/v1/calls`` (the search page's filters, as query parameters) and
``/api/v1/calls/{ref}`` (a number or an identifier). Its OpenAPI schema is at
``/api/openapi.json``, browsable at ``/api/docs``; every answer, errors included, matches it
(a schemathesis run in the tests checks)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from monitor.app import calls, search
from monitor.app.context import App
from monitor.errors import ConfigError
from monitor.web import params

router = APIRouter(prefix="/api/v1", tags=["calls"])
MAX_PER_PAGE = 100
MAX_DAYS = search.MAX_DAYS
Status = Literal["forthcoming", "open", "closed"]
Sort = Literal["relevance", "deadline", "newest"]
Language = Literal["en", "sv"]


class Problem(BaseModel):
    error: str = Field(description="what was wrong, naming the parameter or value")


class Linked(BaseModel):
    source: str
    identifier: str = ""
    url: str = ""


class CallOut(BaseModel):
    """A call as ``funding-monitor calls list --json`` prints it."""

    id: int
    source: str
    external_id: str
    identifier: str
    title: str
    summary: str = Field(description="plain text, at most 6,000 characters")
    url: str
    funder: str
    programme: str
    call_identifier: str
    call_title: str
    action_types: list[str]
    status: str = Field(description="forthcoming | open | closed, as at the request")
    source_status: str | None
    flags: list[str]
    opens: str | None = Field(description="ISO 8601 with its offset")
    deadlines: list[str] = Field(description="ISO 8601 with offsets, in order")
    deadlines_date_only: bool
    deadline_model: str | None
    dates_from: str
    next_deadline: str | None
    budget: float | None
    currency: str | None
    keywords: list[str]
    tags: dict[str, float] = Field(description="tag id -> score, given tags only")
    sources: list[str]
    also_listed: list[dict[str, Any]]
    first_seen: str | None
    last_seen: str | None
    last_changed: str | None
    unseen_since: str | None


class FacetOut(BaseModel):
    value: str
    label: str
    count: int
    chosen: bool


class Page(BaseModel):
    total: int = Field(description="calls matching, on every page")
    page: int
    per_page: int
    calls: list[CallOut]
    facets: dict[str, list[FacetOut]]


class Evidence(BaseModel):
    tag: str
    label: str
    score: float
    origin: str
    reasons: list[str]


class CallDetail(CallOut):
    changes: list[dict[str, Any]] = Field(description="the typed change timeline, oldest first")
    evidence: list[Evidence]


ERRORS: dict[int | str, dict[str, Any]] = {400: {"model": Problem}, 404: {"model": Problem}}


def _app(request: Request) -> App:
    found: App = request.app.state.app
    return found


def _problem(status: int, exc: ConfigError) -> JSONResponse:
    return JSONResponse({"error": str(exc)}, status_code=status)


@router.get("/calls", response_model=Page, responses=ERRORS, summary="Search the calls")
async def list_calls(
    request: Request,
    q: Annotated[str, Query(max_length=500, description="full text: every word must match")] = "",
    tag: Annotated[list[str], Query(description="a tag id; repeatable (any of them)")] = [],  # noqa: B006
    status: Annotated[list[Status], Query(description="repeatable (any of them)")] = [],  # noqa: B006
    programme: Annotated[list[str], Query(description="a programme or funder")] = [],  # noqa: B006
    region: Annotated[list[str], Query(description="a region or country")] = [],  # noqa: B006
    source: Annotated[list[str], Query(description="a source's name")] = [],  # noqa: B006
    deadline_from: Annotated[
        date | None,
        Query(alias="from", description="next deadline on or after this day (not after `to`)"),
    ] = None,
    deadline_to: Annotated[date | None, Query(alias="to", description="… on or before")] = None,
    within: Annotated[
        int | None, Query(ge=0, le=MAX_DAYS, description="closes within so many days")
    ] = None,
    sort: Annotated[Sort, Query()] = "relevance",
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    per_page: Annotated[int, Query(ge=1, le=MAX_PER_PAGE)] = 20,
    lang: Annotated[Language, Query(description="the language of facet labels")] = "en",
) -> Any:
    given: dict[str, list[str]] = {
             "q": [q], "tag": tag, "status": list(status), "programme": programme,
             "region": region, "source": source,
             "from": [deadline_from.isoformat() if deadline_from else ""],
             "to": [deadline_to.isoformat() if deadline_to else ""],
             "within": ["" if within is None else str(within)], "sort": [sort],
             "page": [str(page)]}  # fmt: skip
    try:
        query = params.read(given, per_page=per_page)
    except ConfigError as exc:  # what the schema cannot say: `from` after `to`
        return _problem(400, exc)
    found = await run_in_threadpool(search.search, _app(request), query, lang=lang)
    return {
        "total": found.total, "page": page, "per_page": per_page,
        "calls": [c.to_json() for c in found.calls],
        "facets": {f: [v.__dict__ for v in vs] for f, vs in found.facets.items()},
    }  # fmt: skip


@router.get("/calls/{ref}", response_model=CallDetail, responses=ERRORS, summary="One call")
async def one_call(
    request: Request,
    ref: Annotated[str, Path(max_length=300, description="the call's number or identifier")],
    lang: Annotated[Language, Query(description="the language of tag labels")] = "en",
) -> Any:
    try:
        shown = await run_in_threadpool(calls.page, _app(request), ref)
    except ConfigError as exc:
        return _problem(404, exc)
    language = lang
    return {
        **shown.call.to_json(),
        "changes": [{"kind": c.kind, "at": c.at.isoformat(), "old": c.old, "new": c.new}
                    for c in shown.call.changes],
        "evidence": [{"tag": e.tag, "label": e.labels.get(language) or e.tag, "score": e.score,
                      "origin": e.origin, "reasons": e.reasons} for e in shown.evidence],
    }  # fmt: skip
