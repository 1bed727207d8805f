"""Cross-site request forgery: every POST form carries the token of a cookie only this site
can set (double submit: ``<input type="hidden" name="{{ csrf_field }}" value="{{ csrf_token
}}">``, both given to every template by ``render``). A POST whose form lacks it, or whose
token differs from the cookie's, changes nothing and gets a 403 page that says why.

Routes take ``dependencies=[Depends(csrf.check)]``; a route that reads its own body (the
unsubscribe page) calls ``verify(request, given)``.

Under https the cookie is ``__Host-csrf``: a browser takes it only from this host, over https,
for the whole site, so a sibling site under the same domain (any *.ki.se) cannot plant a token
of its choosing, which is what plain double submit would otherwise allow."""

from __future__ import annotations

import hmac
import secrets

from fastapi import HTTPException, Request, Response

from monitor.web.security import is_https

COOKIE = "csrf"
HOST_COOKIE = "__Host-csrf"  # under https
FIELD = "csrf_token"
_LENGTH = 43  # secrets.token_urlsafe(32)


def cookie_name(request: Request) -> str:
    return HOST_COOKIE if is_https(request) else COOKIE


def token(request: Request) -> str:
    """The browser's token (a new one when it has none yet)."""
    kept = request.cookies.get(cookie_name(request), "")
    if len(kept) == _LENGTH:
        return kept
    fresh: str | None = getattr(request.state, "csrf", None)
    if fresh is None:
        fresh = request.state.csrf = secrets.token_urlsafe(32)
    return fresh


def remember(request: Request, response: Response) -> None:
    """Set the cookie when ``token`` made a new one for this answer."""
    fresh = getattr(request.state, "csrf", None)
    if fresh:
        https = is_https(request)
        response.set_cookie(HOST_COOKIE if https else COOKIE, fresh, path="/", httponly=True,
                            samesite="lax", secure=https)  # fmt: skip


def verify(request: Request, given: str) -> None:
    """HTTPException 403 ``forbidden_form`` unless ``given`` is the cookie's token."""
    kept = request.cookies.get(cookie_name(request), "")
    if len(kept) != _LENGTH or not hmac.compare_digest(given.encode(), kept.encode()):
        raise HTTPException(403, "forbidden_form")


async def check(request: Request) -> None:
    """A dependency of every POST route that a form sends."""
    form = await request.form()
    verify(request, str(form.get(FIELD, "")))
