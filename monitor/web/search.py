"""The front page, search: full text, facets with counts, removable filter pills, a deadline
range and "closes within", sort, pages, and the same result as CSV, JSON and an Atom feed.
Every state is in the URL (``monitor.web.params``); htmx swaps the results in place and
pushes the URL, and without JavaScript the same form and links work as plain HTML."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any
from xml.sax.saxutils import escape

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from monitor.app import search
from monitor.errors import ConfigError
from monitor.web import params
from monitor.web.app import app_of, language_of, render
from monitor.web.present import Present, cut

router = APIRouter()
ATOM_SIZE = 50
CSV_COLUMNS = ("identifier", "title", "status", "next_deadline", "deadlines", "programme",
               "funder", "budget", "currency", "tags", "sources", "url", "page")  # fmt: skip


def _query(request: Request, per_page: int = params.PER_PAGE) -> search.Query:
    given = {name: request.query_params.getlist(name) for name in params.FIELDS}
    return params.read(given, per_page=per_page)


@router.get("/", include_in_schema=False)
async def front(request: Request) -> Response:
    lang = language_of(request)
    try:
        query = _query(request)
    except ConfigError as exc:
        query, problem = search.checked_query(), str(exc)
    else:
        problem = ""
    found = await run_in_threadpool(search.search, app_of(request), query, lang=lang)
    response = render(request, "search.html", _context(request, found, lang, problem),
                      status=400 if problem else 200)  # fmt: skip
    if request.headers.get("hx-request"):  # the address bar gets the search's own link,
        page = query.offset // query.limit + 1  # without the form's empty fields
        response.headers["hx-push-url"] = params.link("/", query, page=page if page > 1 else None)
    return response


def _context(request: Request, found: search.Results, lang: str, problem: str) -> dict[str, Any]:
    query = found.query
    settings = app_of(request).settings
    present = Present(lang, settings.timezone, app_of(request).now())
    labels = {v.value: v.label for v in found.facets.get("tag", [])}
    relabelled = {**found.facets, "status": [replace(v, label=present.status(v.value))
                                        for v in found.facets.get("status", [])]}  # fmt: skip
    facets = [{"name": name, "values": _chosen_first(values)}
              for name, values in relabelled.items() if values]  # fmt: skip
    pills = [{"text": value.label, "href": params.link("/", query, remove=(name, value.value))}
             for name, values in relabelled.items()
             for value in values if value.chosen]  # fmt: skip
    for name in ("from", "to", "within"):
        shown = {"from": query.deadline_from, "to": query.deadline_to,
                 "within": query.closes_within}[name]  # fmt: skip
        if shown is not None:
            text = (present.texts["within_days"].format(days=shown) if name == "within"
                    else f"{present.texts['deadline_' + name]} {shown}")  # fmt: skip
            pills.append({"text": text, "href": params.link("/", query, **{name: None})})
    page = query.offset // query.limit + 1
    last = max(1, -(-found.total // query.limit))
    numbers = sorted({1, last, *range(max(1, page - 2), min(last, page + 2) + 1)})
    pages: list[dict[str, Any]] = []
    for n in numbers:
        if pages and n - pages[-1]["n"] > 1:
            pages.append({"n": "…", "href": None, "current": False})
        pages.append({"n": n, "href": params.link("/", query, page=n if n > 1 else None),
                      "current": n == page})  # fmt: skip
    return {
        "query": query, "total": found.total, "total_text": f"{found.total:,}".replace(",", " "),
        "calls": found.calls, "facets": facets, "pills": pills, "sorts": search.SORTS,
        "first": query.offset + 1, "pages": pages, "problem": problem,
        "previous": params.link("/", query, page=page - 1 if page > 2 else None)
        if page > 1 else None,
        "next": params.link("/", query, page=page + 1) if page < last else None,
        "exports": {
            "csv": params.link("/calls.csv", query), "json": params.link("/calls.json", query),
            "atom": params.link("/calls.atom", query),
            "email": params.link("/subscribe", query) if _has(request, "/subscribe") else None,
        },
        "as_of": found.as_of or datetime.now(UTC),
        "when": present.when, "left": present.left, "cut": cut,
        "last_deadline": present.last_deadline,
        "status_label": present.status,
        "tag_label": lambda tag: labels.get(tag, tag),
    }  # fmt: skip


def _chosen_first(values: list[search.Facet]) -> list[search.Facet]:
    return sorted(values, key=lambda v: not v.chosen)


def _has(request: Request, path: str) -> bool:
    """Whether the web face serves ``path`` (the subscription pages may be left out)."""
    from starlette.routing import Match

    scope = {"type": "http", "path": path, "method": "GET"}
    return any(route.matches(scope)[0] is Match.FULL for route in request.app.router.routes)


async def _everything(request: Request) -> tuple[search.Query, list[Any]]:
    query = _query(request, per_page=search.MAX_EXPORT)
    return query, await run_in_threadpool(search.export, app_of(request), query)


def _bad(exc: ConfigError) -> Response:
    return Response(f"{exc}\n", status_code=400, media_type="text/plain; charset=utf-8")


@router.get("/calls.csv", include_in_schema=False)
async def as_csv(request: Request) -> Response:
    try:
        _, found = await _everything(request)
    except ConfigError as exc:
        return _bad(exc)
    base = str(request.base_url).rstrip("/")
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for call in found:
        row = call.to_json()
        writer.writerow([_cell(v) for v in (
            row["identifier"], row["title"], row["status"], row["next_deadline"] or "",
            " ".join(row["deadlines"]), row["programme"], row["funder"], row["budget"] or "",
            row["currency"] or "", " ".join(row["tags"]), " ".join(row["sources"]), row["url"],
            f"{base}/calls/{row['id']}",
        )])  # fmt: skip
    named = {"content-disposition": 'attachment; filename="calls.csv"'}
    return Response("\ufeff" + out.getvalue(), media_type="text/csv; charset=utf-8", headers=named)


def _cell(value: object) -> str:
    """A CSV cell a spreadsheet will not run as a formula (OWASP's CSV injection advice)."""
    text = str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


@router.get("/calls.json", include_in_schema=False)
async def as_json(request: Request) -> Response:
    try:
        _, found = await _everything(request)
    except ConfigError as exc:
        return _bad(exc)
    body = json.dumps([c.to_json() for c in found], ensure_ascii=False)
    return Response(body, media_type="application/json")


@router.get("/calls.atom", include_in_schema=False)
async def as_atom(request: Request) -> Response:
    """The newest calls of a search as an Atom feed (RFC 4287), for a feed reader."""
    try:
        query = _query(request, per_page=ATOM_SIZE)
    except ConfigError as exc:
        return _bad(exc)
    newest = search.Query(**{**query.__dict__, "sort": "newest"})
    found = await run_in_threadpool(search.search, app_of(request), newest)
    base = str(request.base_url).rstrip("/")
    here = base + params.link("/calls.atom", query)
    updated = max((c.last_changed for c in found.calls), default=datetime.now(UTC))
    entries = "".join(
        f"<entry><title>{escape(c.title)}</title><id>{escape(base)}/calls/{c.id}</id>"
        f'<link href="{escape(base)}/calls/{c.id}"/><updated>{c.last_changed.isoformat()}'
        f"</updated><summary>{escape(cut(c.summary, 600))}</summary></entry>"
        for c in found.calls
    )
    feed = ('<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
            f"<title>funding-monitor: {escape(query.text or 'calls')}</title>"
            f'<id>{escape(here)}</id><link rel="self" href="{escape(here)}"/>'
            f'<link href="{escape(base + params.link("/", query))}"/>'
            f"<updated>{updated.isoformat()}</updated><author><name>funding-monitor</name>"
            f"</author>{entries}</feed>")  # fmt: skip
    return Response(feed, media_type="application/atom+xml; charset=utf-8")
