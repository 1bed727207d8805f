"""Staff sign-in and sign-out, the overview, the users (admins) and the audit log (admins)."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import APIRouter, Depends, FastAPI, Form, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from monitor.app import audit, staff
from monitor.errors import ConfigError
from monitor.web import csrf, i18n
from monitor.web.app import app_of, language_of, render
from monitor.web.staff import access

router = APIRouter(prefix="/staff", include_in_schema=False)


def install(web: FastAPI) -> None:
    """The sign-in page for an ended session; the staff menu for the templates."""
    from monitor.web import staff
    from monitor.web.app import TEMPLATES

    web.add_exception_handler(access.SignInNeeded, access.to_sign_in)
    TEMPLATES.globals.update(staff_links=staff.menu, staff_groups=staff.groups,
                             change_keys=staff.change_keys)  # fmt: skip


@router.get("/sign-in")
async def sign_in_page(request: Request, token: str = "", next: str = "/staff") -> Response:
    if token:  # a GET spends nothing (mail scanners open links): a page with one button
        good = await run_in_threadpool(staff.valid, app_of(request), token)
        return render(request, "staff/sign_in.html", {
            "token": token[:100] if good else "", "gone": not good, "next": access.safe_next(next),
            "expired": False, "problem": "",
        }, status=200 if good else 410)  # fmt: skip
    return render(request, "staff/sign_in.html", {
        "token": "", "gone": False, "next": access.safe_next(next), "problem": "",
        "expired": request.query_params.get("expired") == "1",
    })  # fmt: skip


@router.post("/sign-in", dependencies=[Depends(csrf.check)])
async def sign_in(request: Request, token: str = Form(""), address: str = Form(""),
                  next: str = Form("/staff")) -> Response:  # fmt: skip
    app = app_of(request)
    if token:
        try:
            user = await run_in_threadpool(staff.sign_in, app, token)
        except ConfigError:
            return render(request, "staff/sign_in.html", {
                "token": "", "gone": True, "next": "/staff", "expired": False, "problem": "",
            }, status=410)  # fmt: skip
        response = RedirectResponse(access.safe_next(next), status_code=303)
        access.start(request, response, user)
        return response
    try:
        await run_in_threadpool(staff.ask, app, address, base_url=str(request.base_url))
    except ConfigError as exc:
        return render(request, "staff/sign_in.html", {
            "token": "", "gone": False, "next": access.safe_next(next), "expired": False,
            "problem": str(exc),
        }, status=400)  # fmt: skip
    from monitor.web.app import message

    return message(request, "staff_sent_heading", "staff_sent_body")


@router.post("/sign-out", dependencies=[Depends(csrf.check)])
async def sign_out(request: Request) -> Response:
    from monitor.web.app import message

    response = message(request, "staff_sign_out", "staff_signed_out")
    access.end(request, response)
    return response


@router.post("/sign-out-everywhere", dependencies=[Depends(csrf.check)])
async def sign_out_everywhere(request: Request,
                              user: access.Curator) -> Response:  # fmt: skip
    from monitor.web.app import message

    await run_in_threadpool(staff.sign_out_everywhere, app_of(request), user.id or 0)
    response = message(request, "staff_sign_out_all", "staff_signed_out")
    access.end(request, response)
    return response


@router.get("")
async def overview(request: Request, user: access.Curator) -> Response:
    return render(request, "staff/home.html", {"user": user})


@router.get("/audit")
async def audit_page(request: Request, user: access.Admin, actor: str = "", action: str = "",
                     older: int = 0) -> Response:  # fmt: skip
    found = await run_in_threadpool(lambda: audit.events(
        app_of(request), actor=actor[:320] or None, action=action[:60] or None,
        older_than=older if 0 < older < 2**62 else None, limit=100))  # fmt: skip
    return render(request, "staff/audit.html", {
        "user": user, "events": found, "actor": actor[:320], "action": action[:60],
        "older": found[-1].id if len(found) == 100 else 0,
    })  # fmt: skip


async def _users(request: Request, user: staff.Member, *, problem: str = "",
                 status: int = 200) -> Response:  # fmt: skip
    rows = await run_in_threadpool(staff.everyone, app_of(request))
    saved = request.query_params.get("saved", "")
    return render(request, "staff/users.html", {
        "user": user, "rows": rows, "problem": problem,
        "saved": next((r for r in rows if str(r.id) == saved), None) if not problem else None,
        "removed": "" if problem else request.query_params.get("removed", "")[:320],
    }, status=status)  # fmt: skip


@router.get("/users")
async def users_page(request: Request, user: access.Admin) -> Response:
    return await _users(request, user)


@router.post("/users", dependencies=[Depends(csrf.check)])
async def add_user(request: Request, user: access.Admin, address: str = Form(""),
                   role: str = Form("curator")) -> Response:  # fmt: skip
    try:
        row = await run_in_threadpool(staff.add, app_of(request), address, role)
    except ConfigError as exc:
        return await _users(request, user, problem=str(exc), status=400)
    return RedirectResponse(f"/staff/users?saved={row.id}", status_code=303)


@router.post("/users/remove", dependencies=[Depends(csrf.check)])
async def remove_user(request: Request, user: access.Admin,
                      address: str = Form("")) -> Response:  # fmt: skip
    if address.strip().lower() == user.address:
        problem = i18n.texts(language_of(request))("user_self")
        return await _users(request, user, problem=problem, status=400)
    try:
        await run_in_threadpool(staff.remove, app_of(request), address)
    except ConfigError as exc:
        return await _users(request, user, problem=str(exc), status=400)
    removed = quote(address.strip().lower())
    return RedirectResponse(f"/staff/users?removed={removed}", status_code=303)
