"""The unsubscribe page behind ``PUBLIC_URL/unsubscribe?token=…``, a page of the web face (the
links in every digest sent so far keep working: same path, same token).

``GET`` shows a confirmation button and changes nothing (mail scanners follow links);
``POST`` unsubscribes — the button (its form carries the CSRF token), or a mail client's
RFC 8058 one-click request with the body ``List-Unsubscribe=One-Click``, which needs no CSRF
token: the signed token in the URL is the authority, and a mail client has no cookie. Pages are
in English or Swedish like every page; a bad token is a 400 that says why.

What keeps one client from holding the server is the web face's (``server.py``: a deadline
for each request head, a cap on connections; ``security.py``: a body within 10 s and 64 KiB, a
one-click body is 26 bytes). A database that is locked or down answers a 503 page within
``DB_WAIT`` seconds, logged on one line. The token is in the URL: request lines are never
logged, and every page says ``Referrer-Policy: no-referrer`` and ``Cache-Control: no-store``.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import parse_qs

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from starlette.concurrency import run_in_threadpool

from monitor.app import App
from monitor.app.digests import unsubscribe as honour
from monitor.errors import ConfigError, StoreError
from monitor.web import csrf
from monitor.web.app import DB_WAIT, app_of, render, serve
from monitor.web.app import running as serving
from monitor.web.i18n import FRAME

logger = logging.getLogger(__name__)

router = APIRouter(include_in_schema=False)
BUSY = FRAME["en"]["busy"]  # the 503 page's English words
ONE_CLICK = ("List-Unsubscribe", "One-Click")  # RFC 8058's POST body, as a form field
MAX_TOKEN = 500  # characters: a token is about 40


def _page(request: Request, state: str, status: int = 200, token: str = "") -> HTMLResponse:
    return render(request, "unsubscribe.html", {"state": state, "token": token}, status=status)


@router.get("/unsubscribe")
@router.get("/unsubscribe/")
async def ask(request: Request) -> HTMLResponse:
    token = request.query_params.get("token", "")[:MAX_TOKEN]
    if not token.strip():
        return _page(request, "unsubscribe_no_token", 400)
    return _page(request, "ask", token=token)


@router.post("/unsubscribe")
@router.post("/unsubscribe/")
async def unsubscribe(request: Request) -> HTMLResponse:
    token = request.query_params.get("token", "")[:MAX_TOKEN]
    body = await request.body()  # bounded in size and time by security.BodyLimit
    fields = parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True)
    if fields.get(ONE_CLICK[0]) != [ONE_CLICK[1]]:  # the page's button: a form of this site
        csrf.verify(request, (fields.get(csrf.FIELD) or [""])[0])
    try:
        row, done = await asyncio.wait_for(run_in_threadpool(honour, app_of(request), token),
                                           DB_WAIT * 2)  # fmt: skip
    except ConfigError as exc:  # not one of our tokens, or revoked: said, and nothing logged
        logger.warning("unsubscribe refused: %s", str(exc).splitlines()[0])  # holds no token
        return _page(request, "unsubscribe_invalid", 400)
    except (StoreError, TimeoutError) as exc:
        reason = str(exc) or "no answer in time"
        logger.error("unsubscribe unavailable: %s", reason.splitlines()[0])
        return _page(request, "busy", 503)
    except Exception:  # the request's error boundary: logged once, a page, not a 500 trace
        logger.exception("unsubscribe page failed")
        return _page(request, "failed", 500)
    if row is not None and done:
        logger.info("unsubscribed subscriber=%s via=web", row.id)
    return _page(request, "done" if done or row is None else "already")


@contextmanager
def running(app: App, host: str = "127.0.0.1", port: int = 0,
            **options: Any) -> Iterator[str]:  # fmt: skip
    """The web face (this page among its pages) served in a thread while the block runs;
    yields its base URL."""
    with serving(app, host, port, **options) as url:
        yield url


def serve_unsubscribe(app: App, host: str, port: int) -> int:
    """``unsubscribe --serve``: the whole web face, until SIGINT or SIGTERM; returns 0."""
    return serve(app, host, port, "serving the web face on {url}: the unsubscribe page is "
                 "{url}/unsubscribe (Ctrl-C stops it)")  # fmt: skip
