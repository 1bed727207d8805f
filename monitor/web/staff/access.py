"""Who may open a staff page: a member of staff signed in by a magic link, whose signed
session cookie (``staff``, HttpOnly, SameSite=Lax, Secure under https) names them and their
nonce, for at most ``MAX_AGE``. No session: 403, with a way to sign in. A session that expired
or was ended (sign out everywhere, role taken away): to the sign-in page. A curator on an
admin page: 403. Every staff route takes ``Depends(curator)`` or ``Depends(admin)``, which
gives it the ``staff.Member`` and makes them the actor of the request's audit events
(``user: access.Curator`` or ``user: access.Admin`` as a parameter says the same)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated
from urllib.parse import quote

from fastapi import Depends, HTTPException, Request, Response
from fastapi.responses import JSONResponse, RedirectResponse
from itsdangerous import BadData, SignatureExpired, TimestampSigner
from starlette.concurrency import run_in_threadpool

from monitor.app import audit, staff
from monitor.web.security import is_https

COOKIE = "staff"
MAX_AGE = 8 * 3600  # a working day
SALT = "funding-monitor/staff-session"


class SignInNeeded(Exception):
    """The session expired or was ended: sign in again, then come back to ``path``."""

    def __init__(self, path: str) -> None:
        super().__init__(path)
        self.path = path


def _signer(request: Request) -> TimestampSigner | None:
    key = request.app.state.app.settings.secret_key.get_secret_value()
    return TimestampSigner(key, salt=SALT) if key else None


def start(request: Request, response: Response, user: staff.Member) -> None:
    signer = _signer(request)
    if signer is None:
        return
    value = signer.sign(f"{user.id}.{user.nonce}").decode()
    response.set_cookie(COOKIE, value, max_age=MAX_AGE, httponly=True, samesite="lax",
                        secure=is_https(request), path="/")  # fmt: skip


def end(request: Request, response: Response) -> None:
    response.delete_cookie(COOKIE, path="/", secure=is_https(request), httponly=True,
                           samesite="lax")  # fmt: skip


def session(request: Request) -> tuple[int, str] | None:
    """(user id, nonce) of the cookie; None without one, or for one that expired or is not
    ours."""
    signer, value = _signer(request), request.cookies.get(COOKIE, "")
    if signer is None or not value or len(value) > 300:
        return None
    try:
        text = signer.unsign(value, max_age=MAX_AGE).decode()
    except (SignatureExpired, BadData):
        return None
    number, _, nonce = text.partition(".")
    return (int(number), nonce) if number.isdigit() and nonce else None


def require(needed: str) -> Callable[[Request], Awaitable[staff.Member]]:
    async def dependency(request: Request) -> staff.Member:
        if not request.cookies.get(COOKIE):
            raise HTTPException(403, "staff_only")
        found = session(request)
        user = (await run_in_threadpool(staff.signed_in, request.app.state.app, *found)
                if found else None)  # fmt: skip
        if user is None:
            raise SignInNeeded(request.url.path)
        if not staff.may(user.role, needed):
            raise HTTPException(403, "admin_only")
        request.state.staff = user
        audit._ACTOR.set(user.address)  # this request's task; its threads copy the context
        return user

    return dependency


curator = require("curator")
admin = require("admin")
# a route's parameter: ``user: access.Curator`` (curators and admins) or ``user: access.Admin``
Curator = Annotated[staff.Member, Depends(curator)]
Admin = Annotated[staff.Member, Depends(admin)]


def safe_next(path: str) -> str:
    """Where to go after signing in: a staff page of this site, never elsewhere."""
    ok = path.startswith("/staff") and not path.startswith("//") and "\\" not in path
    return path[:300] if ok else "/staff"


async def to_sign_in(request: Request, exc: Exception) -> Response:
    """The answer to SignInNeeded: the API says 401; a page goes to the sign-in page."""
    path = exc.path if isinstance(exc, SignInNeeded) else "/staff"
    if request.url.path.startswith("/api/"):
        return JSONResponse({"error": "sign in again: the session expired or was ended"},
                            status_code=401)  # fmt: skip
    response = RedirectResponse(f"/staff/sign-in?expired=1&next={quote(safe_next(path))}",
                                status_code=303)  # fmt: skip
    end(request, response)
    return response
