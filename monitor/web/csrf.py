"""Cross-site request forgery: every POST form carries the token of a cookie only this site
can set (double submit). A POST whose form lacks it, or whose token differs from the
cookie's, changes nothing and gets a 403 page that says why."""

from __future__ import annotations

import hmac
import secrets

from fastapi import HTTPException, Request, Response

COOKIE = "csrf"
FIELD = "csrf_token"


def token(request: Request) -> str:
    """The browser's token (a new one when it has none yet)."""
    kept = request.cookies.get(COOKIE, "")
    if len(kept) == 43:
        return kept
    fresh: str | None = getattr(request.state, "csrf", None)
    if fresh is None:
        fresh = request.state.csrf = secrets.token_urlsafe(32)
    return fresh


def remember(request: Request, response: Response) -> None:
    fresh = getattr(request.state, "csrf", None)
    if fresh:
        response.set_cookie(COOKIE, fresh, httponly=True, samesite="lax",
                            secure=request.url.scheme == "https")  # fmt: skip


async def check(request: Request) -> None:
    """A dependency of every POST route that a form sends."""
    form = await request.form()
    given = str(form.get(FIELD, ""))
    kept = request.cookies.get(COOKIE, "")
    if not kept or not hmac.compare_digest(given.encode(), kept.encode()):
        raise HTTPException(403, "forbidden_form")
