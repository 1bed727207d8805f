"""The web face: a FastAPI application over ``monitor.app``, pages rendered by Jinja2
(autoescaped), htmx and the style sheet served from the package (no CDN), served by uvicorn.

What a page module uses from here:
  ``router`` (a fastapi.APIRouter) in each module listed in ``PAGES``;
  ``app_of(request)`` the process's ``monitor.app.App``;
  ``language_of(request)`` "en" or "sv" (``?lang=`` switch, kept in a cookie, then
      Accept-Language, then English);
  ``render(request, template, context, status=200)`` a page: the context gets ``t`` (the
      language's texts), ``lang``, ``csrf_field`` and ``csrf_token`` (every POST form carries
      them), ``switch_href`` (this page in the other language) and ``path``;
  ``not_found(request)`` the 404 page.
"""

from __future__ import annotations

import importlib
import time
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, Response
from fastapi.staticfiles import StaticFiles
from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from monitor.app.context import App
from monitor.web import csrf, i18n
from monitor.web.security import SecureHeaders

HERE = Path(__file__).parent
PAGES = ("monitor.web.search", "monitor.web.call", "monitor.web.api", "monitor.web.docs")
TEMPLATES = Environment(
    loader=FileSystemLoader(HERE / "templates"),
    autoescape=select_autoescape(default=True, default_for_string=True),
    trim_blocks=True,
    lstrip_blocks=True,
)


def create_app(app: App) -> FastAPI:
    """The web application of ``app`` (its settings and store)."""
    web = FastAPI(title="funding-monitor", version="1", docs_url="/api/docs",
                  openapi_url="/api/openapi.json", redoc_url=None)  # fmt: skip
    web.state.app = app
    web.state.public_url = (app.settings.public_url or "").rstrip("/")
    web.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    for name in PAGES:
        web.include_router(importlib.import_module(name).router)

    web.add_middleware(SecureHeaders, https=web.state.public_url.startswith("https://"))
    web.add_middleware(Timed)

    @web.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if request.url.path.startswith("/api/"):
            from fastapi.responses import JSONResponse

            return JSONResponse({"error": str(exc.detail)}, status_code=exc.status_code)
        if exc.status_code == 404:
            return not_found(request)
        t = i18n.texts(language_of(request))
        message = t("forbidden_form") if exc.detail == "forbidden_form" else str(exc.detail)
        return render(request, "error.html", {"message": message}, status=exc.status_code)

    return web


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
        "t": i18n.texts(lang), "lang": lang, "path": request.url.path,
        "switch_href": i18n.switch_href(request, lang),
        "other_lang": "sv" if lang == "en" else "en",
        "csrf_field": csrf.FIELD, "csrf_token": csrf.token(request),
        **context,
    }  # fmt: skip
    response = HTMLResponse(TEMPLATES.get_template(template).render(values), status_code=status)
    i18n.remember(request, response, lang)
    csrf.remember(request, response)
    return response


def not_found(request: Request) -> HTMLResponse:
    return render(request, "error.html", {"message": i18n.texts(language_of(request))("not_found")},
                  status=404)  # fmt: skip
