"""Who is signed in: a subscriber's id and nonce signed into an HttpOnly cookie (30 days),
set after a sign-in or confirmation link, or a digest's link to the preferences page.
Rotating the subscriber's nonce (or unsubscribing) signs them out everywhere."""

from __future__ import annotations

from fastapi import Request, Response
from itsdangerous import BadData, TimestampSigner

from monitor.web.security import is_https

COOKIE = "session"
MAX_AGE = 30 * 24 * 3600
SALT = "funding-monitor/session"


def _signer(request: Request) -> TimestampSigner | None:
    key = request.app.state.app.settings.secret_key.get_secret_value()
    return TimestampSigner(key, salt=SALT) if key else None


def start(request: Request, response: Response, subscriber_id: int, nonce: str) -> None:
    signer = _signer(request)
    if signer is None:
        return
    value = signer.sign(f"{subscriber_id}.{nonce}").decode()
    response.set_cookie(COOKIE, value, max_age=MAX_AGE, httponly=True, samesite="lax",
                        secure=is_https(request), path="/")  # fmt: skip


def end(request: Request, response: Response) -> None:
    response.delete_cookie(COOKIE, path="/", secure=is_https(request), httponly=True,
                           samesite="lax")  # fmt: skip


def who(request: Request) -> tuple[int, str] | None:
    """(subscriber id, nonce) of the signed-in reader, or None."""
    signer, value = _signer(request), request.cookies.get(COOKIE, "")
    if signer is None or not value or len(value) > 300:
        return None
    try:
        text = signer.unsign(value, max_age=MAX_AGE).decode()
    except BadData:
        return None
    number, _, nonce = text.partition(".")
    return (int(number), nonce) if number.isdigit() and nonce else None
