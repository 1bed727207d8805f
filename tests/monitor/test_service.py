"""The service end to end, with real processes: `run --once` from a loopback portal to a
loopback SMTP server, `serve` stopped by SIGTERM in the middle of sending, two `serve`
processes taking over from each other, and what the logs say (and never say)."""

from __future__ import annotations

import copy
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import col, select

from monitor.replay import PortalReplay, serve
from monitor.store import jobs as job_store
from monitor.store import ledger
from monitor.store import sources as source_store
from monitor.store import tags as tag_store
from monitor.store.calls import upsert_calls
from monitor.store.db import open_store
from monitor.store.leader import current_leader, leader_lock
from monitor.store.tables import Call
from sources.eu_ft.parse import parse
from sources.records import FetchResult, Page
from tests.mailserver import Mailbox
from tests.monitor.conftest import tags_for
from tests.monitor.test_cli import add_source

ROOT = Path(__file__).resolve().parents[2]
LIFE = "Strategic Integrated Projects - Climate Action"  # the recording's call still open


@pytest.fixture
def search_2026(search_2026: dict[str, Any]) -> dict[str, Any]:
    """The recording with the LIFE call's two stages moved ahead of today: these tests run on
    the real clock, and a two-stage call closes to new applicants with its first stage."""
    data = copy.deepcopy(search_2026)
    today = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    stages = [(today + timedelta(days=d)).strftime("%Y-%m-%dT%H:%M:%S.000+0000") for d in (60, 240)]
    for hit in data["results"]:
        if hit["metadata"]["identifier"] == ["LIFE-2026-STRAT-CLIMA-SIP-two-stage"]:
            hit["metadata"]["deadlineDate"] = stages
    return data


def spawn(args: list[str], log: Path, **env: str) -> subprocess.Popen[bytes]:
    """`python -m monitor ARGS` with the test's environment, stderr to ``log``."""
    full = {**os.environ, "PYTHONPATH": str(ROOT), **env}
    return subprocess.Popen([sys.executable, "-m", "monitor", *args], env=full,
                            stdout=subprocess.DEVNULL, stderr=log.open("wb"))  # fmt: skip


def wait_for(check: Any, seconds: float, what: str) -> Any:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"waited {seconds} s for {what}")


@pytest.fixture
def fresh(db_url: str, search_2026: dict[str, Any]) -> Iterator[None]:
    """The recorded portal calls, first seen just now (so due in this week's digest), tagged."""
    store = open_store(db_url)
    now = datetime.now(UTC)
    source = source_store.add_source(store, "eu", "eu-ft", "http://127.0.0.1:9/x", {},
                                     enabled=False)  # fmt: skip
    assert source.id is not None
    upsert_calls(store, source.id, parse(FetchResult("eu", (Page("u", 1, search_2026),)), now),
                 now)  # fmt: skip
    with store.session() as session:
        ids = {c.identifier: c.id for c in session.exec(select(Call)) if c.id is not None}
    given = {cid: {t: (0.9, "rules", []) for t in tags_for(i)} for i, cid in ids.items()}
    tag_store.replace_call_tags(store, given, "test", now)
    store.dispose()
    yield


def test_run_once_fetches_tags_and_mails_the_digest(cli, box: Mailbox, search_2026) -> None:
    with serve(PortalReplay(search_2026["results"])) as portal:
        add_source(cli, "eu", portal)
        assert cli("subscribers", "add", "researcher@ki.se", "--keyword", "climate")[0] == 0
        code, out, err = cli("run", "--once")
        assert code == 0, out + err
        assert "eu: ok new=10" in out and "run: ok" in out and "sent=1" in out
        [message] = box.messages
        assert message["To"] == "researcher@ki.se" and LIFE in message.get_body(
            ("plain",)).get_content()  # fmt: skip
        code, out, _ = cli("run", "--once")  # the same week: fetched again, nothing sent
        assert code == 0 and "unchanged=10" in out and "sent=0" in out
        assert len(box.messages) == 1
        code, out, _ = cli("run", "--once", "--now")  # next week's, early: nothing new in it
        assert code == 0 and len(box.messages) == 1
        code, out, _ = cli("calls", "list", "--tag", "global-actor")
        rows = out.splitlines()[1:]  # below the header: the calls the run's classifier tagged
        assert code == 0 and rows and all("global-actor" in row for row in rows), out


