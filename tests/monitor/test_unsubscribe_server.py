"""The unsubscribe page under a real uvicorn server on 127.0.0.1 (port 0): idle and trickling
clients hold nothing, bursts are answered, every page has the security headers, and a locked
database gives a clean 503 (issue #12, 9)."""

from __future__ import annotations

import logging
import socket
import sqlite3
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager

import httpx
import pytest

from monitor.app import App
from monitor.config import load_settings
from monitor.digests.tokens import token_for
from monitor.store import subscribers as subscriber_store
from monitor.web.unsubscribe import BUSY, running

HEADERS = {
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "x-frame-options": "DENY",
    "cache-control": "no-store",
}
ONE_CLICK = {"content": b"List-Unsubscribe=One-Click",
             "headers": {"Content-Type": "application/x-www-form-urlencoded"}}  # fmt: skip


@pytest.fixture
def page(store, db_url):
    """(base URL of the page, a valid token, the store)."""
    settings = load_settings(database_url=db_url, secret_key="k" * 32,
                             public_url="https://monitor.example.org")  # fmt: skip
    row = subscriber_store.add_subscriber(store, "email", "r@ki.se")
    with running(App(settings), head_timeout=1.0) as base:
        yield f"{base}/unsubscribe", token_for(settings, row), store


def _active(store) -> bool:
    return subscriber_store.get_subscriber(store, "r@ki.se").active


def test_get_asks_post_unsubscribes_and_every_page_is_secured(page) -> None:
    url, token, store = page
    shown = httpx.get(url, params={"token": token}, timeout=10)
    assert shown.status_code == 200 and '<button type="submit">Unsubscribe</button>' in shown.text
    assert _active(store)  # a GET changes nothing
    missing = httpx.get(url.replace("/unsubscribe", "/elsewhere"), timeout=10)
    put = httpx.put(url, timeout=10)
    bad = httpx.post(url, params={"token": token[:-3] + "xyz"}, timeout=10, **ONE_CLICK)
    assert (missing.status_code, put.status_code, bad.status_code) == (404, 405, 400)
    assert "not valid" in bad.text
    for answer in (shown, missing, put, bad):
        assert {k: answer.headers.get(k) for k in HEADERS} == HEADERS
        policy = answer.headers["content-security-policy"]
        assert policy.startswith("default-src 'none'") and "frame-ancestors 'none'" in policy
        assert "server" not in answer.headers
    done = httpx.post(url, params={"token": token}, timeout=10, **ONE_CLICK)
    assert done.status_code == 200 and "You are unsubscribed" in done.text
    assert not _active(store)


def test_an_idle_or_trickling_client_blocks_no_one_and_is_let_go(page) -> None:
    url, token, _ = page
    host, port = url.split("//")[1].split("/")[0].split(":")
    with socket.create_connection((host, int(port))) as idle, \
         socket.create_connection((host, int(port))) as trickle:  # fmt: skip
        trickle.sendall(b"GET /unsubscribe HTTP/1.1\r\nHost: x\r\n")  # and never the rest
        answer = httpx.get(url, params={"token": token}, timeout=10)
        assert answer.status_code == 200
        for held in (idle, trickle):  # both closed by the head deadline (1 s here)
            held.settimeout(30)
            assert held.recv(1024) == b""


def test_a_burst_of_50_connections_is_answered(page) -> None:
    url, token, _ = page
    with ThreadPoolExecutor(max_workers=50) as pool:
        answers = list(pool.map(lambda _: httpx.get(url, params={"token": token}, timeout=30),
                                range(50)))  # fmt: skip
    assert [a.status_code for a in answers] == [200] * 50


@contextmanager
def _locked(db_url: str) -> Iterator[None]:
    """Another process's writer holding the subscriber table."""
    if db_url.startswith("sqlite"):
        conn = sqlite3.connect(db_url.removeprefix("sqlite:///"), isolation_level=None)
        conn.execute("BEGIN EXCLUSIVE")
        try:
            yield
        finally:
            conn.execute("ROLLBACK")
            conn.close()
        return
    import psycopg

    with psycopg.connect(db_url.replace("postgresql+psycopg://", "postgresql://")) as conn:
        conn.execute("LOCK TABLE subscriber IN ACCESS EXCLUSIVE MODE")
        yield
        conn.rollback()


def test_a_locked_database_is_a_clean_503(page, db_url, caplog, capfd) -> None:
    url, token, store = page
    with caplog.at_level(logging.INFO), _locked(db_url):
        answer = httpx.post(url, params={"token": token}, timeout=60, **ONE_CLICK)
    assert answer.status_code == 503 and BUSY in answer.text
    assert answer.headers["cache-control"] == "no-store"
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert [r.getMessage().split(":")[0] for r in errors] == ["unsubscribe unavailable"]
    assert all(r.exc_info is None for r in errors)  # one line, no traceback
    served = [r.getMessage() for r in caplog.records if not r.name.startswith("httpx")]
    assert served and not any(token in line for line in served)  # the client's own lines aside
    _, err = capfd.readouterr()
    assert "Traceback" not in err and token not in err
    assert _active(store)  # and once the lock is gone, the same link works
    assert httpx.post(url, params={"token": token}, timeout=30, **ONE_CLICK).status_code == 200
    assert not _active(store)


def test_unsubscribe_serve_runs_under_uvicorn_and_stops_on_sigterm(db_url, store, tmp_path):
    import os
    import signal
    import subprocess
    import sys

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {**os.environ, "FUNDING_MONITOR_DATABASE_URL": db_url,
           "FUNDING_MONITOR_SECRET_KEY": "k" * 32}  # fmt: skip
    process = subprocess.Popen(
        [sys.executable, "-m", "monitor", "unsubscribe", "--serve", "--port", str(port)],
        env=env, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    try:
        assert process.stdout is not None
        line = process.stdout.readline().decode()
        assert f"http://127.0.0.1:{port}/unsubscribe" in line
        answer = httpx.get(f"http://127.0.0.1:{port}/unsubscribe", params={"token": "t"},
                           timeout=10)  # fmt: skip
        assert answer.status_code == 200 and answer.headers["referrer-policy"] == "no-referrer"
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 0
    finally:
        if process.poll() is None:
            process.kill()
    err = process.stderr.read().decode() if process.stderr else ""
    assert "Traceback" not in err and "token=t" not in err
