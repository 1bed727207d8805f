"""The curators' send log (``/staff/deliveries``): digests and source-health notices, sent,
pending, failed with their error, filtered by subscriber, kind, status and period, paged,
newest first; one delivery's page, and retrying a failed one (the same use case as `digest
retry`, and with "send now" as `digest send --subscriber S`)."""

from __future__ import annotations

from datetime import date
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from monitor.app import deliveries
from monitor.errors import ConfigError
from monitor.web import csrf
from monitor.web.app import app_of, render
from monitor.web.staff import access

router = APIRouter(prefix="/staff/deliveries", include_in_schema=False)
MAX_ID = 2**31 - 1


def _day(text: str) -> date | None:
    """A date of the filter form (YYYY-MM-DD), or None when blank; ConfigError if not one."""
    if not text.strip():
        return None
    try:
        return date.fromisoformat(text.strip()[:10])
    except ValueError:
        raise ConfigError(f"{text[:20]!r} is not a date like 2026-11-28") from None


@router.get("")
async def deliveries_page(request: Request, user: access.Curator, subscriber: str = "",
                          kind: str = "", status: str = "", period: str = "", since: str = "",
                          until: str = "", page: int = 1) -> Response:  # fmt: skip
    chosen = {"subscriber": subscriber.strip()[:320], "kind": kind[:10], "status": status[:10],
              "period": period.strip()[:120], "since": since[:10], "until": until[:10]}  # fmt: skip
    app, problem, found = app_of(request), "", None
    try:
        first, last = _day(since), _day(until)
        found = await run_in_threadpool(lambda: deliveries.log(
            app, subscriber=chosen["subscriber"] or None, kind=chosen["kind"],
            status=chosen["status"], period=chosen["period"], since=first, until=last,
            page=max(1, min(page, 10**6))))  # fmt: skip
    except ConfigError as exc:
        problem = str(exc)
    kept = [(k, v) for k, v in chosen.items() if v]
    return render(request, "staff/deliveries.html", {
        "user": user, "found": found, "chosen": chosen, "problem": problem,
        "kinds": deliveries.KINDS, "statuses": deliveries.STATUSES,
        "query": urlencode(kept), "filtered": bool(kept),
    }, status=400 if problem else 200)  # fmt: skip


async def _one(request: Request, user: access.Curator, delivery_id: int, *, problem: str = "",
               status: int = 200) -> Response:  # fmt: skip
    if not 0 < delivery_id <= MAX_ID:
        raise HTTPException(404)
    try:
        entry = await run_in_threadpool(deliveries.get, app_of(request), delivery_id)
    except ConfigError:
        raise HTTPException(404) from None
    done = request.query_params.get("done", "") if not problem else ""
    return render(request, "staff/deliveries_one.html", {
        "user": user, "d": entry, "problem": problem, "done": done if done in
        ("retried", "sent") else "", "errors": request.query_params.get("errors", "") == "1",
    }, status=status)  # fmt: skip


@router.get("/{delivery_id}")
async def delivery_page(request: Request, user: access.Curator, delivery_id: int) -> Response:
    return await _one(request, user, delivery_id)


@router.post("/{delivery_id}/retry", dependencies=[Depends(csrf.check)])
async def retry(request: Request, user: access.Curator, delivery_id: int,
                send: str = Form("")) -> Response:  # fmt: skip
    """Pending again for the next send; with ``send=now``, sent at once."""
    if not 0 < delivery_id <= MAX_ID:
        raise HTTPException(404)
    app = app_of(request)
    try:
        done = await run_in_threadpool(lambda: deliveries.retry(app, delivery_id,
                                                                send=send == "now"))  # fmt: skip
    except ConfigError as exc:
        return await _one(request, user, delivery_id, problem=str(exc), status=409)
    outcome = "retried" if done.sent is None else "sent"
    errors = "&errors=1" if done.errors else ""
    return RedirectResponse(f"/staff/deliveries/{delivery_id}?done={outcome}{errors}",
                            status_code=303)  # fmt: skip
