"""Shell completion as a shell asks for it: the program run with argcomplete's variables, and
a real bash sourcing `funding-monitor completion bash` and pressing TAB."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

BIN = Path(sys.executable).parent


def complete(line: str, tmp_path: Path, env: dict[str, str]) -> tuple[list[str], str]:
    """What the program offers for the words of ``line`` (the cursor at its end), and what it
    wrote to the terminal beside (argcomplete's fd 9)."""
    out = tmp_path / "completions"
    out.unlink(missing_ok=True)
    variables = {**os.environ, **env, "_ARGCOMPLETE": "1", "COMP_LINE": line,
                 "COMP_POINT": str(len(line)),
                 "_ARGCOMPLETE_STDOUT_FILENAME": str(out)}  # fmt: skip
    with open(tmp_path / "shown", "w+") as shown:
        done = subprocess.run(
            [sys.executable, "-m", "monitor"], env=variables, pass_fds=(9,),
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=60,
            preexec_fn=lambda: os.dup2(shown.fileno(), 9),
        )  # fmt: skip
        shown.seek(0)
        warning = shown.read()
    assert done.returncode == 0, done.stderr
    return [word.strip() for word in out.read_text().split("\v")], warning


@pytest.fixture
def stored(cli, db_url) -> dict[str, str]:
    for name in ("edctp3", "ukri-global", "eu-portal"):
        code, _, err = cli("sources", "add", name, "--kind", "feed", "--url",
                           f"https://example.org/{name}.xml")  # fmt: skip
        assert code == 0, err
    return {"FUNDING_MONITOR_DATABASE_URL": db_url}


def test_commands_flags_and_choices_come_from_the_parser(tmp_path) -> None:
    assert complete("funding-monitor sou", tmp_path, {})[0] == ["sources"]
    assert set(complete("funding-monitor sources ", tmp_path, {})[0]) >= {
        "add", "update", "test", "list", "remove", "enable", "disable"}  # fmt: skip
    assert complete("funding-monitor calls list --st", tmp_path, {})[0] == ["--status"]
    assert set(complete("funding-monitor sources add x --kind ", tmp_path, {})[0]) == {
        "eu-ft", "feed", "grants-gov", "page"}  # fmt: skip


def test_source_names_and_tag_ids_come_from_the_store(stored, tmp_path) -> None:
    names, _ = complete("funding-monitor sources remove e", tmp_path, stored)
    assert sorted(names) == ["edctp3", "eu-portal"]
    assert complete("funding-monitor fetch --source uk", tmp_path, stored)[0] == ["ukri-global"]
    tags, _ = complete("funding-monitor calls list --tag global-", tmp_path, stored)
    assert set(tags) == {"global-actor", "global-health-lmic"}
    assert "north-america" in complete("funding-monitor tags show ", tmp_path, stored)[0]


def test_a_new_source_name_is_not_offered_the_old_ones(stored, tmp_path) -> None:
    offered, _ = complete("funding-monitor sources add e", tmp_path, stored)
    assert "edctp3" not in offered


def test_no_database_yet_is_said_under_the_prompt_and_none_is_made(tmp_path) -> None:
    missing = tmp_path / "none" / "fm.db"
    env = {"FUNDING_MONITOR_DATABASE_URL": f"sqlite:///{missing}"}
    offered, warning = complete("funding-monitor sources remove ", tmp_path, env)
    assert "cannot complete from the store" in warning and str(missing) in warning
    assert not [word for word in offered if word and not word.startswith("-")]
    assert not missing.parent.exists()


SCRIPTS = [("bash", "complete -o"), ("zsh", "#compdef"),
           ("fish", "complete --command funding-monitor")]  # fmt: skip


@pytest.mark.parametrize(("shell", "mark"), SCRIPTS)
def test_the_script_for_each_shell(cli, shell, mark) -> None:
    code, out, _ = cli("completion", shell)
    assert code == 0 and mark in out and "funding-monitor" in out


@pytest.mark.skipif(shutil.which("bash") is None, reason="bash is not installed")
def test_tab_in_a_real_bash(stored, tmp_path) -> None:
    script = tmp_path / "script.bash"
    done = subprocess.run([str(BIN / "funding-monitor"), "completion", "bash"],
                          capture_output=True, text=True, check=True)  # fmt: skip
    script.write_text(done.stdout)
    press_tab = (
        f'source "{script}"\n'
        "COMP_LINE='funding-monitor sources disable ukr'; COMP_POINT=${#COMP_LINE}\n"
        "COMP_WORDS=(funding-monitor sources disable ukr); COMP_CWORD=3\n"
        "_python_argcomplete funding-monitor\n"
        'printf "%s\\n" "${COMPREPLY[@]}"\n'
    )
    env = {**os.environ, **stored, "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}"}
    shell = subprocess.run(["bash", "--norc", "--noprofile", "-c", press_tab], env=env,
                           capture_output=True, text=True, timeout=60)  # fmt: skip
    assert shell.stdout.split() == ["ukri-global"], shell.stdout + shell.stderr
