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
import signal
import socket
import threading
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
from uvicorn.protocols.http.h11_impl import H11Protocol

from monitor.app import App
from monitor.app.digests import unsubscribe as honour
from monitor.errors import ConfigError, StoreError

logger = logging.getLogger(__name__)

HEAD_TIMEOUT = 10.0  # seconds for a connection to send its request line and headers
BODY_TIMEOUT = 10.0  # seconds for a POST body
MAX_BODY = 4096  # bytes: a one-click body is 26
DB_WAIT = 5.0  # seconds the database may keep a lock before the page says "try again"
MAX_CONNECTIONS = 200  # connections served at once; uvicorn answers 503 beyond
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


def _guarded(head_timeout: float) -> type[H11Protocol]:
    class Guarded(H11Protocol):
        """h11 with a deadline for the request head: a connection that has not sent a whole
        request line and headers in time (idle, or trickling bytes) is closed. No access log."""

        def connection_made(self, transport: Any) -> None:
            super().connection_made(transport)
            self.access_log = False  # request lines hold the token: never logged, whatever
            # the logging set-up says of "uvicorn.access"
            self._deadline = self.loop.call_later(head_timeout, self._too_slow)

        def _too_slow(self) -> None:
            if self.cycle is None and not self.transport.is_closing():
                self.transport.close()

        def connection_lost(self, exc: Exception | None) -> None:
            self._deadline.cancel()
            super().connection_lost(exc)

    return Guarded


def build_server(app: App, *, head_timeout: float = HEAD_TIMEOUT) -> uvicorn.Server:
    """The uvicorn server for the page, on a store of its own that waits at most DB_WAIT
    seconds for a lock; no access log (the token is in the request line)."""
    config = uvicorn.Config(
        unsubscribe_app(App(app.settings, wait=DB_WAIT)),
        http=_guarded(head_timeout),
        lifespan="off",
        log_config=None,  # the application's logging set-up (monitor/config.py) applies
        access_log=False,
        server_header=False,
        timeout_keep_alive=2,
        timeout_graceful_shutdown=5,
        limit_concurrency=MAX_CONNECTIONS,
        h11_max_incomplete_event_size=16 * 1024,
        proxy_headers=False,
    )
    return uvicorn.Server(config)


def _listen(host: str, port: int) -> socket.socket:
    """A listening socket (bound here so that port 0 is known before serving)."""
    try:
        sock = socket.create_server((host, port), backlog=2048)
    except OSError as exc:
        raise ConfigError(
            f"cannot listen on {host}:{port}: {exc.strerror or exc}",
            hint="Choose another --port, or stop the process that uses it.",
        ) from None
    sock.set_inheritable(True)
    return sock


@contextmanager
def running(app: App, host: str = "127.0.0.1", port: int = 0,
            **options: Any) -> Iterator[str]:  # fmt: skip
    """The page served in a thread while the block runs; yields its base URL."""
    sock = _listen(host, port)
    server = build_server(app, **options)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        while not server.started and thread.is_alive():
            threading.Event().wait(0.02)
        yield f"http://{host}:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


def serve_unsubscribe(app: App, host: str, port: int) -> int:
    """Serve until SIGINT or SIGTERM; returns 0."""
    sock = _listen(host, port)
    print(f"serving the unsubscribe page on http://{host}:{sock.getsockname()[1]}/unsubscribe",
          flush=True)  # fmt: skip
    # uvicorn takes SIGINT/SIGTERM to shut down gracefully, then hands the signal on to the
    # handler it found: a quiet one here, so that a stop is a clean exit 0.
    stops = (signal.SIGINT, signal.SIGTERM)
    before = {s: signal.signal(s, lambda *_: None) for s in stops}
    try:
        build_server(app).run(sockets=[sock])
    finally:
        sock.close()
        for number, handler in before.items():
            signal.signal(number, handler)
    return 0
