"""A scriptable HTTP server on 127.0.0.1 for testing fetchers against hostile answers."""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit


@dataclass
class Reply:
    """One scripted answer. ``declared_length`` lets a test lie about Content-Length (a
    truncated body); ``delay`` makes the server slow (a timeout)."""

    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=lambda: {"Content-Type": "application/json"})
    declared_length: int | None = None
    delay: float = 0.0


Responder = Callable[[str, str, dict[str, str], bytes], Reply]


class ScriptedServer:
    """Routes (METHOD, path) to a list of replies used in turn (the last one repeats), or to a
    function. Every request is recorded."""

    def __init__(self) -> None:
        self.routes: dict[tuple[str, str], list[Reply] | Responder] = {}
        self.requests: list[dict[str, Any]] = []
        self.url = ""

    def add(self, method: str, path: str, *replies: Reply) -> None:
        self.routes[(method, path)] = list(replies)

    def add_function(self, method: str, path: str, responder: Responder) -> None:
        self.routes[(method, path)] = responder

    def count(self, method: str, path: str) -> int:
        return sum(
            1 for r in self.requests if r["method"] == method and urlsplit(r["path"]).path == path
        )

    def answer(self, method: str, path: str, headers: dict[str, str], body: bytes) -> Reply:
        self.requests.append({"method": method, "path": path, "headers": headers, "body": body})
        route = self.routes.get((method, urlsplit(path).path))
        if route is None:
            return Reply(404, b'{"message":"not found"}')
        if callable(route):
            return route(method, path, headers, body)
        return route.pop(0) if len(route) > 1 else route[0]


@contextmanager
def scripted_server() -> Iterator[ScriptedServer]:
    scripted = ScriptedServer()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
            pass

        def _handle(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            reply = scripted.answer(self.command, self.path, dict(self.headers), body)
            if reply.delay:
                time.sleep(reply.delay)
            self.send_response(reply.status)
            for key, value in reply.headers.items():
                self.send_header(key, value)
            length_value = (
                reply.declared_length if reply.declared_length is not None else len(reply.body)
            )
            self.send_header("Content-Length", str(length_value))
            self.end_headers()
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                self.wfile.write(reply.body)
            if reply.declared_length is not None:
                self.close_connection = True

        do_GET = do_POST = _handle  # noqa: N815

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    scripted.url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        yield scripted
    finally:
        server.shutdown()
        server.server_close()
