"""Hostile answers through the whole fetch path: a crash costs one source, never the process,
and a killed `fetch` leaves no parse worker behind."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from dataclasses import replace
from pathlib import Path

import psutil
import pytest

from monitor.config import Settings
from monitor.ingest import runs as ingest
from monitor.store import sources as source_store
from monitor.store.db import open_store
from monitor.store.views import list_calls
from sources.registry import get_kind
from tests import hostile
from tests.conftest import FIXTURES
from tests.httpserver import Reply, scripted_server

RSS = {"Content-Type": "application/rss+xml"}
EDCTP3 = (FIXTURES / "feeds/edctp3/calls_rss_trimmed.xml").read_bytes()


def test_an_entity_bomb_fails_its_source_and_the_other_is_stored(cli, db_url) -> None:
    with scripted_server() as server:
        server.add("GET", "/bomb", Reply(200, hostile.entity_chain(100_000), RSS))
        server.add("GET", "/rss", Reply(200, EDCTP3, RSS))
        for name, path in (("bomb", "/bomb"), ("edctp3", "/rss")):
            assert cli("sources", "add", name, "--kind", "feed", "--url", server.url + path)[0] == 0
        code, out, err = cli("fetch")
        assert code == 1
        assert "entity bomb" in out and "Traceback" not in out + err
        code, out, err = cli("sources", "test", "--kind", "feed", "--url", server.url + "/bomb")
    assert code == 1 and out.startswith("FAILED: source 'test'") and "entity bomb" in out
    store = open_store(db_url)
    health = {s.name: s for s in source_store.list_sources(store)}
    assert (
        health["bomb"].last_outcome == "error"
        and "100,000 XML entities" in health["bomb"].last_error
    )
    assert health["edctp3"].last_outcome == "ok"
    assert source_store.call_counts(store) == {health["edctp3"].id: 13}


@pytest.mark.parametrize("sources", [1, 3])
def test_a_parser_crash_costs_only_its_source_on_every_path(
    store, now, monkeypatch, sources: int
) -> None:
    """What the guard does not catch: expat itself meets the bomb (the feed kind's parse
    replaced by an unguarded one), with one source (a process of its own) and with several (a
    pool). The process survives, the bomb's run fails naming the signal, the others store."""
    unguarded = replace(get_kind("feed"), parse=hostile.expat_bomb)
    monkeypatch.setattr(ingest, "get_kind", lambda name: unguarded)
    with scripted_server() as server:
        server.add("GET", "/bomb", Reply(200, hostile.entity_chain(100_000), RSS))
        server.add("GET", "/rss", Reply(200, EDCTP3, RSS))
        source_store.add_source(store, "bomb", "feed", server.url + "/bomb", {})
        for n in range(1, sources):
            source_store.add_source(store, f"good{n}", "feed", server.url + "/rss", {})
        http = ingest.http_client(Settings(fetch_origin_interval=0))
        reports = ingest.run_sources(store, source_store.list_sources(store), http, now,
                                     workers=3, parse_processes=2)  # fmt: skip
    by_name = {r.source: r for r in reports}
    assert not by_name["bomb"].ok and "killed by SIGSEGV" in (by_name["bomb"].error or "")
    assert all(r.ok for name, r in by_name.items() if name != "bomb")
    [bomb] = [s for s in source_store.list_sources(store) if s.name == "bomb"]
    assert bomb.consecutive_failures == 1 and "SIGSEGV" in (bomb.last_error or "")


def _children_of(pid: int, at_least: int, within: float = 30.0) -> list[psutil.Process]:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        children = psutil.Process(pid).children(recursive=True)
        if len(children) >= at_least:
            return children
        time.sleep(0.1)
    raise AssertionError(f"process {pid} never had {at_least} children")


def _running(process: psutil.Process) -> bool:
    """Alive and not a zombie (a dead child nobody reaped yet: in a container, PID 1 may not)."""
    try:
        return process.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def _all_gone(children: list[psutil.Process], within: float = 20.0) -> list[psutil.Process]:
    deadline = time.monotonic() + within
    alive = children
    while alive and time.monotonic() < deadline:
        time.sleep(0.1)
        alive = [p for p in alive if _running(p)]
    for process in alive:  # do not leave them to the next test
        process.kill()
    return alive


