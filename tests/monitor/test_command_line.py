"""The command line as people expect it: one registration convention, the mistyped command's own
usage with a suggestion, repeated filters, identifiers, unknown values named, fitted tables,
and start-up that loads only what a command uses."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from monitor.cli import build_parser


def leaves(parser, path=()):  # every runnable command with its words
    actions = [a for a in parser._actions if a.__class__.__name__ == "_SubParsersAction"]
    if not actions:
        yield path, parser
        return
    for name, child in actions[0].choices.items():
        yield from leaves(child, (*path, name))


def test_every_command_names_a_handler() -> None:
    found = list(leaves(build_parser()))
    assert len(found) > 40
    for words, parser in found:
        run = parser.get_default("run")
        assert callable(run), f"`{' '.join(words)}` has no handler"
        assert run.__module__.startswith("monitor.cli."), words


@pytest.mark.parametrize(
    ("argv", "usage", "suggestion"),
    [
        (["calls", "list", "--tga", "x"], "usage: funding-monitor calls list",
         "did you mean --tag?"),
        (["sources", "add", "x", "--kind", "feed", "--urll", "u"],
         "usage: funding-monitor sources add", "did you mean --url?"),
        (["fetc"], "usage: funding-monitor [-h]", "did you mean 'fetch'?"),
        (["calls", "lst"], "usage: funding-monitor calls", "did you mean 'list'?"),
    ],
)  # fmt: skip
def test_a_mistyped_word_gets_its_commands_usage_and_the_nearest_spelling(
    argv, usage, suggestion, capsys
) -> None:
    with pytest.raises(SystemExit) as done:
        build_parser().parse_args(argv)
    err = capsys.readouterr().err
    assert done.value.code == 2 and err.startswith(usage) and suggestion in err


def test_nothing_near_is_suggested_for_nonsense(capsys) -> None:
    with pytest.raises(SystemExit):
        build_parser().parse_args(["calls", "list", "--zzzzzz"])
    assert "did you mean" not in capsys.readouterr().err


def test_repeated_filters_combine_and_unknown_values_are_named(cli, portal) -> None:
    listed = {}
    for tag in ("erasmus-education", "global-health-lmic"):
        code, out, _ = cli("calls", "list", "--tag", tag, "--json")
        listed[tag] = {c["identifier"] for c in json.loads(out)}
        assert code == 0 and listed[tag]
    code, out, _ = cli("calls", "list", "--tag", "erasmus-education", "--tag",
                       "global-health-lmic", "--json")  # fmt: skip
    both = {c["identifier"] for c in json.loads(out)}
    assert both == listed["erasmus-education"] | listed["global-health-lmic"]
    code, out, _ = cli("calls", "list", "--programme", "erasmus", "--programme", "horizon",
                       "--json")  # fmt: skip
    programmes = {c["programme"].split()[0] for c in json.loads(out)}
    assert code == 0 and programmes == {"Erasmus+", "Horizon"}
    code, _, err = cli("calls", "list", "--tag", "global-actor", "--tag", "no-such-tag")
    assert code == 2 and "unknown tag 'no-such-tag'" in err and "erasmus-education" in err
    code, _, err = cli("calls", "list", "--source", "nowhere")
    assert code == 2 and "unknown source 'nowhere'; valid: eu" in err
    code, _, err = cli("calls", "list", "--status", "opne")
    assert code == 2 and "forthcoming, open, closed" in err


def test_a_call_is_found_by_its_identifier_in_any_case(cli, portal) -> None:
    identifier, call_id = next(iter(portal.items()))
    code, out, _ = cli("calls", "show", identifier.lower(), "--json")
    assert code == 0 and json.loads(out)["id"] == call_id
    code, _, err = cli("calls", "show", "HORIZON-NOT-A-CALL-2099-01")
    assert code == 2 and "no call with identifier 'HORIZON-NOT-A-CALL-2099-01'" in err
    code, out, _ = cli("label", identifier, "global-actor")
    assert code == 0 and f"call {call_id} has tag global-actor" in out


def test_a_table_fits_the_terminal_and_keeps_identifiers_whole(cli, portal, monkeypatch) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    code, out, _ = cli("calls", "list")
    lines = out.splitlines()
    assert code == 0 and len(lines) == len(portal) + 1
    assert max(len(line) for line in lines) <= 80, out
    for identifier in portal:
        assert any(identifier in line for line in lines)  # never cut
    assert "…" in out  # titles were
    monkeypatch.delenv("COLUMNS")
    code, whole, _ = cli("calls", "list")  # to a pipe: whole lines
    assert max(len(line) for line in whole.splitlines()) > 80


def test_help_and_version_load_neither_the_store_nor_the_model() -> None:
    probe = ("import sys, runpy\nsys.argv = ['funding-monitor', '--help']\n"
             "try:\n    runpy.run_module('monitor', run_name='__main__')\nexcept SystemExit:\n"
             "    pass\nheavy = [m for m in ('sqlalchemy', 'sqlmodel', 'sklearn', 'scipy', "
             "'apscheduler', 'slack_sdk', 'jinja2', 'feedparser', 'httpx', 'pydantic') "
             "if m in sys.modules]\nprint('HEAVY', heavy)")  # fmt: skip
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          timeout=60)  # fmt: skip
    assert "HEAVY []" in done.stdout, done.stdout + done.stderr
    assert "usage: funding-monitor" in done.stdout


def test_fetch_and_sources_add_load_only_what_they_use() -> None:
    """`fetch` never tags or sends, `sources add` never fetches: neither pays for the others'
    libraries (what bench/startup.py and bench/fetch_cli.py measure)."""
    probe = ("import sys\nimport monitor.app.fetching, monitor.app.sources\n"
             "from sources.registry import get_kind\nget_kind('feed')\n"
             "heavy = [m for m in ('sklearn', 'scipy', 'apscheduler', 'slack_sdk', 'jinja2', "
             "'feedparser', 'sources.page', 'sources.eu_ft', 'monitor.tagging.classify', "
             "'monitor.digests.sending', 'monitor.ingest.catalogue') if m in sys.modules]\n"
             "print('HEAVY', heavy)")  # fmt: skip
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          timeout=60)  # fmt: skip
    assert "HEAVY []" in done.stdout, done.stdout + done.stderr


def test_long_work_shows_its_progress_on_a_terminal(tmp_path) -> None:
    """`evaluate` on a terminal draws a bar per stage (fold by fold); to a pipe it does not."""
    import os
    import pty

    env = {**os.environ, "FUNDING_MONITOR_DATABASE_URL": f"sqlite:///{tmp_path / 'fm.db'}",
           "FUNDING_MONITOR_MODEL_DIR": str(tmp_path / "models"), "COLUMNS": "100"}  # fmt: skip
    command = [sys.executable, "-m", "monitor", "evaluate"]
    leader, follower = pty.openpty()
    with subprocess.Popen(command, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                          stderr=follower) as process:  # fmt: skip
        os.close(follower)
        drawn = b""
        while True:
            try:
                chunk = os.read(leader, 65536)
            except OSError:  # the process closed its end
                break
            if not chunk:
                break
            drawn += chunk
        out = process.stdout.read().decode() if process.stdout else ""
    os.close(leader)
    assert process.returncode == 0 and "macro F1" in out
    assert b"evaluating: cross-validate" in drawn and b"5/5" in drawn
    piped = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
    assert piped.returncode == 0 and "cross-validate" not in piped.stderr
