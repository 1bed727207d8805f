"""The admins' linked-calls page (``/staff/links``): calls merged across sources, each group
with its members and why each copy is linked, filterable and paged; splitting a wrong link,
after a confirmation (the same use case as ``calls unlink``)."""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from monitor.app import links
from monitor.errors import ConfigError
from monitor.web import csrf
from monitor.web.app import app_of, render
from monitor.web.staff import access

router = APIRouter(prefix="/staff/links", include_in_schema=False)


@router.get("")
async def links_page(request: Request, user: access.Admin, source: str = "", q: str = "",
                     why: str = "", page: int = 1, split: int = 0) -> Response:  # fmt: skip
    source, q, why = source[:100], q[:200], why if why in links.WHY else ""
    app, page, size = app_of(request), max(1, min(page, 10**6)), links.PER_PAGE
    found = await run_in_threadpool(lambda: links.groups(app, source=source, text=q, why=why,
                                                         page=page, per_page=size))  # fmt: skip
    kept = [(k, v) for k, v in (("source", source), ("q", q), ("why", why)) if v]
    return render(request, "staff/links.html", {
        "user": user, "found": found, "source": source, "q": q, "why": why, "reasons": links.WHY,
        "query": urlencode(kept), "filtered": bool(kept),
        "split": request.query_params.get("title", "")[:300] if split else "",
    })  # fmt: skip


@router.post("/split", dependencies=[Depends(csrf.check)])
async def split(request: Request, user: access.Admin, call: int = Form(0),
                confirm: str = Form("")) -> Response:  # fmt: skip
    """First the confirmation (what the split does); with ``confirm=yes``, the split."""
    app = app_of(request)
    group = await run_in_threadpool(links.group_of, app, call) if 0 < call < 2**31 else None
    if group is None:
        return render(request, "staff/links_split.html", {"user": user, "group": None,
                                                          "member": None}, status=404)  # fmt: skip
    if confirm != "yes":
        member = next(m for m in group.members if m.id == call)
        return render(request, "staff/links_split.html", {"user": user, "group": group,
                                                          "member": member})  # fmt: skip
    try:
        done = await run_in_threadpool(links.split, app, call)
    except ConfigError:  # split meanwhile by someone else
        return render(request, "staff/links_split.html", {"user": user, "group": None,
                                                          "member": None}, status=404)  # fmt: skip
    query = urlencode({"split": done.id, "title": done.title[:300]})
    return RedirectResponse(f"/staff/links?{query}", status_code=303)
