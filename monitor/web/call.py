"""A call's page: every field, its deadlines with stage, zone and days left, where it is listed,
its change timeline, each tag with the evidence that gave it in plain words, buttons that
record "wrong tag" and "not relevant to me" for the admins (POST, with the CSRF token: a GET
never changes anything), and its deadlines as an .ics file."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from monitor.app import calls
from monitor.errors import ConfigError
from monitor.web import csrf
from monitor.web.app import app_of, language_of, not_found, render
from monitor.web.present import Present

router = APIRouter()


@router.get("/calls/{number:int}.ics", include_in_schema=False)
async def calendar(request: Request, number: int) -> Response:
    try:
        ics = await run_in_threadpool(calls.calendar, app_of(request), number,
                                      language=language_of(request))  # fmt: skip
    except ConfigError:
        return not_found(request)
    if ics is None:
        return not_found(request)
    named = {"content-disposition": f'attachment; filename="call-{number}.ics"'}
    return Response(ics, media_type="text/calendar; charset=utf-8", headers=named)


@router.get("/calls/{ref}", include_in_schema=False)
async def page(request: Request, ref: str) -> Response:
    try:
        shown = await run_in_threadpool(calls.page, app_of(request), ref[:300])
    except ConfigError:
        return not_found(request)
    if not ref.isdigit():  # one address per call: the identifier's link goes to the number's
        return RedirectResponse(f"/calls/{shown.call.id}", status_code=301)
    return render(request, "call.html", context(request, shown))


def context(request: Request, shown: calls.CallPage) -> dict[str, Any]:
    lang = language_of(request)
    now = app_of(request).now()
    present = Present(lang, app_of(request).settings.timezone, now)
    call = shown.call
    deadlines = present.deadlines(call)
    return {
        "call": call, "lang": lang, "deadlines": deadlines,
        "two_stage": any(d.stage for d in deadlines),
        "date_only": bool(call.deadlines) and all(d["date_only"] for d in call.deadlines),
        "has_calendar": any(d.left != present.texts["deadline_past"] for d in deadlines),
        "evidence": shown.evidence,
        "changes": [{"at": c.at, "text": present.change(c.kind, c.old, c.new)}
                    for c in reversed(call.changes)],
        "thanks": request.query_params.get("thanks") == "1",
        "dash": "—", "when": present.when, "left": present.left, "money": present.money,
        "origin": present.origin, "score": lambda s: f"{s:.2f}",
        "reason": lambda r: present.reason(r, shown.labels),
        "status_label": present.status,
    }  # fmt: skip


@router.post("/calls/{number:int}/feedback", include_in_schema=False,
             dependencies=[Depends(csrf.check)])  # fmt: skip
async def feedback(
    request: Request, number: int, kind: str = Form(""), tag: str | None = Form(None)
) -> Response:
    try:
        await run_in_threadpool(calls.feedback, app_of(request), number, kind[:20],
                                tag=tag[:40] if tag else None)  # fmt: skip
    except ConfigError as exc:
        return render(request, "error.html", {"message": str(exc)}, status=400)
    return RedirectResponse(f"/calls/{number}?thanks=1#h-tags", status_code=303)
