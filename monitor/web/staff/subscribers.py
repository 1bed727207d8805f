"""The admins' subscribers pages (``/staff/subscribers``): the list (searched by address,
filtered by state), a subscriber's page with their deliveries, pause and resume, the export
of everything stored about them (GDPR access: a JSON download, the same as `subscribers
export`), and erasing their data after a page that says what goes and what stays (`subscribers
remove`)."""

from __future__ import annotations

import json
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from monitor.app import deliveries, subscribers
from monitor.errors import ConfigError
from monitor.web import csrf
from monitor.web.app import app_of, render
from monitor.web.staff import access

router = APIRouter(prefix="/staff/subscribers", include_in_schema=False)
MAX_ID = 2**31 - 1


@router.get("")
async def subscribers_page(request: Request, user: access.Admin, q: str = "", state: str = "",
                           page: int = 1) -> Response:  # fmt: skip
    q, state = q.strip()[:320], state if state in subscribers.STATES else ""
    app = app_of(request)
    found = await run_in_threadpool(lambda: subscribers.listing(
        app, text=q, state=state, page=max(1, min(page, 10**6))))  # fmt: skip
    kept = [(k, v) for k, v in (("q", q), ("state", state)) if v]
    removed = request.query_params.get("removed", "")
    return render(request, "staff/subscribers.html", {
        "user": user, "found": found, "q": q, "state": state, "states": subscribers.STATES,
        "query": urlencode(kept), "filtered": bool(kept),
        "removed": removed if removed.isdigit() else "",
    })  # fmt: skip


async def _profile(request: Request, subscriber_id: int) -> subscribers.Profile:
    if not 0 < subscriber_id <= MAX_ID:
        raise HTTPException(404)
    try:
        return await run_in_threadpool(subscribers.profile, app_of(request), subscriber_id)
    except ConfigError:
        raise HTTPException(404) from None


@router.get("/{subscriber_id}")
async def subscriber_page(request: Request, user: access.Admin, subscriber_id: int) -> Response:
    found = await _profile(request, subscriber_id)
    app = app_of(request)
    sent = await run_in_threadpool(lambda: deliveries.log(app, subscriber=subscriber_id,
                                                          per_page=20))  # fmt: skip
    done = request.query_params.get("done", "")
    return render(request, "staff/subscribers_one.html", {
        "user": user, "p": found, "s": found.row, "sent": sent,
        "done": done if done in ("paused", "resumed") else "",
    })  # fmt: skip


@router.post("/{subscriber_id}/pause", dependencies=[Depends(csrf.check)])
async def pause(request: Request, user: access.Admin, subscriber_id: int) -> Response:
    await _profile(request, subscriber_id)
    await run_in_threadpool(subscribers.pause, app_of(request), subscriber_id)
    return RedirectResponse(f"/staff/subscribers/{subscriber_id}?done=paused", status_code=303)


@router.post("/{subscriber_id}/resume", dependencies=[Depends(csrf.check)])
async def resume(request: Request, user: access.Admin, subscriber_id: int) -> Response:
    await _profile(request, subscriber_id)
    await run_in_threadpool(subscribers.resume, app_of(request), subscriber_id)
    return RedirectResponse(f"/staff/subscribers/{subscriber_id}?done=resumed", status_code=303)


@router.post("/{subscriber_id}/export", dependencies=[Depends(csrf.check)])
async def export(request: Request, user: access.Admin, subscriber_id: int) -> Response:
    """The JSON download (a POST: the export is kept in the audit log)."""
    await _profile(request, subscriber_id)
    data = await run_in_threadpool(subscribers.export_data, app_of(request), subscriber_id)
    return Response(json.dumps(data, ensure_ascii=False, indent=2), media_type="application/json",
                    headers={"content-disposition": f'attachment; filename="subscriber-'
                             f'{subscriber_id}.json"', "cache-control": "no-store"})  # fmt: skip


@router.get("/{subscriber_id}/delete")
async def delete_page(request: Request, user: access.Admin, subscriber_id: int) -> Response:
    found = await _profile(request, subscriber_id)
    return render(request, "staff/subscribers_delete.html", {"user": user, "p": found,
                                                             "s": found.row})  # fmt: skip


@router.post("/{subscriber_id}/delete", dependencies=[Depends(csrf.check)])
async def delete(request: Request, user: access.Admin, subscriber_id: int,
                 confirm: str = Form("")) -> Response:  # fmt: skip
    found = await _profile(request, subscriber_id)
    if confirm != "yes":
        return render(request, "staff/subscribers_delete.html", {"user": user, "p": found,
                                                                 "s": found.row})  # fmt: skip
    await run_in_threadpool(subscribers.remove, app_of(request), subscriber_id)
    return RedirectResponse(f"/staff/subscribers?removed={subscriber_id}", status_code=303)