def test_run_once_and_digest_send_keep_off_while_another_process_leads(cli, db_url) -> None:
    lock = leader_lock(open_store(db_url), "elsewhere:42")
    assert lock.acquire()
    try:
        code, _, err = cli("run", "--once")
        assert code == 3 and "another process holds the leader lock" in err
        code, _, err = cli("digest", "send")
        assert code == 3 and "`serve` process already runs the jobs" in err
        assert cli("health-check")[0] == 3
        assert cli("db", "copy", "--to", "sqlite:///elsewhere.db")[0] == 3
    finally:
        lock.release()
    assert cli("digest", "send")[0] == 0


def test_sigterm_mid_send_stops_at_a_safe_point_and_exits_0(
    db_url, fresh, box: Mailbox, tmp_path: Path, cli
) -> None:
    for n in range(6):
        assert cli("subscribers", "add", f"r{n}@ki.se", "--keyword", "climate")[0] == 0
    running: dict[str, subprocess.Popen[bytes]] = {}

    def term_at_second(number: int) -> None:
        if number == 2:  # while the server takes message 2, the service is told to stop
            running["serve"].send_signal(signal.SIGTERM)
            time.sleep(0.5)  # the signal lands while the delivery is in flight

    box.on_data = term_at_second
    log = tmp_path / "serve.log"
    running["serve"] = spawn(["--log-format", "json", "serve"], log,
                             FUNDING_MONITOR_SEND_CONNECTIONS="1")  # fmt: skip
    assert running["serve"].wait(timeout=120) == 0
    assert len(box.messages) == 2  # the one in flight finished; none started after
    store = open_store(db_url)
    by_status = sorted(d.status for d in ledger.deliveries(store))
    assert by_status == ["pending"] * 4 + ["sent"] * 2
    lines = [json.loads(line) for line in log.read_text().splitlines()]
    done = [x for x in lines if x.get("message", "").startswith("job done")]
    stopped = [x for x in done if x["outcome"] == "stopped"]
    assert len(stopped) == 1 and stopped[0]["job"].startswith("digest:")
    assert stopped[0]["sent"] == "2" and stopped[0]["deferred"] == "4"
    assert any(x["message"].startswith("stopping signal=SIGTERM") for x in lines)
    box.on_data = None
    code, out, _ = cli("digest", "send")
    assert code == 0 and "sent 4 deliveries" in out
    assert sorted(m["To"] for m in box.messages) == [f"r{n}@ki.se" for n in range(6)]
    store.dispose()


