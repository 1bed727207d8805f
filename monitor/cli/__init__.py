# PYTHON_ARGCOMPLETE_OK  (argcomplete's marker: global completion may call this program)
"""The command line, one of the application's two faces: it parses arguments, calls one use case
of ``monitor.app`` and renders what it returns as text or JSON.

Each command group is one module here with a ``register(commands)`` that adds its parsers, each
parser naming its handler with ``set_defaults(run=handler)``; a handler is
``handler(args, app) -> exit status``. A handler imports the use cases it calls when it runs,
so that `--help`, `--version` and a light command never load the libraries of the others
(scikit-learn, SQLAlchemy, APScheduler, Jinja2…): `bench/startup.py` measures it.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

import monitor
from monitor.cli import (
    calls,
    completion,
    database,
    demo,
    digest,
    fetch,
    model,
    service,
    sources,
    status,
    subscribers,
    tags,
    users,
    web,
)
from monitor.cli.parser import Parser

GROUPS = (database, sources, fetch, calls, status, tags, model, subscribers, users, digest, service,
          demo, web, completion)  # fmt: skip


class _Version(argparse.Action):
    """--version, reading the installed version only when asked."""

    def __call__(self, parser: argparse.ArgumentParser, *_: object) -> None:
        print(f"funding-monitor {monitor.__version__}")
        parser.exit()


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(
        prog="funding-monitor",
        description="Monitor research-funding calls: fetch, store, tag, send digests.",
    )
    parser.add_argument("--version", action=_Version, nargs=0, help="show the version and exit")
    parser.add_argument("--config", metavar="FILE", help="TOML settings file (default: "
                        "funding-monitor.toml in the working directory, if present)")  # fmt: skip
    parser.add_argument("-v", "--verbose", action="store_true", help="log at DEBUG level")
    parser.add_argument(
        "--log-format", choices=["text", "json"],
        help="log lines as key=value text or JSON objects (default: the LOG_FORMAT setting)",
    )  # fmt: skip
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for group in GROUPS:
        group.register(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the exit status: 0 ok (or stopped by a signal at a safe point), 1 a
    source or delivery failed (or a source is unhealthy), 2 usage, config or store error, 3
    another process holds the leader lock, 130 interrupted."""
    parser = build_parser()
    if "_ARGCOMPLETE" in os.environ:  # the shell asks for completions (see `completion`)
        completion.answer(parser)  # replies and exits
    args = parser.parse_args(argv)
    from classifiers.errors import ClassifierError
    from monitor.app.audit import acting, command_actor
    from monitor.app.context import App
    from monitor.config import configure_logging, load_settings
    from monitor.errors import MonitorError
    from notifications.errors import DeliveryError
    from sources.errors import SourceError

    try:
        settings = load_settings(args.config)
        level = "DEBUG" if args.verbose else settings.log_level
        if level == "INFO" and sys.stderr.isatty() and args.command not in service.NAMES:
            level = "WARNING"  # a terminal gets a progress display and a summary instead
        configure_logging(level, args.log_format or settings.log_format, settings.secrets)
        with acting(command_actor()):  # a command's changes are in the audit log as its user's
            status: int = args.run(args, App(settings))
        return status
    except (MonitorError, SourceError, ClassifierError, DeliveryError) as exc:
        from monitor.cli.output import error_text

        print(error_text(exc), file=sys.stderr)  # secrets blanked
        return getattr(exc, "exit_status", 2)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # e.g. `calls show 1 | head`: the reader left, which is fine
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0


if __name__ == "__main__":
    sys.exit(main())
