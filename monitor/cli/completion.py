"""Shell completion, by argcomplete: `funding-monitor completion bash` (or zsh, fish, tcsh)
prints the script a shell sources once; on TAB the shell runs the program with ``_ARGCOMPLETE``
set and `answer` replies before any command runs. Commands, flags and choices come from the
parser itself, source kinds from the registry, source names, tag ids and the identifiers of the
calls entered by hand from the store (through the application layer)."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from monitor.app.context import App

SHELLS = ("bash", "zsh", "fish", "tcsh")
PROG = "funding-monitor"
Reader = Callable[["App"], list[str]]


def register(commands: Any) -> None:
    shell = commands.add_parser(
        "completion",
        help="print the shell completion script",
        description="Print the completion script for SHELL. Once, in ~/.bashrc: "
        'eval "$(funding-monitor completion bash)" (zsh: the same in ~/.zshrc; fish: '
        "funding-monitor completion fish > ~/.config/fish/completions/funding-monitor.fish).",
    )
    shell.add_argument("shell", choices=SHELLS)
    shell.set_defaults(run=print_script)


def print_script(args: argparse.Namespace, app: App) -> int:
    import argcomplete

    print(argcomplete.shellcode([PROG], shell=args.shell))
    return 0


def source_names(app: App) -> list[str]:
    from monitor.app import sources

    return [source.name for source in sources.listing(app).sources]


def tag_ids(app: App) -> list[str]:
    from monitor.app import tags

    return [row.id for row in tags.rows(app)]


def entered_calls(app: App) -> list[str]:
    from monitor.app import manual_calls

    return manual_calls.identifiers(app)


# (command path, argument dest) -> what completes it; a path is the words after the program.
FROM_STORE: dict[tuple[str, str], Reader] = {
    **{(f"sources {verb}", "name"): source_names
       for verb in ("update", "test", "remove", "enable", "disable")},
    **{(f"tags {verb}", "id"): tag_ids
       for verb in ("show", "rename", "edit", "retire", "restore", "history")},
    ("calls list", "sources"): source_names,
    ("calls list", "tags"): tag_ids,
    ("calls edit", "id"): entered_calls,
    ("fetch", "source"): source_names,
    ("label", "tag"): tag_ids,
}  # fmt: skip


def kind_names(prefix: str, **_: object) -> list[str]:
    from sources.registry import addable

    return [name for name in addable() if name.startswith(prefix)]


KNOWN: dict[tuple[str, str], Callable[..., list[str]]] = {  # completed without the store
    ("sources add", "kind"): kind_names,
    ("sources test", "kind"): kind_names,
}


def _completer(read: Reader) -> Callable[..., list[str]]:
    def complete(prefix: str, parsed_args: argparse.Namespace, **_: object) -> list[str]:
        import argcomplete

        from monitor.app.context import App
        from monitor.config import load_settings
        from monitor.errors import MonitorError

        try:
            app = App(load_settings(getattr(parsed_args, "config", None)))
            try:
                return [name for name in read(app) if name.startswith(prefix)]
            finally:
                app.close()
        except MonitorError as exc:  # shown under the prompt: the shell carries on
            argcomplete.warn(f"{PROG}: cannot complete from the store: {exc}")
            return []

    return complete


def _parsers(parser: argparse.ArgumentParser, path: str = "") -> dict[str, Any]:
    """Every (sub)parser by its command path ("", "sources", "sources add"…)."""
    found: dict[str, Any] = {path: parser}
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, child in action.choices.items():
                found.update(_parsers(child, f"{path} {name}".strip()))
    return found


def answer(parser: argparse.ArgumentParser) -> None:
    """Reply to the shell and exit, when the shell asked (``_ARGCOMPLETE`` is set)."""
    import argcomplete

    parsers = _parsers(parser)
    completers = {**KNOWN, **{key: _completer(read) for key, read in FROM_STORE.items()}}
    for (path, dest), completer in completers.items():
        action = next(a for a in parsers[path]._actions if a.dest == dest)
        action.completer = completer  # type: ignore[attr-defined]
    argcomplete.autocomplete(parser)