def test_a_standby_takes_over_within_a_minute_when_the_leader_dies(db_url, tmp_path) -> None:
    env = {"FUNDING_MONITOR_DATABASE_URL": db_url, "FUNDING_MONITOR_LEADER_POLL": "2",
           "FUNDING_MONITOR_SMTP_HOST": "127.0.0.1", "FUNDING_MONITOR_SMTP_PORT": "9"}  # fmt: skip
    store = open_store(db_url)
    first = spawn(["serve"], tmp_path / "first.log", **env)
    second = None
    try:
        wait_for(lambda: f":{first.pid} " in (current_leader(store) or ""), 60, "a leader")
        second = spawn(["serve"], tmp_path / "second.log", **env)
        wait_for(lambda: "standby" in (tmp_path / "second.log").read_text(), 60, "a standby")
        time.sleep(3)  # a standby's tries fail while the leader lives
        assert f":{first.pid} " in (current_leader(store) or "")
        assert "job done" not in (tmp_path / "second.log").read_text()
        first.kill()  # SIGKILL: no chance to let go of the lock in an orderly way
        first.wait(timeout=30)
        killed = time.monotonic()
        wait_for(lambda: f":{second.pid} " in (current_leader(store) or ""), 60, "the take-over")
        took = time.monotonic() - killed
        assert took < 60, took
        holder = f":{second.pid}"
        wait_for(lambda: any((j.holder or "").endswith(holder) for j in job_store.list_jobs(store)),
                 30, "a job of the new leader")  # fmt: skip
        status = subprocess.run([sys.executable, "-m", "monitor", "status", "--json"],
                                env={**os.environ, "PYTHONPATH": str(ROOT), **env},
                                capture_output=True, check=True).stdout  # fmt: skip
        shown = json.loads(status)
        assert f":{second.pid} " in shown["leader"]
        assert {j["id"] for j in shown["jobs"]} == {"digest:weekly", "digest:daily", "health"}
        assert all(j["next_run"] for j in shown["jobs"])
        second.send_signal(signal.SIGTERM)
        assert second.wait(timeout=60) == 0
        assert current_leader(store) is None
    finally:
        for process in (first, second):
            if process is not None and process.poll() is None:
                process.kill()
        store.dispose()


def test_logs_are_json_when_asked_and_never_carry_a_secret(cli, db_url, tmp_path, search_2026):
    secrets = {"FUNDING_MONITOR_SMTP_PASSWORD": "pw-Very-Secret-1", "FUNDING_MONITOR_SMTP_USERNAME":
               "monitor", "FUNDING_MONITOR_SLACK_TOKEN": "xoxb-secret-token-2",
               "FUNDING_MONITOR_SECRET_KEY": "key-secret-3"}  # fmt: skip
    with serve(PortalReplay(search_2026["results"])) as portal:
        add_source(cli, "eu", portal)
        assert cli("subscribers", "add", "r@ki.se")[0] == 0
        assert cli("subscribers", "add", "--slack-channel", "C0123ABCD")[0] == 0
        log = tmp_path / "run.log"
        env = {"FUNDING_MONITOR_DATABASE_URL": db_url, "FUNDING_MONITOR_SMTP_PORT": "9",
               "FUNDING_MONITOR_SMTP_HOST": "127.0.0.1", "FUNDING_MONITOR_SMTP_SECURITY": "none",
               "FUNDING_MONITOR_SLACK_BASE_URL": "http://127.0.0.1:9/api/", **secrets}  # fmt: skip
        run = spawn(["-v", "--log-format", "json", "run", "--once"], log, **env)
        assert run.wait(timeout=120) == 1  # both transports down: delivery errors
    text = log.read_text()
    for secret in secrets.values():
        if secret != "monitor":
            assert secret not in text
    lines = [json.loads(line) for line in text.splitlines()]  # every line is one JSON object
    fetched = [x for x in lines if x["message"].startswith("fetched ")]
    assert fetched and fetched[0]["source"] == "eu" and fetched[0]["new"] == "10"
    assert any(x["level"] == "WARNING" and "delivery deferred" in x["message"] for x in lines)


def test_health_check_tells_the_curators_once_and_exits_1_while_unhealthy(
    cli, db_url, box: Mailbox
) -> None:
    from monitor.store.tables import Source, SourceEvent

    assert cli("subscribers", "add", "office@ki.se", "--curator")[0] == 0
    assert cli("sources", "add", "ukri", "--kind", "feed", "--url", "https://x.org/rss")[0] == 0
    code, out, _ = cli("health-check")
    assert code == 0 and "health-check: ok unhealthy=0 notices=0" in out and not box.messages
    store = open_store(db_url)
    with store.session() as session:
        source = session.exec(select(Source)).one()
        source.healthy, source.health_reason = False, "2 failed runs in a row; last error: 503"
        session.add(source)
        session.add(SourceEvent(source_id=source.id, kind="unhealthy",  # type: ignore[arg-type]
                                reason=source.health_reason, at=datetime.now(UTC)))  # fmt: skip
    store.dispose()
    code, out, _ = cli("health-check")
    assert code == 1 and "problem: source ukri is unhealthy" in out and "sources=ukri" in out
    assert [m["Subject"] for m in box.messages] == ["Source ukri: has turned unhealthy"]
    assert cli("health-check")[0] == 1 and len(box.messages) == 1  # once a day


