"""The argument parser every command is registered on: argparse (the standard library: it
costs nothing to load, which keeps `--help` fast) with what people expect of a command line
on top — a usage error prints the usage of the command that was mistyped, not the top
level's, with the nearest valid spelling ("did you mean --tag?")."""

from __future__ import annotations

import argparse
import difflib
import sys
from collections.abc import Sequence
from typing import Any, NoReturn


def _nearest(word: str, candidates: Sequence[str]) -> str | None:
    found = difflib.get_close_matches(word, candidates, n=1, cutoff=0.6)
    return found[0] if found else None


class Parser(argparse.ArgumentParser):
    """An ArgumentParser whose unknown arguments are an error of the (sub)command that met
    them, with a suggestion. Sub-commands are made of this class too (argparse gives a
    sub-parser its parent's class)."""

    def parse_known_args(  # type: ignore[override]
        self, args: Sequence[str] | None = None, namespace: argparse.Namespace | None = None
    ) -> tuple[argparse.Namespace, list[str]]:
        parsed, extras = super().parse_known_args(args, namespace)
        if extras:
            self._unrecognised(extras)
        return parsed, extras

    def _unrecognised(self, extras: list[str]) -> NoReturn:
        flags = [s for action in self._actions for s in action.option_strings]
        message = f"unrecognized arguments: {' '.join(extras)}"
        first = next((e.split("=", 1)[0] for e in extras if e.startswith("-")), None)
        nearest = _nearest(first, flags) if first else None
        if nearest:
            message += f" (did you mean {nearest}?)"
        self.error(message)

    def _check_value(self, action: argparse.Action, value: Any) -> None:
        try:
            super()._check_value(action, value)
        except argparse.ArgumentError as exc:
            choices = [str(c) for c in action.choices or ()]
            nearest = _nearest(str(value), choices)
            if nearest is None:
                raise
            raise argparse.ArgumentError(
                action, f"{exc.message} (did you mean {nearest!r}?)"
            ) from None

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(2, f"{self.prog}: error: {message}\n")


def verbs(parser: argparse.ArgumentParser, dest: str) -> Any:
    """The sub-commands of a command group (``sources add``, ``sources list``…)."""
    return parser.add_subparsers(dest=dest, required=True)


def repeatable(parser: argparse.ArgumentParser, flag: str, metavar: str, help: str,
               dest: str | None = None) -> None:  # fmt: skip
    """A flag that may be given several times; its values are kept in a list."""
    if dest:
        parser.add_argument(flag, action="append", default=[], metavar=metavar, help=help,
                            dest=dest)  # fmt: skip
    else:
        parser.add_argument(flag, action="append", default=[], metavar=metavar, help=help)
