"""👍/👎 from a digest: the link in the email or Slack message opens a page naming the call
and the vote, with one button; the POST records it for the admins (a GET never changes
anything: mail scanners follow links). A second vote on the same call replaces the first."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from monitor.app import calls, subscriptions
from monitor.errors import ConfigError
from monitor.web import csrf
from monitor.web.app import app_of, link_gone, render

router = APIRouter()
VOTES = ("up", "down")


@router.get("/feedback", include_in_schema=False)
async def ask(request: Request, token: str = "", call: str = "", vote: str = "") -> Response:
    app = app_of(request)
    try:
        await run_in_threadpool(subscriptions.from_link, app, token)
        shown = await run_in_threadpool(calls.show, app, call[:20])
    except ConfigError:
        return link_gone(request)
    if vote not in VOTES:
        return link_gone(request)
    return render(request, "feedback.html", {"call": shown, "vote": vote, "token": token[:300],
                                             "done": False})  # fmt: skip


@router.post("/feedback", include_in_schema=False, dependencies=[Depends(csrf.check)])
async def record(request: Request, token: str = Form(""), call: str = Form(""),
                 vote: str = Form("")) -> Response:  # fmt: skip
    app = app_of(request)
    try:
        who = await run_in_threadpool(subscriptions.from_link, app, token)
        if vote not in VOTES:
            raise ConfigError(f"a vote is up or down, not {vote[:10]!r}")
        await run_in_threadpool(calls.feedback, app, call[:20], vote, via="digest",
                                subscriber_id=who.id)  # fmt: skip
        shown = await run_in_threadpool(calls.show, app, call[:20])
    except ConfigError:
        return link_gone(request)
    return render(request, "feedback.html", {"call": shown, "vote": vote, "done": True})
