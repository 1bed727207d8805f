"""The web face: a FastAPI application over ``monitor.app``, pages rendered by Jinja2
(autoescaped), htmx and the style sheet served from the package (no CDN), served by uvicorn.

What a page module uses from here:
  ``router`` (a fastapi.APIRouter) in each module listed in ``pages.PAGES``;
  ``app_of(request)`` the process's ``monitor.app.App``;
  ``language_of(request)`` "en" or "sv" (``?lang=`` switch, kept in a cookie, then
      Accept-Language, then English);
  ``render(request, template, context, status=200)`` a page: the context gets ``t`` (the
      language's texts: ``t(key, **values)``), ``lang`` and ``other_lang``, ``words`` (the
      digests' ``notifications.wording.Words`` of the language and TIMEZONE: ``words.when(at)``,
      ``words.day(at)``, ``words.money(amount, currency)``), ``op`` (``op(text)``: an operator
      text, a hint or a kind's description, in the language: ``i18n.operator``), ``csrf_field``
      and ``csrf_token``
      (every POST form carries them: ``<input type="hidden" name="{{ csrf_field }}" value="{{
      csrf_token }}">``), ``switch_href`` (this page in the other language), ``path`` and
      ``public_url`` (PUBLIC_URL without its final slash, or "");
  ``not_found(request)`` the 404 page;
  ``HTTPException(status, key)`` (fastapi's) with a text key as detail ("forbidden_form",
      "too_large"…) becomes the error page saying that text in the reader's language; any other
      detail gets the status's own text (400, 404, 405, 408, 413, 500).
Every answer, a crash's 500 included, carries the security headers (``security.py``); a POST
body is at most ``security.MAX_BODY`` bytes, arriving within ``security.BODY_TIMEOUT`` seconds.

Serving: ``serve(app, host, port)`` until SIGINT/SIGTERM (``funding-monitor web``, ``demo
--web``, ``unsubscribe --serve``); ``running(app)`` in a thread while a block runs (tests).
Both give the pages a store that waits at most ``DB_WAIT`` seconds for a database lock.
"""

from __future__ import annotations

import importlib
import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, Response
from fastapi.staticfiles import StaticFiles
from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from monitor.app.context import App
from monitor.web import csrf, i18n
from monitor.web.pages import PAGES
from monitor.web.security import BodyLimit, SecureHeaders
from notifications.wording import Words

if TYPE_CHECKING:
    import uvicorn

logger = logging.getLogger(__name__)

HERE = Path(__file__).parent
DB_WAIT = 5.0  # seconds a page waits for a database lock before it says "try again"
STATUS_TEXTS = {400: "bad_request", 404: "not_found", 405: "not_allowed", 408: "too_slow",
                413: "too_large", 500: "failed", 503: "busy"}  # fmt: skip
TEMPLATES = Environment(
    loader=FileSystemLoader(HERE / "templates"),
    autoescape=select_autoescape(default=True, default_for_string=True),
    trim_blocks=True,
    lstrip_blocks=True,
    # The templates ship in the package and change only with it: not a stat of every
    # template (and each it includes) on every page, 3 % of a search's CPU.
    auto_reload=False,
    cache_size=-1,  # every template stays compiled (there are fewer than 60)
)


def create_app(app: App) -> FastAPI:
    """The web application of ``app`` (its settings and store)."""
    web = FastAPI(title="funding-monitor", version="1", docs_url="/api/docs",
                  openapi_url="/api/openapi.json", redoc_url=None)  # fmt: skip
    web.state.app = app
    web.state.public_url = (app.settings.public_url or "").rstrip("/")
    web.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    for name in PAGES:
        page = importlib.import_module(name)
        web.include_router(page.router)
        if hasattr(page, "install"):
            page.install(web)

    # outermost last: Timed, SecureHeaders, BodyLimit, Failsafe, then FastAPI's own handlers
    web.add_middleware(Failsafe)
    web.add_middleware(BodyLimit)
    web.add_middleware(SecureHeaders, https=web.state.public_url.startswith("https://"))
    web.add_middleware(Timed)

    @web.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if request.url.path.startswith("/api/"):
            from fastapi.responses import JSONResponse

            return JSONResponse({"error": str(exc.detail)}, status_code=exc.status_code,
                                headers=exc.headers)  # fmt: skip
        if exc.status_code == 404:
            return not_found(request)
        response = error_page(request, str(exc.detail), exc.status_code)
        response.headers.update(exc.headers or {})
        return response

    return web


