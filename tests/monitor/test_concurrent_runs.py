"""Two runs of one source at once: the second is told the source is busy, and the store
never records a change twice, whatever keeps (or fails to keep) the writers apart."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

from sqlmodel import func, select

from monitor.store import sources as source_store
from monitor.store.calls import upsert_calls
from monitor.store.db import Store, open_store
from monitor.store.tables import CallChange, FetchRun
from sources.eu_ft.parse import parse
from sources.records import FetchResult, Page
from tests.conftest import CAPTURE_TIME, FIXTURES
from tests.httpserver import Reply, scripted_server

RSS = {"Content-Type": "application/rss+xml"}


def _moved(records, days: int):
    return [replace(r, deadlines=tuple(replace(d, at=d.at + timedelta(days=days))
                                       for d in r.deadlines)) for r in records]  # fmt: skip


def test_two_writers_of_one_source_record_each_change_once(db_url, search_2026) -> None:
    """No lock between them: two threads, each with its own connection pool, store the same
    moved deadlines at the same moment, three times over."""
    stores = [open_store(db_url), Store(db_url)]
    source = source_store.add_source(stores[0], "eu", "eu-ft", "http://127.0.0.1:9/x", {})
    assert source.id is not None
    records = parse(FetchResult("eu", (Page("u", 1, search_2026),)), CAPTURE_TIME)
    upsert_calls(stores[0], source.id, records, CAPTURE_TIME)
    dated = sum(1 for r in records if r.deadlines)
    for round_ in range(1, 4):
        listing = _moved(records, round_)
        start = threading.Barrier(2)
        errors: list[BaseException] = []

        def write(store: Store, listing=listing, start=start, errors=errors, n=round_) -> None:
            start.wait()
            try:
                upsert_calls(store, source.id, listing, CAPTURE_TIME + timedelta(hours=n))
            except BaseException as exc:  # reported below
                errors.append(exc)

        threads = [threading.Thread(target=write, args=(s,)) for s in stores]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert errors == []
        with stores[0].session() as session:
            moved = session.exec(select(func.count()).select_from(CallChange)
                                 .where(CallChange.kind == "deadline_changed")).one()  # fmt: skip
        assert moved == dated * round_
    for store in stores:
        store.dispose()


def _env(db_url: str) -> dict[str, str]:
    return {**os.environ, "FUNDING_MONITOR_DATABASE_URL": db_url,
            "FUNDING_MONITOR_FETCH_ORIGIN_INTERVAL": "0"}  # fmt: skip


def _monitor(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "monitor", *args], env=env, text=True,
                          capture_output=True, timeout=120)  # fmt: skip


def test_a_second_fetch_of_a_busy_source_says_so_and_leaves_it_alone(db_url, tmp_path) -> None:
    body = (FIXTURES / "feeds/edctp3/calls_rss_trimmed.xml").read_bytes()
    env = _env(db_url)
    store = open_store(db_url)
    with scripted_server() as server:
        server.add("GET", "/slow", Reply(200, body, RSS, delay=4))
        server.add("GET", "/quick", Reply(200, body.replace(b"node/", b"quick/"), RSS))
        for name in ("slow", "quick"):
            done = _monitor("sources", "add", name, "--kind", "feed", "--url",
                            f"{server.url}/{name}", env=env)  # fmt: skip
            assert done.returncode == 0, done.stderr
        first = subprocess.Popen([sys.executable, "-m", "monitor", "fetch", "--source", "slow"],
                                 env=env, text=True, stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE)  # fmt: skip
        try:
            deadline = time.monotonic() + 60
            while server.count("GET", "/slow") == 0 and time.monotonic() < deadline:
                time.sleep(0.05)  # the first run holds the source once its request is out
            second = _monitor("fetch", env=env)
            out, err = first.communicate(timeout=60)
        finally:
            if first.poll() is None:
                first.kill()
    assert first.returncode == 0, err
    assert second.returncode == 3, second.stdout + second.stderr
    assert "slow: BUSY: source 'slow': busy:" in second.stdout and f":{first.pid} since" in (
        second.stdout)  # fmt: skip
    assert "quick: ok new=13" in second.stdout and "Traceback" not in second.stderr
    with store.session() as session:
        runs = session.exec(select(FetchRun.outcome)).all()
        news = session.exec(select(func.count()).select_from(CallChange)
                            .where(CallChange.kind == "new")).one()  # fmt: skip
    assert sorted(runs) == ["ok", "ok"] and news == 26  # the busy source opened no run
    assert server.count("GET", "/slow") == 1
    store.dispose()


def test_a_killed_fetch_leaves_a_failed_run_and_the_next_one_runs(db_url, tmp_path: Path) -> None:
    """SIGKILL mid-fetch: the next `fetch` takes the free lock, closes the dead run as failed
    (the failure counts for health) and fetches."""
    body = (FIXTURES / "feeds/edctp3/calls_rss_trimmed.xml").read_bytes()
    env = _env(db_url)
    store = open_store(db_url)
    with scripted_server() as server:
        server.add("GET", "/rss", Reply(200, body, RSS, delay=30), Reply(200, body, RSS))
        assert _monitor("sources", "add", "s", "--kind", "feed", "--url", server.url + "/rss",
                        env=env).returncode == 0  # fmt: skip
        killed = subprocess.Popen([sys.executable, "-m", "monitor", "fetch"], env=env,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
        deadline = time.monotonic() + 60
        while server.count("GET", "/rss") == 0 and time.monotonic() < deadline:
            time.sleep(0.05)
        killed.kill()
        killed.wait(10)
        again = _monitor("fetch", env=env)
    assert again.returncode == 0, again.stdout + again.stderr
    with store.session() as session:
        runs = session.exec(select(FetchRun).order_by(FetchRun.id)).all()
    assert [r.outcome for r in runs] == ["error", "ok"]
    assert "died before the run finished" in (runs[0].error or "")
    assert source_store.get_source(store, "s").consecutive_failures == 0
    store.dispose()
