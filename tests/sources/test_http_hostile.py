"""The polite client against servers that stall, trickle, send nothing or redirect badly."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest

from sources.errors import FetchError
from sources.http import HttpClient, redirect_problem
from tests.httpserver import Reply, scripted_server


@contextmanager
def slow_server(pause: float, sent_before_stall: int | None = None) -> Iterator[str]:
    """Answers 200 with a 1,000-byte body sent a byte every ``pause`` seconds, or, with
    ``sent_before_stall``, that many bytes and then nothing more (until the test ends)."""
    stop = threading.Event()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
            pass

        def do_GET(self) -> None:  # noqa: N802
            self.send_response(200)
            self.send_header("Content-Type", "application/rss+xml")
            self.send_header("Content-Length", "1000")
            self.end_headers()
            try:
                for n in range(1000):
                    if sent_before_stall is not None and n >= sent_before_stall:
                        stop.wait(30)
                        return
                    self.wfile.write(b"x")
                    self.wfile.flush()
                    if stop.wait(pause):
                        return
            except (BrokenPipeError, ConnectionResetError):
                return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/feed"
    finally:
        stop.set()
        server.shutdown()
        server.server_close()


def test_a_trickling_server_is_cut_off_at_the_request_deadline() -> None:
    """A byte every 0.2 s never trips a 30 s read timeout: only the request's deadline can."""
    with slow_server(0.2) as url, httpx.Client(timeout=30) as client:
        http = HttpClient(client, attempts=4, request_deadline=1.5, sleep=lambda s: None)
        with pytest.raises(FetchError, match=r"no complete answer within 1\.5 s") as caught:
            http.get(url)
    assert "bytes of the body had come" in str(caught.value)
    assert "http_request_deadline" in caught.value.hint


def test_a_server_that_stops_mid_body_is_cut_off_with_every_retry_inside_the_deadline() -> None:
    with slow_server(0.0, sent_before_stall=10) as url, httpx.Client(timeout=30) as client:
        http = HttpClient(client, attempts=4, backoff=0, request_deadline=1.5)
        with pytest.raises(FetchError) as caught:
            http.get(url)
    assert "1.5 s" in str(caught.value) or "timed out" in str(caught.value)


def test_an_empty_200_is_a_broken_answer_tried_again_then_reported() -> None:
    with scripted_server() as server, httpx.Client() as client:
        server.add("GET", "/feed", Reply(200, b"", {"Content-Type": "application/rss+xml"}))
        http = HttpClient(client, attempts=2, sleep=lambda s: None)
        with pytest.raises(FetchError, match="server answered 200 with an empty body") as caught:
            http.get(server.url + "/feed")
    assert server.count("GET", "/feed") == 2 and "not an empty listing" in caught.value.hint


@pytest.mark.parametrize(
    ("here", "there", "problem"),
    [
        ("https://a.example/x", "https://a.example/y", None),
        ("http://a.example/x", "https://a.example/y", None),  # the upgrade
        ("https://a.example/x", "http://a.example/y", "from https to plain http"),
        ("https://a.example/x", "https://a.example:8443/y", "to another port"),
        ("http://a.example:8080/x", "https://a.example/y", "to another port"),
        ("https://a.example/x", "https://b.example/y", "to another host"),
        ("https://a.example/x", "ftp://a.example/y", "to a non-HTTP address"),
        ("https://a.example/x", "https://A.EXAMPLE:443/y", None),
    ],
)
def test_which_redirects_are_followed(here: str, there: str, problem: str | None) -> None:
    assert redirect_problem(here, there) == problem


def test_a_redirect_to_another_port_of_the_same_host_is_refused() -> None:
    with scripted_server() as server, scripted_server() as other, httpx.Client() as client:
        other.add("GET", "/x", Reply(200, b"elsewhere", {"Content-Type": "text/plain"}))
        server.add("GET", "/old", Reply(302, b"", {"Location": other.url + "/x"}))
        with pytest.raises(FetchError, match="redirected to another port"):
            HttpClient(client, sleep=lambda s: None).get(server.url + "/old")
    assert other.requests == []
