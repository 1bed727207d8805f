"""The command line, run in-process against a real database and loopback servers."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from monitor.cli import main
from monitor.replay import PortalReplay, serve
from tests.conftest import CALL_JSON_FIELDS
from tests.httpserver import Reply, scripted_server


def add_source(cli, name: str, base: str, *extra: str) -> None:
    """Add an eu-ft source pointing at a loopback server, with no pause between pages."""
    code, _, err = cli(
        "sources",
        "add",
        name,
        "--kind",
        "eu-ft",
        "--url",
        base + "/search-api/prod/rest",
        "--set",
        "programmes=",
        "--set",
        "page_delay=0",
        *extra,
    )
    assert code == 0, err


def test_version(capsys) -> None:
    with pytest.raises(SystemExit) as done:
        main(["--version"])
    assert done.value.code == 0
    assert capsys.readouterr().out.startswith("funding-monitor ")


def test_sources_lifecycle(cli) -> None:
    code, out, _ = cli(
        "sources",
        "add",
        "eu",
        "--kind",
        "eu-ft",
        "--set",
        "programmes=erasmus-plus",
        "--set",
        "page_size=50",
    )
    assert code == 0 and "added source eu" in out
    code, out, _ = cli("sources", "list", "--json")
    [source] = json.loads(out)
    assert source["url"] == "https://api.tech.ec.europa.eu/search-api/prod/rest"
    assert source["settings"] == {"programmes": "erasmus-plus", "page_size": "50"}
    assert source["enabled"] is True and source["calls"] == 0
    code, out, _ = cli(
        "sources",
        "update",
        "eu",
        "--set",
        "enrich=stubs",
        "--unset",
        "page_size",
        "--url",
        "http://127.0.0.1:8/api",
    )
    assert code == 0
    [source] = json.loads(cli("sources", "list", "--json")[1])
    assert source["settings"] == {"programmes": "erasmus-plus", "enrich": "stubs"}
    assert source["url"] == "http://127.0.0.1:8/api"
    code, _, err = cli("sources", "update", "eu", "--set", "enrich=sometimes")
    assert code == 2 and "enrich" in err
    assert json.loads(cli("sources", "list", "--json")[1])[0]["settings"]["enrich"] == "stubs"
    assert cli("sources", "disable", "eu")[0] == 0
    assert json.loads(cli("sources", "list", "--json")[1])[0]["enabled"] is False
    assert cli("sources", "enable", "eu")[0] == 0
    code, out, _ = cli("sources", "list")
    assert "eu" in out and "eu-ft" in out and "yes" in out
    assert cli("sources", "remove", "eu")[0] == 0
    assert json.loads(cli("sources", "list", "--json")[1]) == []


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (("sources", "add", "x", "--kind", "rss-magic"), "unknown source kind 'rss-magic'"),
        (("sources", "add", "x", "--kind", "eu-ft", "--set", "page_size=500"), "between 1 and 100"),
        (("sources", "add", "x", "--kind", "eu-ft", "--set", "colour=blue"), "unknown setting"),
        (
            ("sources", "add", "x", "--kind", "eu-ft", "--set", "programmes=mars"),
            "unknown programme",
        ),
        (("sources", "add", "x", "--kind", "eu-ft", "--set", "novalue"), "is not KEY=VALUE"),
        (("sources", "add", "x", "--kind", "eu-ft", "--url", "ftp://x"), "not an http(s) URL"),
        (("sources", "remove", "ghost"), "no source named 'ghost'"),
        (("calls", "show", "999"), "no call with id 999"),
    ],
)
def test_bad_input_is_a_clear_error_with_a_hint(cli, argv, message) -> None:
    assert cli("init")[0] == 0  # read commands create no database (see test_missing_database)
    code, out, err = cli(*argv)
    assert code == 2
    assert message in err and "hint:" in err
    assert json.loads(cli("sources", "list", "--json")[1]) == []


def test_fetch_list_show_status(cli, search_2026) -> None:
    with serve(PortalReplay(search_2026["results"])) as base:
        add_source(cli, "eu", base, "--set", "page_size=4")
        code, out, _ = cli("fetch")
        assert code == 0
        assert "eu: ok new=10 updated=0 unchanged=0 unseen=0 errors=0" in out
        code, out, _ = cli("fetch", "--source", "eu")
        assert "new=0 updated=0 unchanged=10" in out
    code, out, _ = cli("calls", "list", "--json")
    calls = json.loads(out)
    assert len(calls) == 10
    assert all(set(c) >= CALL_JSON_FIELDS for c in calls)
    assert all(c["status"] in ("forthcoming", "open", "closed") for c in calls)
    code, out, _ = cli("calls", "list", "--search", "LIFE-2026", "--json")
    [life] = json.loads(out)
    code, out, _ = cli("calls", "show", str(life["id"]))
    assert code == 0
    assert "2026-09-03T17:00:00+02:00" in out and "2027-03-04T17:00:00+01:00" in out
    assert "history:" in out and "new" in out
    code, out, _ = cli("calls", "show", str(life["id"]), "--json")
    assert json.loads(out)["changes"][0]["kind"] == "new"
    code, out, _ = cli("calls", "list", "--programme", "erasmus", "--status", "closed")
    assert code == 0 and "ERASMUS-EDU-2024-EUR-UNIV-1" in out and "LIFE" not in out
    code, out, _ = cli("status", "--json")
    [health] = json.loads(out)["sources"]
    assert health["outcome"] == "ok" and health["consecutive_failures"] == 0
    assert health["counts"] == {"new": 0, "updated": 0, "unchanged": 10, "unseen": 0, "items": 10}
    assert health["healthy"] is True


def test_fetch_exits_1_when_a_source_fails_and_status_shows_it(cli, search_2026) -> None:
    with serve(PortalReplay(search_2026["results"])) as good, scripted_server() as bad:
        bad.add("POST", "/search-api/prod/rest/search", Reply(200, b"not json at all"))
        for name, base in (("bad", bad.url), ("good", good)):
            add_source(cli, name, base)
        code, out, _ = cli("fetch")
    assert code == 1
    assert "bad: FAILED errors=1" in out and "not valid JSON" in out
    assert "good: ok new=10" in out
    code, out, _ = cli("status")
    assert "error" in out and "not valid JSON" in out


def test_config_file_and_environment(cli, tmp_path: Path, monkeypatch, capsys) -> None:
    other = tmp_path / "other.db"
    (tmp_path / "funding-monitor.toml").write_text(f'database_url = "sqlite:///{other}"\n')
    monkeypatch.delenv("FUNDING_MONITOR_DATABASE_URL")
    assert cli("sources", "add", "a", "--kind", "eu-ft")[0] == 0
    assert other.exists()
    (tmp_path / "bad.toml").write_text("http_timeout = -1\n")
    code, _, err = cli("--config", "bad.toml", "status")
    assert code == 2 and "http_timeout" in err
    code, _, err = cli("--config", "missing.toml", "status")
    assert code == 2 and "not found" in err


def test_database_errors_are_reported_without_the_password(cli, monkeypatch) -> None:
    monkeypatch.setenv(
        "FUNDING_MONITOR_DATABASE_URL", "postgresql+psycopg://someone:s3cret@127.0.0.1:1/nowhere"
    )
    code, _, err = cli("status")
    assert code == 2 and "cannot reach database" in err
    assert "s3cret" not in err


def test_db_upgrade_and_current(cli) -> None:
    code, out, _ = cli("db", "upgrade")
    from monitor.store.db import HEAD

    assert code == 0 and f"revision {HEAD}" in out
    code, out, _ = cli("db", "current")
    assert f"current {HEAD}; head {HEAD}" in out


def test_demo_runs_offline_and_again_without_duplicates(cli) -> None:
    code, out, _ = cli("demo")
    assert code == 0
    assert "eu-ft-demo: ok new=10" in out and "stored 10 distinct calls" in out
    assert "tagged 10 calls by priority area" in out and "first model was trained" in out
    assert "eu-research-policy, global-actor, global-health-lmic" in out  # the EDCTP3 topic
    assert "clock pinned to 2026-06-27T12:50:00+00:00 (--as-of)" in out
    assert "status as of 2026-06-27: closed 4, forthcoming 1, open 5" in out
    code, out, _ = cli("demo")
    assert "new=0 updated=0 unchanged=10" in out and "tagged 0 calls" in out


def test_demo_writes_the_demo_subscribers_digest_in_every_format(cli, tmp_path) -> None:
    code, out, _ = cli("demo", "--language", "sv", "--out-dir", "digests")
    assert code == 0
    written = {name: tmp_path / "digests" / name for name in
               ("digest.html", "digest.txt", "digest.eml", "digest.slack.json")}  # fmt: skip
    for path in written.values():
        assert f"{path}  (" in out  # each path is printed
    text = written["digest.txt"].read_text()
    assert "nya utlysningar" in text and "HORIZON-JU-GH-EDCTP3-2026-03-SERP-01" in text
    assert "ERASMUS-EDU-2022-ECHE-CERT-FP" not in text  # closed on the pinned day
    assert "<!DOCTYPE html>" in written["digest.html"].read_text()
    eml = written["digest.eml"].read_text()
    assert "List-Unsubscribe: <https://funding-monitor.example.org/unsubscribe?token=" in eml
    assert "text/calendar" in eml
    messages = json.loads(written["digest.slack.json"].read_text())
    assert messages[0]["blocks"][0]["type"] == "header"


def test_an_unknown_timezone_is_a_config_error(cli, monkeypatch) -> None:
    monkeypatch.setenv("FUNDING_MONITOR_TIMEZONE", "Mars/Olympus_Mons")
    code, _, err = cli("status")
    assert code == 2 and "not an IANA time zone" in err


def test_dates_on_screen_follow_the_timezone_setting(cli, monkeypatch, search_2026) -> None:
    with serve(PortalReplay(search_2026["results"])) as base:
        add_source(cli, "eu", base)
        cli("fetch")
    monkeypatch.setenv("FUNDING_MONITOR_TIMEZONE", "America/New_York")
    code, out, _ = cli("calls", "list", "--search", "SOCPL")
    assert "2026-07-23" in out
    [call] = json.loads(cli("calls", "list", "--search", "SOCPL", "--json")[1])
    code, out, _ = cli("calls", "show", str(call["id"]))
    assert "2026-07-23 11:00 EDT  [2026-07-23T17:00:00+02:00]" in out


def test_fetch_on_a_terminal_shows_progress_and_the_summary(cli, monkeypatch, search_2026):
    import io
    import sys

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    with serve(PortalReplay(search_2026["results"])) as base:
        add_source(cli, "eu", base)
        monkeypatch.setattr(sys, "stderr", Terminal())
        code, out, _ = cli("fetch")
    assert code == 0 and "eu: ok new=10" in out


def test_sources_test_previews_without_storing(cli) -> None:
    from tests.conftest import FIXTURES

    rss = (FIXTURES / "feeds/edctp3/calls_rss_trimmed.xml").read_bytes()
    with scripted_server() as server:
        server.add("GET", "/rss", Reply(200, rss, {"Content-Type": "application/rss+xml"}))
        server.add("GET", "/page", Reply(200, b"<html><body>no feed</body></html>",
                                         {"Content-Type": "text/html"}))  # fmt: skip
        code, out, _ = cli("sources", "test", "--kind", "feed", "--url", server.url + "/rss",
                           "--limit", "3")  # fmt: skip
        assert code == 0
        assert out.startswith("13 calls would be stored (open 2, forthcoming 0, closed 11)")
        assert "deadlines 3/13 (23%)" in out
        assert "HORIZON-JU-GH-EDCTP3-2026-03-DIGIT-02" in out
        code, out, _ = cli("sources", "test", "--kind", "feed", "--url", server.url + "/page")
        assert code == 1 and "FAILED" in out and "expected a feed, got an HTML page" in out
        add_source(cli, "eu", server.url)  # a stored source can be tested by name, too
        code, out, _ = cli("sources", "test", "eu", "--url", server.url + "/rss",
                           "--set", "check_total=false")  # fmt: skip
        assert code == 1 and "FAILED" in out
    assert json.loads(cli("calls", "list", "--json")[1]) == []
    code, _, err = cli("sources", "test")
    assert code == 2 and "give a source NAME" in err
