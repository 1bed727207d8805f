"""The unsubscribe page behind ``PUBLIC_URL/unsubscribe``: a WSGI app (stdlib wsgiref).

``GET`` shows a confirmation button and changes nothing (mail scanners follow links);
``POST`` unsubscribes — the button, or a mail client's RFC 8058 one-click request with the body
``List-Unsubscribe=One-Click``. Pages are escaped HTML; a bad token is a 400 that says why.
"""

from __future__ import annotations

import contextlib
import html
import logging
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import parse_qs
from wsgiref.simple_server import WSGIRequestHandler, make_server

from monitor.config import Settings
from monitor.errors import ConfigError
from monitor.store.db import Store
from monitor.tokens import honour

logger = logging.getLogger(__name__)
StartResponse = Callable[[str, list[tuple[str, str]]], Any]
PAGE = ('<!DOCTYPE html><html><head><meta charset="utf-8"><meta name="viewport" '
        'content="width=device-width, initial-scale=1"><title>funding-monitor</title></head>'
        '<body style="font-family:Arial,sans-serif;max-width:560px;margin:40px auto;padding:0 '
        '16px">{}</body></html>')  # fmt: skip


def unsubscribe_app(store: Store, settings: Settings) -> Callable[..., Iterable[bytes]]:
    def app(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        if environ.get("PATH_INFO", "").rstrip("/") != "/unsubscribe":
            return _page(start_response, "404 Not Found", "<p>Not found.</p>")
        token = parse_qs(environ.get("QUERY_STRING", "")).get("token", [""])[0]
        method = environ.get("REQUEST_METHOD", "GET")
        if method == "GET":
            body = (f'<p>Stop receiving funding-monitor digests?</p><form method="post" '
                    f'action="?token={html.escape(token, quote=True)}"><button type="submit">'
                    f"Unsubscribe</button></form>")  # fmt: skip
            return _page(start_response, "200 OK", body)
        if method != "POST":
            return _page(start_response, "405 Method Not Allowed", "<p>GET or POST only.</p>")
        try:
            row, done = honour(store, settings, token)
        except ConfigError as exc:
            return _page(start_response, "400 Bad Request", f"<p>{html.escape(str(exc))}</p>")
        if row is not None and done:
            logger.info("unsubscribed subscriber=%s via=web", row.id)
        return _page(start_response, "200 OK", "<p>You are unsubscribed. No more digests will "
                     "be sent to this address.</p>")  # fmt: skip

    return app


def _page(start_response: StartResponse, status: str, body: str) -> list[bytes]:
    data = PAGE.format(body).encode("utf-8")
    start_response(status, [("Content-Type", "text/html; charset=utf-8"),
                            ("Content-Length", str(len(data))),
                            ("Cache-Control", "no-store")])  # fmt: skip
    return [data]


class _Quiet(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        pass  # the query string holds the token: request lines are not logged


def serve_unsubscribe(store: Store, settings: Settings, host: str, port: int) -> int:
    """Serve until interrupted; returns 0."""
    with make_server(host, port, unsubscribe_app(store, settings), handler_class=_Quiet) as server:
        print(f"serving the unsubscribe page on http://{host}:{server.server_port}/unsubscribe")
        with contextlib.suppress(KeyboardInterrupt):
            server.serve_forever()
    return 0
