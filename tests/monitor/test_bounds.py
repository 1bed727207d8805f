"""Bounds and names (issue #12, points 3 and 7): every number, date, name and URL that enters
by the command line or the settings is checked there, with a clear error and no traceback;
JSON output is always JSON; what a database already holds displays safely."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import select

from monitor.cli import main
from monitor.config import load_settings
from monitor.errors import ConfigError
from monitor.store import sources as source_store
from monitor.store.calls import upsert_calls
from monitor.store.db import open_store
from monitor.store.tables import Call, Source
from sources.records import CallRecord
from tests.conftest import CAPTURE_TIME

HUGE = "100000000000000000000"


def usage_error(argv: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    """Run ``argv``; it must stop with exit status 2 and no traceback; returns stderr."""
    with pytest.raises(SystemExit) as done:
        main(argv)
    err = capsys.readouterr().err
    assert done.value.code == 2, err
    assert "Traceback" not in err
    return err


@pytest.mark.parametrize(
    ("argv", "flag", "allowed"),
    [
        (["calls", "list", "--limit", "0"], "--limit", "1 to 100000"),
        (["calls", "list", "--limit", HUGE], "--limit", "1 to 100000"),
        (["calls", "show", HUGE], "id", "1 to 2147483647"),
        (["calls", "list", "--deadline-before", "9999-12-31"], "--deadline-before", "1990"),
        (["sources", "test", "--kind", "feed", "--limit", "-1"], "--limit", "1 to 100000"),
        (["demo", "--limit", "0"], "--limit", "1 to 100000"),
        (["demo", "--as-of", "9999-12-31"], "--as-of", "1990 to 2100"),
        (["digest", "send", "--as-of", "0001-01-01"], "--as-of", "1990 to 2100"),
        (["digest", "preview", "1", "--as-of", "9999-12-31T23:00"], "--as-of", "2100"),
        (["digest", "preview", HUGE], "subscriber", "1 to 2147483647"),
        (["subscribers", "show", HUGE], "subscriber", "1 to 2147483647"),
        (["subscribers", "add", "a@ki.se", "--min-days", HUGE], "--min-days", "0 to 3650"),
        (["subscribers", "add", "a@ki.se", "--min-days", "-1"], "--min-days", "0 to 3650"),
        (["unsubscribe", "--serve", "--port", "70000"], "--port", "1 to 65535"),
        (["label", HUGE, "tag"], "call", "1 to 2147483647"),
        (["tags", "explain", "0"], "call", "1 to 2147483647"),
        (["review", "--limit", "0"], "--limit", "1 to 100000"),
    ],
)
def test_flags_out_of_range_are_usage_errors(argv, flag, allowed, capsys) -> None:
    err = usage_error(argv, capsys)
    assert flag in err and allowed in err


def test_a_number_that_is_not_one_says_so(capsys) -> None:
    err = usage_error(["calls", "list", "--limit", "9" * 5000], capsys)
    assert "--limit" in err and "not a whole number" in err


@pytest.mark.parametrize(
    ("variable", "value", "expected"),
    [
        ("HTTP_TIMEOUT", "inf", "FUNDING_MONITOR_HTTP_TIMEOUT"),
        ("HTTP_TIMEOUT", "nan", "FUNDING_MONITOR_HTTP_TIMEOUT"),
        ("HTTP_TIMEOUT", "1e9", "less than or equal to 600"),
        ("FETCH_BUDGET", "1e300", "FUNDING_MONITOR_FETCH_BUDGET"),
        ("FETCH_WORKERS", "0", "greater than or equal to 1"),
        ("SMTP_PORT", "70000", "FUNDING_MONITOR_SMTP_PORT"),
        ("MISFIRE_GRACE", HUGE, "FUNDING_MONITOR_MISFIRE_GRACE"),
        ("HTTP_MAX_BYTES", HUGE, "FUNDING_MONITOR_HTTP_MAX_BYTES"),
        ("UNHEALTHY_AFTER", HUGE, "FUNDING_MONITOR_UNHEALTHY_AFTER"),
        ("REMINDER_DAYS", f"[{HUGE}]", "each reminder window is 1 to 365 days"),
        ("REMINDER_DAYS", "[0, 7]", "each reminder window is 1 to 365 days"),
        ("FETCH_EVERY", "99999999999999d", "at most 365d"),
    ],
)
def test_settings_out_of_range_are_config_errors(variable, value, expected, monkeypatch,
                                                  tmp_path) -> None:  # fmt: skip
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv(f"FUNDING_MONITOR_{variable}", value)
    with pytest.raises(ConfigError) as error:
        load_settings()
    assert expected in str(error.value)


def test_a_setting_out_of_range_in_the_file_names_the_file(tmp_path, capsys) -> None:
    config = tmp_path / "m.toml"
    config.write_text('http_timeout = 1e999\ndatabase_url = "sqlite:///x.db"\n')
    assert main(["--config", str(config), "status"]) == 2
    err = capsys.readouterr().err
    assert "http_timeout" in err and str(config) in err and "Traceback" not in err


# --- what a database already holds ------------------------------------------------------


def _store_call(db_url: str, budget: float) -> int:
    store = open_store(db_url)
    source = source_store.add_source(store, "eu", "eu-ft", "https://x.example/api", {})
    assert source.id is not None
    record = CallRecord("A", "A-1", "T", "https://x.example/a", "f", "p", "open", budget=5e6,
                        currency="EUR")  # fmt: skip
    upsert_calls(store, source.id, [record], CAPTURE_TIME)
    with store.session() as session:  # as an older version stored it
        call = session.exec(select(Call)).one()
        call.budget = budget
        session.add(call)
        session.flush()
        assert call.id is not None
        call_id = call.id
    store.dispose()
    return call_id


def _strict_json(text: str) -> Any:
    def refuse(constant: str) -> None:
        raise AssertionError(f"not JSON: {constant}")

    return json.loads(text, parse_constant=refuse)


def test_a_stored_infinite_budget_is_null_in_json_and_a_dash_on_screen(cli, db_url) -> None:
    call_id = _store_call(db_url, float("inf"))
    code, out, err = cli("calls", "list", "--json")
    assert code == 0, err
    assert _strict_json(out)[0]["budget"] is None
    code, out, _ = cli("calls", "show", str(call_id), "--json")
    assert code == 0 and _strict_json(out)["budget"] is None
    code, out, _ = cli("calls", "show", str(call_id))
    assert code == 0 and "budget        -" in out and "inf" not in out


def test_json_output_never_holds_nan_or_infinity(capsys) -> None:
    from monitor.cli.output import print_json

    print_json({"a": float("nan"), "b": [float("-inf"), 1.5], "c": {"d": float("inf")}})
    assert _strict_json(capsys.readouterr().out) == {"a": None, "b": [None, 1.5], "c": {"d": None}}


# --- source names and URLs --------------------------------------------------------------


@pytest.mark.parametrize("name", ["a\nforged line", "", "a b", "a/b", "x" * 61, "é", "_x"])
def test_a_source_name_must_be_a_slug(cli, name) -> None:
    code, _, err = cli("sources", "add", name, "--kind", "feed", "--url", "https://f.example/rss")
    assert code == 2 and "source name" in err and "letters, digits" in err
    assert "Traceback" not in err
    assert cli("sources", "list", "--json")[1].strip() == "[]"


def test_a_good_source_name_is_accepted(cli) -> None:
    code, out, err = cli("sources", "add", "EDCTP3_feed-2", "--kind", "feed", "--url",
                         "https://f.example/rss")  # fmt: skip
    assert code == 0, err


@pytest.mark.parametrize(
    "url",
    ["ftp://f.example/rss", "https://f.example/a b", "https://f.example/\x1b[2J",
     "https:///rss", "https://f.example/\nx", "javascript:alert(1)"],
)  # fmt: skip
def test_a_source_url_must_be_plain_http(cli, url) -> None:
    code, _, err = cli("sources", "add", "f", "--kind", "feed", "--url", url)
    assert code == 2 and "--url" in err and "Traceback" not in err
    assert "\x1b" not in err
    code, _, err = cli("sources", "test", "--kind", "feed", "--url", url)
    assert code == 2 and "--url" in err


def test_credentials_in_a_url_are_never_shown(cli) -> None:
    url = "https://reader:s3cret-pw@f.example/private/rss"
    code, out, err = cli("sources", "add", "private", "--kind", "feed", "--url", url)
    assert code == 0, err
    assert "s3cret-pw" not in out and "f.example/private/rss" in out
    for argv in (("sources", "list"), ("sources", "list", "--json")):
        code, out, _ = cli(*argv)
        assert code == 0 and "s3cret-pw" not in out and "reader" not in out
        assert "https://***@f.example/private/rss" in out
    code, out, _ = cli("sources", "update", "private", "--set", "funder=F")
    assert code == 0 and "s3cret-pw" not in out


def test_an_import_skips_bad_names_and_urls_and_adds_the_rest(cli, tmp_path) -> None:
    listing = tmp_path / "sources.toml"
    listing.write_text(
        '[[source]]\nname = "good"\nkind = "feed"\nurl = "https://f.example/a"\n'
        '[[source]]\nname = "bad\\nname"\nkind = "feed"\nurl = "https://f.example/b"\n'
        '[[source]]\nname = "badurl"\nkind = "feed"\nurl = "file:///etc/passwd"\n'
    )
    code, out, err = cli("sources", "import", str(listing))
    assert code == 0, err
    assert "added 1 sources" in out
    assert "skipped 'bad\\nname'" in out and "skipped badurl" in out
    assert [s["name"] for s in json.loads(cli("sources", "list", "--json")[1])] == ["good"]


def test_the_built_in_catalogue_names_and_urls_pass(cli) -> None:
    code, out, err = cli("sources", "import-catalogue")
    assert code == 0 and "skipped" not in out, out + err


def test_a_stored_name_with_control_characters_displays_on_one_line(cli, db_url) -> None:
    store = open_store(db_url)
    with store.session() as session:  # as an older version let it in
        session.add(Source(name="evil\nforged: ok", kind="feed", url="https://f.example/rss",
                           settings={}, info={}, created_at=CAPTURE_TIME))  # fmt: skip
    store.dispose()
    for argv in (("sources", "list"), ("status",)):
        code, out, _ = cli(*argv)
        assert code == 0
        assert not any(line.startswith("forged") for line in out.splitlines()), out


def test_export_keeps_what_import_reads(cli, tmp_path: Path) -> None:
    url = "https://reader:pw@f.example/rss"
    assert cli("sources", "add", "private", "--kind", "feed", "--url", url)[0] == 0
    out_file = tmp_path / "out.toml"
    assert cli("sources", "export", "--output", str(out_file))[0] == 0
    assert url in out_file.read_text()  # a curator's own file: the credentials round-trip