def error_page(request: Request, detail: str, status: int) -> HTMLResponse:
    """The error page: ``detail`` when it is a text key, else the status's own text."""
    t = i18n.texts(language_of(request))
    try:
        message = t(detail)
    except KeyError:
        message = t(STATUS_TEXTS.get(status, "bad_request" if status < 500 else "failed"))
    return render(request, "error.html", {"message": message, "detail": detail}, status=status)


class Failsafe:
    """A request that crashed gets the 500 page inside the security headers (Starlette's own
    last resort answers outside every middleware), logged once with its traceback and path
    (never the query string: it may hold a token)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def watched(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, watched)
        except Exception:  # the request's error boundary
            logger.exception("page failed method=%s path=%s", scope["method"], scope["path"])
            if not started:
                await error_page(Request(scope), "failed", 500)(scope, receive, send)


class Timed:
    """``Server-Timing: app;dur=MS`` on every answer: the time the application took (what
    bench/web.py reports as server time)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()

        async def timed(message: Message) -> None:
            if message["type"] == "http.response.start":
                took = f"app;dur={(time.perf_counter() - started) * 1000:.1f}".encode()
                message = {**message, "headers": [*message.get("headers", []),
                                                  (b"server-timing", took)]}  # fmt: skip
            await send(message)

        await self.app(scope, receive, timed)


def app_of(request: Request) -> App:
    found: App = request.app.state.app
    return found


def language_of(request: Request) -> str:
    return i18n.language(request)


def render(
    request: Request, template: str, context: dict[str, Any], *, status: int = 200
) -> HTMLResponse:
    lang = language_of(request)
    values = {
        "t": i18n.texts(lang), "op": i18n.operator(lang), "lang": lang, "path": request.url.path,
        "switch_href": i18n.switch_href(request, lang),
        "other_lang": "sv" if lang == "en" else "en",
        "words": Words(lang, app_of(request).settings.timezone),
        "csrf_field": csrf.FIELD, "csrf_token": csrf.token(request),
        "public_url": request.app.state.public_url,
        **context,
    }  # fmt: skip
    response = HTMLResponse(TEMPLATES.get_template(template).render(values), status_code=status)
    i18n.remember(request, response, lang)
    csrf.remember(request, response)
    return response


def message(request: Request, heading: str, body: str, *, again: bool = False,
            status: int = 200) -> HTMLResponse:  # fmt: skip
    """A page of one heading and one paragraph (text keys); ``again``: a link to ask for a
    new email link."""
    return render(request, "message.html", {"heading": heading, "body": body, "again": again},
                  status=status)  # fmt: skip


def link_gone(request: Request) -> HTMLResponse:
    """The page of an email link that was used, expired, forged or revoked."""
    return message(request, "link_gone_heading", "link_gone_body", again=True, status=410)


def not_found(request: Request) -> HTMLResponse:
    return render(request, "error.html", {"message": i18n.texts(language_of(request))("not_found")},
                  status=404)  # fmt: skip


def build_server(app: App, *, head_timeout: float | None = None) -> uvicorn.Server:
    """The uvicorn server (``server.py``'s hardening) of the web face of ``app``'s settings and
    clock, on a store of its own that waits at most DB_WAIT seconds for a lock."""
    from monitor.web import server

    pages = create_app(App(app.settings, wait=DB_WAIT, clock=app.clock))
    return server.build(pages, head_timeout=head_timeout or server.HEAD_TIMEOUT,
                        proxy_headers=bool(app.settings.public_url))  # fmt: skip


@contextmanager
def running(app: App, host: str = "127.0.0.1", port: int = 0,
            **options: Any) -> Iterator[str]:  # fmt: skip
    """The web face served in a thread while the block runs; yields its base URL."""
    from monitor.web import server

    with server.running(build_server(app, **options), host, port) as url:
        yield url


def serve(app: App, host: str, port: int,
          what: str = "serving the web face on {url} (Ctrl-C stops it)") -> int:  # fmt: skip
    """Serve the web face of ``app`` until SIGINT or SIGTERM; returns 0. ``what``: the first
    line printed, with ``{url}`` the base address."""
    from monitor.web import server

    return server.serve(build_server(app), host, port, what)
