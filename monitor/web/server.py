"""Serving an ASGI application with uvicorn, hardened the same way for every page: a deadline
for each request head (a slow or idle client cannot hold a connection), a cap on connections
(503 beyond), no access log (some URLs carry tokens), no server header, a graceful stop on
SIGINT or SIGTERM, and the listening socket bound first (so that port 0 is known)."""

from __future__ import annotations

import signal
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import uvicorn
from starlette.types import ASGIApp
from uvicorn.protocols.http.h11_impl import H11Protocol

from monitor.errors import ConfigError

HEAD_TIMEOUT = 10.0  # seconds for a connection to send its request line and headers
MAX_CONNECTIONS = 200  # connections served at once; uvicorn answers 503 beyond


def _guarded(head_timeout: float) -> type[H11Protocol]:
    class Guarded(H11Protocol):
        """h11 with a deadline for the request head: a connection that has not sent a whole
        request line and headers in time (idle, or trickling bytes) is closed. No access log."""

        def connection_made(self, transport: Any) -> None:
            super().connection_made(transport)
            self.access_log = False  # request lines may hold a token: never logged, whatever
            # the logging set-up says of "uvicorn.access"
            self._deadline = self.loop.call_later(head_timeout, self._too_slow)

        def _too_slow(self) -> None:
            if self.cycle is None and not self.transport.is_closing():
                self.transport.close()

        def on_response_complete(self) -> None:  # a kept-alive connection gets a new deadline
            super().on_response_complete()
            self._deadline.cancel()
            self._deadline = self.loop.call_later(head_timeout, self._too_slow)

        def connection_lost(self, exc: Exception | None) -> None:
            self._deadline.cancel()
            super().connection_lost(exc)

    return Guarded


def build(asgi: ASGIApp, *, head_timeout: float = HEAD_TIMEOUT, keep_alive: int = 5,
          proxy_headers: bool = False) -> uvicorn.Server:  # fmt: skip
    """The uvicorn server of ``asgi``. ``proxy_headers``: trust X-Forwarded-Proto/For from a
    reverse proxy on this host (when PUBLIC_URL is set)."""
    config = uvicorn.Config(
        asgi,
        http=_guarded(head_timeout),
        lifespan="off",
        log_config=None,  # the application's logging set-up (monitor/config.py) applies
        access_log=False,
        server_header=False,
        timeout_keep_alive=keep_alive,
        timeout_graceful_shutdown=5,
        limit_concurrency=MAX_CONNECTIONS,
        h11_max_incomplete_event_size=16 * 1024,
        proxy_headers=proxy_headers,
        forwarded_allow_ips="127.0.0.1" if proxy_headers else None,
    )
    return uvicorn.Server(config)


def listen(host: str, port: int) -> socket.socket:
    """A listening socket, or ConfigError naming the address and why."""
    try:
        sock = socket.create_server((host, port), backlog=2048)
    except OSError as exc:
        raise ConfigError(
            f"cannot listen on {host}:{port}: {exc.strerror or exc}",
            hint="Choose another --port, or stop the process that uses it.",
        ) from None
    # Answers go out at once (no Nagle): asyncio sets TCP_NODELAY only on sockets whose
    # protocol is given as TCP, which create_server's are not, and without it every answer
    # after a connection's first waited ~40 ms for the client's delayed ACK. Accepted
    # connections inherit it from the listening socket.
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.set_inheritable(True)
    return sock


@contextmanager
def running(server: uvicorn.Server, host: str = "127.0.0.1", port: int = 0) -> Iterator[str]:
    """``server`` serving in a thread while the block runs; yields its base URL."""
    sock = listen(host, port)
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


def serve(server: uvicorn.Server, host: str, port: int, what: str) -> int:
    """Serve until SIGINT or SIGTERM (a clean stop: 0). ``what`` names it on the first line,
    e.g. "the web face on {url}"."""
    sock = listen(host, port)
    print(what.format(url=f"http://{host}:{sock.getsockname()[1]}"), flush=True)
    # uvicorn takes SIGINT/SIGTERM to shut down gracefully, then hands the signal on to the
    # handler it found: a quiet one here, so that a stop is a clean exit 0.
    stops = (signal.SIGINT, signal.SIGTERM)
    before = {s: signal.signal(s, lambda *_: None) for s in stops}
    try:
        server.run(sockets=[sock])
    finally:
        sock.close()
        for number, handler in before.items():
            signal.signal(number, handler)
    return 0
