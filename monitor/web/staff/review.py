"""The admins' review queue (``/staff/review``): one call at a time, the one the model is least
sure about (calls a reader gave 👎 first), with its text and each tag's score and evidence;
yes/no per tag, each a form POST that labels the call at once (``model.label``), then back to
the same call; skip and next go on to the next call, leaving this one out for the rest of the
round (the ``skip`` parameter carries the calls passed). Keys (``static/review.js``): 1–9 and
0 choose a tag, y/n answer it, s skips, j goes to the next call. Readers' feedback
(``/staff/review/feedback``) with accept (it becomes labels) and reject."""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from monitor.errors import ConfigError
from monitor.web import csrf
from monitor.web.app import app_of, language_of, render
from monitor.web.present import Present
from monitor.web.staff import access

if TYPE_CHECKING:
    from monitor.app.staff import Member

router = APIRouter(prefix="/staff/review", include_in_schema=False)
MAX_SKIPPED = 200  # calls passed in one round, carried in the address
MAX_ID = 2**31 - 1
LEAD = 700  # characters of a call's text shown before "the whole text"


def skipped_of(text: str) -> list[int]:
    """The calls passed so far, from ``skip=1,5,9`` (anything else left out)."""
    found = [int(p) for p in text.split(",")[: MAX_SKIPPED + 1] if p.isdigit() and len(p) <= 10]
    return [n for n in dict.fromkeys(found) if 0 < n <= MAX_ID][-MAX_SKIPPED:]


def parts(text: str, lead: int = LEAD) -> tuple[list[str], list[str]]:
    """A call's text as paragraphs: those shown first (about ``lead`` characters, at least
    one), and the rest (behind "the whole text")."""
    paragraphs = [p.strip() for p in text.split("\n") if p.strip()]
    shown: list[str] = []
    size = 0
    for paragraph in paragraphs:
        if shown and size + len(paragraph) > lead:
            break
        shown.append(paragraph)
        size += len(paragraph)
    return shown, paragraphs[len(shown) :]


def _skip_text(skipped: list[int]) -> str:
    return ",".join(str(n) for n in skipped[-MAX_SKIPPED:])


@router.get("")
async def queue(request: Request, user: access.Admin, call: str = "", skip: str = "",
                tag: str = "", done: str = "") -> Response:  # fmt: skip
    """The call ``call`` (from the queue or a feedback's link), else the next in the queue."""
    from monitor.app import review

    app, skipped = app_of(request), skipped_of(skip[:3000])
    following = await run_in_threadpool(review.next_call, app, skipped)
    asked, number = tag[:40] or None, None
    if call.isdigit() and len(call) <= 10 and 0 < int(call) <= MAX_ID:
        number = int(call)
    elif following is not None:
        number, asked = following.call_id, following.tag
    queued = following.waiting + 1 if following else 0
    if number is None:
        return render(request, "staff/review.html", {"user": user, "card": None,
                                                     "skipped": skipped, "queued": 0})  # fmt: skip
    try:
        found = await run_in_threadpool(review.card, app, number, asked)
    except ConfigError:
        raise HTTPException(404) from None
    onward = [*skipped, number]
    lead, rest = parts(found.call.summary)
    present = Present(language_of(request), app.settings.timezone, app.now())
    labels = {check.tag: check.labels for check in found.tags}
    return render(request, "staff/review.html", {
        "user": user, "card": found, "lead": lead, "rest": rest, "queued": queued,
        "reason": lambda r: present.reason(r, labels),
        "skip": _skip_text(skipped), "onward": _skip_text(onward), "done": done[:40],
        "asked": asked or "", "said": request.query_params.get("said", "")[:20],
    })  # fmt: skip


@router.post("/label", dependencies=[Depends(csrf.check)])
async def label(request: Request, user: access.Admin, call: int = Form(0), tag: str = Form(""),
                answer: str = Form(""), skip: str = Form(""),
                asked: str = Form("")) -> Response:  # fmt: skip
    """Yes (the call has the tag) or no (it lacks it), in force at once; back to the call."""
    from monitor.app import model

    if answer not in ("yes", "no") or not 0 < call <= MAX_ID:
        raise HTTPException(400)
    try:
        await run_in_threadpool(model.label, app_of(request), call, tag[:40], answer == "yes")
    except ConfigError as exc:
        return await _problem(request, user, str(exc))
    query = f"call={call}&done={quote(tag[:40])}&tag={quote(asked[:40])}"
    return RedirectResponse(f"/staff/review?{query}&skip={_skip_text(skipped_of(skip[:3000]))}",
                            status_code=303)  # fmt: skip


async def _problem(request: Request, user: Member, problem: str) -> Response:
    return render(request, "staff/review_problem.html", {"user": user, "problem": problem[:500]},
                  status=400)  # fmt: skip


@router.get("/feedback")
async def feedback_page(request: Request, user: access.Admin, said: str = "",
                        fb: str = "") -> Response:  # fmt: skip
    from monitor.app import review

    found = await run_in_threadpool(review.feedback, app_of(request))
    return render(request, "staff/review_feedback.html", {
        "user": user, "feedback": found, "said": said[:20] if said in ("accepted", "dismissed")
        else "", "said_id": fb[:10],
    })  # fmt: skip


@router.post("/feedback/{feedback_id:int}", dependencies=[Depends(csrf.check)])
async def decide(request: Request, user: access.Admin, feedback_id: int,
                 do: str = Form(""), back: str = Form("")) -> Response:  # fmt: skip
    """``do=accept``: the feedback becomes labels; ``do=reject``: dismissed. Back to the
    feedback list, or to the call in the queue (``back=call``)."""
    from monitor.app import review

    if do not in ("accept", "reject") or not 0 < feedback_id <= MAX_ID:
        raise HTTPException(400)
    app = app_of(request)
    try:
        said = await run_in_threadpool(review.accept if do == "accept" else review.reject, app,
                                       feedback_id)  # fmt: skip
    except ConfigError as exc:
        return await _problem(request, user, f"{exc} {exc.hint or ''}".strip())
    outcome = "accepted" if do == "accept" else "dismissed"
    if back == "call":
        return RedirectResponse(f"/staff/review?call={said.call_id}&said={outcome}",
                                status_code=303)  # fmt: skip
    return RedirectResponse(f"/staff/review/feedback?said={outcome}&fb={feedback_id}",
                            status_code=303)  # fmt: skip