def test_lost_leadership_stops_the_jobs_and_stands_by(db_url, tmp_path) -> None:
    """PostgreSQL drops the leader's connection; on SQLite the lock file is deleted. Either
    way the leader notices, stops its jobs, and leads again only once it holds a lock."""
    from sqlalchemy import text

    env = {"FUNDING_MONITOR_DATABASE_URL": db_url, "FUNDING_MONITOR_LEADER_POLL": "1"}
    store = open_store(db_url)
    log = tmp_path / "serve.log"
    process = spawn(["serve"], log, **env)
    try:
        wait_for(lambda: current_leader(store), 60, "a leader")
        if store.dialect == "postgresql":
            kill = (
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE application_name LIKE 'funding-monitor leader%'"
            )
            with store.engine.begin() as conn:
                conn.execute(text(kill))
        else:
            os.unlink(db_url.removeprefix("sqlite:///") + ".leader")
        wait_for(lambda: "leader lock lost" in log.read_text(), 30, "the loss noticed")
        wait_for(lambda: log.read_text().count("INFO monitor.service.scheduler leader ") == 2, 30,
                 "leading again")  # fmt: skip
        assert f":{process.pid} " in (current_leader(store) or "")
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=60) == 0
    finally:
        if process.poll() is None:
            process.kill()
        store.dispose()


def test_ctrl_c_during_fetch_stores_what_was_under_way_and_cancels_the_rest(
    cli, db_url, tmp_path
) -> None:
    """`fetch` interrupted (SIGINT, as Ctrl-C sends): the source being fetched finishes and is
    stored, the ones not started are left out with their runs cancelled (their health
    untouched), no run stays "running" (which the next fetch would close as a dead process's
    failure), and the exit status is 130."""
    from tests.conftest import FIXTURES
    from tests.httpserver import Reply, scripted_server

    rss = (FIXTURES / "feeds/edctp3/calls_rss_trimmed.xml").read_bytes()
    kind = {"Content-Type": "application/rss+xml"}
    store = open_store(db_url)
    with scripted_server() as server:
        server.add("GET", "/slow", Reply(200, rss, kind, delay=2.0))
        server.add("GET", "/rss", Reply(200, rss, kind))
        source_store.add_source(store, "a-slow", "feed", server.url + "/slow", {})
        for name in ("b-feed", "c-feed", "d-feed"):
            source_store.add_source(store, name, "feed", server.url + "/rss", {})
        log = tmp_path / "fetch.log"
        process = spawn(["fetch"], log, FUNDING_MONITOR_FETCH_WORKERS="1")
        try:
            wait_for(lambda: server.requests, 30, "the first source's request")
            process.send_signal(signal.SIGINT)
            assert process.wait(timeout=60) == 130
        finally:
            if process.poll() is None:
                process.kill()
        said = log.read_text()
        assert "stopping: the sources under way finish" in said, said
        assert "interrupted: 1 of 4 sources fetched and stored; 3 left out" in said
        assert [r["path"] for r in server.requests] == ["/slow"]  # nothing started after it
    from monitor.store.tables import FetchRun, Source

    with store.session() as session:
        outcomes = dict(session.exec(select(Source.name, FetchRun.outcome).join(
            FetchRun, col(FetchRun.source_id) == col(Source.id))).all())  # fmt: skip
    assert outcomes == {"a-slow": "ok", "b-feed": "cancelled", "c-feed": "cancelled",
                        "d-feed": "cancelled"}  # fmt: skip
    assert all(s.healthy and s.consecutive_failures == 0 for s in source_store.list_sources(store))
    assert source_store.running_runs(store) == []
    store.dispose()