def test_sigkill_of_fetch_leaves_no_parse_worker_behind(tmp_path: Path) -> None:
    """`fetch` of three slow sources: its pool's workers are up while the requests wait. Kill
    the command with SIGKILL: every worker must die with it."""
    with scripted_server() as server:
        server.add("GET", "/rss", Reply(200, EDCTP3, RSS, delay=60))
        env = {**os.environ, "FUNDING_MONITOR_DATABASE_URL": f"sqlite:///{tmp_path / 'm.db'}",
               "FUNDING_MONITOR_FETCH_PARSE_PROCESSES": "2",
               "FUNDING_MONITOR_FETCH_ORIGIN_INTERVAL": "0"}  # fmt: skip
        for n in range(3):
            subprocess.run([sys.executable, "-m", "monitor", "sources", "add", f"s{n}", "--kind",
                            "feed", "--url", f"{server.url}/rss?n={n}"], env=env, check=True,
                           capture_output=True)  # fmt: skip
        fetch = subprocess.Popen([sys.executable, "-m", "monitor", "fetch"], env=env,
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
        try:
            workers = _children_of(fetch.pid, 2)
            fetch.send_signal(signal.SIGKILL)
            fetch.wait(10)
        finally:
            if fetch.poll() is None:
                fetch.kill()
        assert _all_gone(workers) == []


SCRIPT = textwrap.dedent(
    """
    import sys, threading, time
    from monitor.ingest.parse_pool import ParsePool
    from tests.monitor.test_parse_pool import _feed_result
    from sources import feed
    from datetime import datetime, UTC

    if __name__ == "__main__":
        if sys.argv[1] == "forkserver":  # a thread makes the pool start from a forkserver
            threading.Thread(target=time.sleep, args=(600,), daemon=True).start()
        with ParsePool(2) as pool:
            pool.parse(feed.parse, _feed_result(b"<rss/>"), datetime.now(UTC))
            print("ready", flush=True)
            time.sleep(600)
    """
)


@pytest.mark.parametrize(("how", "processes"), [("fork", 2), ("forkserver", 4)])
def test_pool_workers_die_with_their_parent_however_they_were_started(
    how: str, processes: int, tmp_path: Path
) -> None:
    """Two workers (forked, or forked by a forkserver beside the resource tracker): SIGKILL
    of their parent takes them all."""
    script = tmp_path / "pool.py"
    script.write_text(SCRIPT)
    root = Path(__file__).parents[2]
    parent = subprocess.Popen([sys.executable, str(script), how], stdout=subprocess.PIPE,
                              cwd=root, env={**os.environ, "PYTHONPATH": str(root)})  # fmt: skip
    try:
        assert parent.stdout is not None and parent.stdout.readline() == b"ready\n"
        everything = _children_of(parent.pid, processes)
        parent.send_signal(signal.SIGKILL)
        parent.wait(10)
    finally:
        if parent.poll() is None:
            parent.kill()
    assert _all_gone(everything) == []


@pytest.mark.parametrize(
    ("reply", "reason"),
    [
        (Reply(200, b"", RSS), "200 with an empty body"),
        (Reply(200, EDCTP3[: len(EDCTP3) // 2], RSS), "the feed is cut off"),
    ],
)
def test_an_empty_or_cut_off_answer_fails_the_run_and_marks_nothing_unseen(
    store, now, reply: Reply, reason: str
) -> None:
    with scripted_server() as server:
        server.add("GET", "/rss", Reply(200, EDCTP3, RSS), reply)
        source_store.add_source(store, "edctp3", "feed", server.url + "/rss", {})
        http = ingest.http_client(Settings(fetch_origin_interval=0, http_attempts=1))
        [first] = ingest.run_sources(store, source_store.list_sources(store), http, now)
        [second] = ingest.run_sources(store, source_store.list_sources(store), http, now)
    assert first.ok and first.counts.new == 13
    assert not second.ok and reason in (second.error or "") and "Traceback" not in second.error
    calls = list_calls(store, now=now)
    assert len(calls) == 13 and [c for c in calls if c.unseen_since is not None] == []


def test_a_feed_of_thousands_of_items_is_stored_not_refused(store, now) -> None:
    items = "".join(
        f"<item><title>Call {i}</title><link>https://f.example/c/{i}</link><guid>g{i}</guid>"
        "<description>Deadline: 15 March 2027.</description></item>"
        for i in range(5_000)
    )
    body = f'<rss version="2.0"><channel><title>Big</title>{items}</channel></rss>'
    with scripted_server() as server:
        server.add("GET", "/rss", Reply(200, body.encode(), RSS))
        source_store.add_source(store, "big", "feed", server.url + "/rss", {})
        http = ingest.http_client(Settings(fetch_origin_interval=0))
        [report] = ingest.run_sources(store, source_store.list_sources(store), http, now)
    assert report.ok and report.counts.new == 5_000, report.error


MAIN_SCRIPT = textwrap.dedent(
    """
    import sys, threading, time
    print("main imported as", __name__, file=sys.stderr, flush=True)
    from datetime import UTC, datetime
    from monitor.ingest.parse_pool import ParsePool, parse_alone
    from sources import feed
    from tests.monitor.test_parse_pool import _feed_result

    if __name__ == "__main__":
        threading.Thread(target=time.sleep, args=(60,), daemon=True).start()  # forkserver
        with ParsePool(2) as pool:
            for _ in range(3):
                parse_alone(feed.parse, _feed_result(b"<rss/>"), datetime.now(UTC))
                pool.parse(feed.parse, _feed_result(b"<rss/>"), datetime.now(UTC))
    """
)


def test_a_forkserver_child_does_not_import_the_main_script_again(tmp_path: Path) -> None:
    """A console script's main module has no spec: without care, each child would import it,
    and with it the whole application, before parsing (about a second each)."""
    script = tmp_path / "main.py"
    script.write_text(MAIN_SCRIPT)
    root = Path(__file__).parents[2]
    env = {**os.environ, "PYTHONPATH": str(root)}
    done = subprocess.run([sys.executable, str(script)], cwd=root, capture_output=True,
                          text=True, timeout=120, env=env)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stderr.count("main imported as") == 1, done.stderr
