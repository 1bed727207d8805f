"""The unsubscribe page behind ``PUBLIC_URL/unsubscribe``: a small ASGI app (Starlette) served
by uvicorn.

``GET`` shows a confirmation button and changes nothing (mail scanners follow links);
``POST`` unsubscribes — the button, or a mail client's RFC 8058 one-click request with the body
``List-Unsubscribe=One-Click``. Pages are escaped HTML; a bad token is a 400 that says why.

What keeps one client from holding the server: uvicorn serves every connection on one event
loop, the database work runs in worker threads, a connection must send its whole request head
within ``head_timeout`` seconds and its body within ``BODY_TIMEOUT``, each connection serves one
request, and at most ``MAX_CONNECTIONS`` are served at once (beyond: 503). A database that is
locked or down answers a 503 page within ``DB_WAIT`` seconds, logged on one line. The token is
in the URL: request lines are never logged, and every page says ``Referrer-Policy: no-referrer``.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import html
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from monitor.app import App
from monitor.app.digests import unsubscribe as honour
from monitor.errors import ConfigError, StoreError
from monitor.web import server
from monitor.web.server import HEAD_TIMEOUT

logger = logging.getLogger(__name__)

BODY_TIMEOUT = 10.0  # seconds for a POST body
MAX_BODY = 4096  # bytes: a one-click body is 26
DB_WAIT = 5.0  # seconds the database may keep a lock before the page says "try again"
STYLE = (
    "body{font-family:Arial,sans-serif;font-size:1.05rem;line-height:1.5;max-width:560px;"
    "margin:40px auto;padding:0 16px}button{font:inherit;min-height:44px;padding:8px 20px;"
    "cursor:pointer}"
)  # a touch target of 44 px on a phone
PAGE = ('<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" '
         'content="width=device-width, initial-scale=1"><title>funding-monitor</title>'
         f"<style>{STYLE}</style></head><body>", "</body></html>")  # fmt: skip
_STYLE_HASH = base64.b64encode(hashlib.sha256(STYLE.encode()).digest()).decode()
SECURITY_HEADERS = (
    ("content-security-policy", f"default-src 'none'; style-src 'sha256-{_STYLE_HASH}'; "
     "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"),
    ("x-content-type-options", "nosniff"),
    ("referrer-policy", "no-referrer"),  # the token is in the URL
    ("x-frame-options", "DENY"),
    ("cache-control", "no-store"),
    ("connection", "close"),  # one request per connection: no idle keep-alive to hold
)  # fmt: skip
ASKED = ('<p>Stop receiving funding-monitor digests?</p><form method="post" action="?token={}">'
         '<button type="submit">Unsubscribe</button></form>')  # fmt: skip
FAILED = "<p>Something went wrong; please try again later.</p>"
DONE = "<p>You are unsubscribed. No more digests will be sent to this address.</p>"
BUSY = ("<p>The service is busy and could not record this just now. Please try again in a "
        "minute; the link stays valid.</p>")  # fmt: skip


def _page(body: str, status: int = 200) -> HTMLResponse:
    return HTMLResponse(PAGE[0] + body + PAGE[1], status_code=status)


def unsubscribe_app(app: App) -> ASGIApp:
    """The ASGI app: ``/unsubscribe`` (GET asks, POST unsubscribes); every answer carries the
    security headers."""

    async def ask(request: Request) -> HTMLResponse:
        token = request.query_params.get("token", "")
        return _page(ASKED.format(html.escape(token, quote=True)))

    async def unsubscribe(request: Request) -> HTMLResponse:
        token = request.query_params.get("token", "")
        try:
            body = await asyncio.wait_for(_body(request), BODY_TIMEOUT)
        except TimeoutError:
            return _page("<p>The request took too long to arrive.</p>", 408)
        if body is None:
            return _page("<p>The request is too large.</p>", 413)
        try:
            row, done = await asyncio.wait_for(run_in_threadpool(honour, app, token), DB_WAIT * 2)
        except ConfigError as exc:
            return _page(f"<p>{html.escape(str(exc))}</p>", 400)
        except (StoreError, TimeoutError) as exc:
            reason = str(exc) or "no answer in time"
            logger.error("unsubscribe unavailable: %s", reason.splitlines()[0])
            return _page(BUSY, 503)
        except Exception:  # the request's error boundary: logged once, a page, not a 500 trace
            logger.exception("unsubscribe page failed")
            return _page(FAILED, 500)
        if row is not None and done:
            logger.info("unsubscribed subscriber=%s via=web", row.id)
        return _page(DONE)

    async def not_found(request: Request, exc: Exception) -> HTMLResponse:
        return _page("<p>Not found.</p>", 404)

    async def not_allowed(request: Request, exc: Exception) -> HTMLResponse:
        return _page("<p>GET or POST only.</p>", 405)

    async def failed(request: Request, exc: Exception) -> HTMLResponse:
        logger.error("unsubscribe page failed: %s", exc.__class__.__name__)
        return _page(FAILED, 500)

    pages = Starlette(
        routes=[
            Route("/unsubscribe", ask, methods=["GET"]),
            Route("/unsubscribe", unsubscribe, methods=["POST"]),
            Route("/unsubscribe/", ask, methods=["GET"]),
            Route("/unsubscribe/", unsubscribe, methods=["POST"]),
        ],
        exception_handlers={404: not_found, 405: not_allowed, 500: failed},
    )
    return _Secured(pages)


async def _body(request: Request) -> bytes | None:
    """The body, or None past MAX_BODY."""
    data = b""
    async for chunk in request.stream():
        data += chunk
        if len(data) > MAX_BODY:
            return None
    return data


_SECURED_RAW = [(name.encode(), value.encode()) for name, value in SECURITY_HEADERS]
_SECURED_NAMES = frozenset(name for name, _ in _SECURED_RAW)


class _Secured:
    """ASGI middleware: the security headers on every response, errors included."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def secured(message: Message) -> None:
            if message["type"] == "http.response.start":
                kept = [(k, v) for k, v in message.get("headers", []) if k not in _SECURED_NAMES]
                message = {**message, "headers": kept + _SECURED_RAW}
            await send(message)

        await self.app(scope, receive, secured)


def build_server(app: App, *, head_timeout: float = HEAD_TIMEOUT) -> uvicorn.Server:
    """The uvicorn server for the page alone, on a store of its own that waits at most DB_WAIT
    seconds for a lock; one request per connection."""
    return server.build(unsubscribe_app(App(app.settings, wait=DB_WAIT)),
                        head_timeout=head_timeout, keep_alive=2)  # fmt: skip


@contextmanager
def running(app: App, host: str = "127.0.0.1", port: int = 0,
            **options: Any) -> Iterator[str]:  # fmt: skip
    """The page served in a thread while the block runs; yields its base URL."""
    with server.running(build_server(app, **options), host, port) as url:
        yield url


def serve_unsubscribe(app: App, host: str, port: int) -> int:
    """Serve until SIGINT or SIGTERM; returns 0."""
    return server.serve(build_server(app), host, port,
                        "serving the unsubscribe page on {url}/unsubscribe")  # fmt: skip
