"""What every answer of the web face carries, errors included (pure ASGI middleware).

``SecureHeaders``: a content security policy without inline script or style (``default-src
'none'`` and each kind of resource allowed from this site only), no framing, no referrer (tokens
live in some URLs), no MIME sniffing, a same-origin opener, HSTS when served over https (the
request's scheme, or a https PUBLIC_URL behind a proxy that ends TLS), and ``Cache-Control:
no-store`` for any answer that names no caching of its own (pages carry a CSRF cookie or a
token), static files aside.

``BodyLimit``: a request body of at most ``MAX_BODY`` bytes, arriving within ``BODY_TIMEOUT``
seconds; beyond, reading it raises an HTTPException (413 ``too_large``, 408 ``too_slow``) that
the application's error handler turns into a page in the reader's language.
"""

from __future__ import annotations

import asyncio
import time

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; manifest-src 'self'; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
)
# Swagger UI (/api/docs) sets style attributes as it draws: only there are they allowed.
DOCS_POLICY = POLICY.replace("style-src 'self'", "style-src 'self' 'unsafe-inline'")
# The same for a digest's web copy (/digests/ID): the email's own HTML, styled inline as email
# must be; scripts stay forbidden.
INLINE_STYLED = ("/api/docs", "/digests/")
HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
    (b"cross-origin-opener-policy", b"same-origin"),
]
HSTS = (b"strict-transport-security", b"max-age=31536000; includeSubDomains")
NO_STORE = (b"cache-control", b"no-store")
MAX_BODY = 64 * 1024  # bytes of a POST: a form of ours is well under 4 KiB
BODY_TIMEOUT = 10.0  # seconds for a whole request body to arrive


class SecureHeaders:
    def __init__(self, app: ASGIApp, *, https: bool = False) -> None:
        self.app = app
        self.https = https  # the public address is https (behind a proxy that ends TLS)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        policy = DOCS_POLICY if path.startswith(INLINE_STYLED) else POLICY
        extra = [(b"content-security-policy", policy.encode()), *HEADERS]
        if self.https or scope.get("scheme") == "https":
            extra.append(HSTS)
        names = {name for name, _ in extra}
        static = path.startswith("/static/")

        async def secured(message: Message) -> None:
            if message["type"] == "http.response.start":
                kept = [(k, v) for k, v in message.get("headers", []) if k not in names]
                if not static and not any(k == b"cache-control" for k, _ in kept):
                    kept.append(NO_STORE)
                message = {**message, "headers": kept + extra}
            await send(message)

        await self.app(scope, receive, secured)


class BodyLimit:
    """At most ``max_body`` bytes of request body, all within ``timeout`` seconds (by default
    MAX_BODY and BODY_TIMEOUT as they are when the request comes)."""

    def __init__(self, app: ASGIApp, *, max_body: int | None = None,
                 timeout: float | None = None) -> None:  # fmt: skip
        self.app = app
        self.max_body = max_body
        self.timeout = timeout

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        max_body = MAX_BODY if self.max_body is None else self.max_body
        declared = dict(scope.get("headers", [])).get(b"content-length", b"0")
        too_large = not declared.isdigit() or int(declared) > max_body
        deadline = time.monotonic() + (BODY_TIMEOUT if self.timeout is None else self.timeout)
        received = 0
        complete = False

        async def limited() -> Message:
            nonlocal received, complete
            if complete:  # the body is in: what comes now (a disconnect) waits as long as it may
                return await receive()
            if too_large:
                raise HTTPException(413, "too_large")
            try:
                message = await asyncio.wait_for(receive(), max(0.0, deadline - time.monotonic()))
            except TimeoutError:
                raise HTTPException(408, "too_slow") from None
            received += len(message.get("body", b""))
            if received > max_body:
                raise HTTPException(413, "too_large")
            complete = message["type"] != "http.request" or not message.get("more_body", False)
            return message

        await self.app(scope, limited, send)


def is_https(request: Request) -> bool:
    """Whether the reader reaches us over https: this request's scheme (X-Forwarded-Proto from a
    trusted proxy included), or a https PUBLIC_URL. Cookies are Secure then."""
    public: str = getattr(request.app.state, "public_url", "")
    return request.url.scheme == "https" or public.startswith("https://")
