"""`funding-monitor web` and `demo --web` as whole processes: they print where they listen,
answer pages (unsubscribe links included), log no token, stop cleanly on SIGTERM or Ctrl-C
(SIGINT); a database that does not exist is an error, not a new one; `--help` loads no web
library."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.web.conftest import SECRET


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _start(argv: list[str], env: dict[str, str], cwd: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-m", "monitor", *argv], env=env, cwd=cwd,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)  # fmt: skip


def _first_line_with(process: subprocess.Popen[bytes], text: str) -> str:
    assert process.stdout is not None
    for raw in process.stdout:
        line = raw.decode()
        if text in line:
            return line
    raise AssertionError(f"the process ended ({process.wait()}) without saying {text!r}")


def _stop(process: subprocess.Popen[bytes], how: signal.Signals) -> tuple[int, str]:
    process.send_signal(how)
    try:
        code = process.wait(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
    err = process.stderr.read().decode() if process.stderr else ""
    return code, err


@pytest.mark.parametrize("how", [signal.SIGTERM, signal.SIGINT])
def test_web_serves_the_face_and_stops_cleanly(store, db_url, subscriber, tmp_path, how):
    _, token = subscriber
    port = _free_port()
    env = {**os.environ, "FUNDING_MONITOR_DATABASE_URL": db_url,
           "FUNDING_MONITOR_SECRET_KEY": SECRET, "FUNDING_MONITOR_LOG_LEVEL": "DEBUG"}  # fmt: skip
    process = _start(["web", "--port", str(port)], env, tmp_path)
    try:
        line = _first_line_with(process, "serving the web face on")
        base = f"http://127.0.0.1:{port}"
        assert base in line
        front = httpx.get(base + "/", timeout=30)
        assert front.status_code == 200 and front.headers["x-frame-options"] == "DENY"
        assert "server" not in front.headers
        asked = httpx.get(f"{base}/unsubscribe", params={"token": token},
                          headers={"accept-language": "sv"}, timeout=10)  # fmt: skip
        assert asked.status_code == 200 and "Avsluta prenumerationen" in asked.text
        assert httpx.get(base + "/static/htmx.min.js", timeout=10).status_code == 200
    finally:
        code, err = _stop(process, how)
    assert code == 0, err
    assert "Traceback" not in err and token not in err and SECRET not in err


def test_web_on_a_database_that_does_not_exist_says_so(tmp_path) -> None:
    missing = tmp_path / "nowhere.db"
    env = {**os.environ, "FUNDING_MONITOR_DATABASE_URL": f"sqlite:///{missing}"}
    done = subprocess.run([sys.executable, "-m", "monitor", "web", "--port", str(_free_port())],
                          env=env, cwd=tmp_path, capture_output=True, timeout=60)  # fmt: skip
    assert done.returncode == 2 and not missing.exists()
    assert b"Traceback" not in done.stderr and done.stderr.strip()


def test_a_port_in_use_is_named(store, db_url, tmp_path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        env = {**os.environ, "FUNDING_MONITOR_DATABASE_URL": db_url}
        done = subprocess.run([sys.executable, "-m", "monitor", "web", "--port", str(port)],
                              env=env, cwd=tmp_path, capture_output=True, timeout=60)  # fmt: skip
    assert done.returncode == 2 and f"127.0.0.1:{port}".encode() in done.stderr
    assert b"--port" in done.stderr and b"Traceback" not in done.stderr


@pytest.mark.parametrize("command", [["web", "--help"], ["demo", "--help"]])
def test_help_loads_no_web_library(command) -> None:
    probe = "\n".join([
        "import sys", "from monitor.cli import main", "try:", f"    main({command!r})",
        "except SystemExit:", "    pass",
        "heavy = ('fastapi', 'uvicorn', 'starlette', 'jinja2')",
        "print(sorted(m for m in heavy if m in sys.modules))",
    ])  # fmt: skip
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.decode().strip().splitlines()[-1] == "[]"
    assert b"--port" in done.stdout


def test_demo_web_builds_the_demo_then_serves_it_until_ctrl_c(tmp_path) -> None:
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("FUNDING_MONITOR_")}
    process = _start(["demo", "--web", "--port", str(port), "--limit", "1",
                      "--out-dir", str(tmp_path / "demo")], env, tmp_path)  # fmt: skip
    try:
        line = _first_line_with(process, "serving the web face on")
        assert f"http://127.0.0.1:{port}" in line
        front = httpx.get(f"http://127.0.0.1:{port}/", timeout=60)
        assert front.status_code == 200 and "/calls/" in front.text  # the demo's calls
    finally:
        code, err = _stop(process, signal.SIGINT)
    assert code == 0, err
    assert "Traceback" not in err and (tmp_path / "demo" / "demo.db").exists()


def test_answers_are_sent_without_waiting_for_the_clients_ack() -> None:
    """Connections the web face accepts send at once (TCP_NODELAY): without it, every answer
    after a kept-alive connection's first waited ~40 ms for the client's delayed ACK."""
    from monitor.web.server import listen

    sock = listen("127.0.0.1", 0)
    try:
        with socket.create_connection(sock.getsockname()):
            accepted, _ = sock.accept()
            with accepted:
                assert accepted.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) == 1
    finally:
        sock.close()
