"""The command line: parse arguments, run a command, turn errors into a message and a hint."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence
from datetime import date

from monitor import __version__, commands
from monitor.config import configure_logging, load_settings
from monitor.errors import MonitorError
from sources.errors import SourceError

logger = logging.getLogger(__name__)


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date (YYYY-MM-DD)") from None


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="funding-monitor",
        description="Monitor research-funding calls: fetch, store, list.",
    )
    parser.add_argument("--version", action="version", version=f"funding-monitor {__version__}")
    parser.add_argument(
        "--config",
        metavar="FILE",
        help="TOML settings file "
        "(default: funding-monitor.toml in the working directory, if present)",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log at DEBUG level")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    sub.add_parser("init", help="create or migrate the database")
    db = sub.add_parser("db", help="database schema").add_subparsers(
        dest="db_command", required=True
    )
    db.add_parser("upgrade", help="migrate the database to the newest schema")
    db.add_parser("current", help="show the schema revision")

    src = sub.add_parser("sources", help="configure sources").add_subparsers(
        dest="sources_command", required=True
    )
    add = src.add_parser("add", help="add a source")
    add.add_argument("name")
    add.add_argument("--kind", required=True, help="source kind (see `sources kinds`)")
    add.add_argument("--url", help="base URL (default: the kind's public endpoint)")
    add.add_argument(
        "--set", action="append", default=[], metavar="KEY=VALUE", help="a kind setting; repeatable"
    )
    upd = src.add_parser("update", help="change a source's URL or settings")
    upd.add_argument("name")
    upd.add_argument("--url", help="new base URL")
    upd.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="set a kind setting; repeatable",
    )
    upd.add_argument(
        "--unset",
        action="append",
        default=[],
        metavar="KEY",
        help="restore a setting's default; repeatable",
    )
    lst = src.add_parser("list", help="list sources")
    lst.add_argument("--json", action="store_true")
    src.add_parser("kinds", help="list source kinds and their settings")
    for verb in ("remove", "enable", "disable"):
        src.add_parser(verb, help=f"{verb} a source").add_argument("name")

    fetch = sub.add_parser("fetch", help="fetch calls from enabled sources")
    fetch.add_argument("--source", metavar="NAME", help="only this source (even if disabled)")

    calls = sub.add_parser("calls", help="list and show stored calls").add_subparsers(
        dest="calls_command", required=True
    )
    cl = calls.add_parser("list", help="list calls")
    cl.add_argument("--status", choices=["forthcoming", "open", "closed"])
    cl.add_argument("--programme", metavar="P", help="programme or funder contains P")
    cl.add_argument(
        "--deadline-before",
        type=_date,
        metavar="DATE",
        help="next deadline on or before DATE (YYYY-MM-DD)",
    )
    cl.add_argument("--search", metavar="TEXT", help="text in identifier, title, summary, keywords")
    cl.add_argument("--source", metavar="NAME")
    cl.add_argument("--limit", type=int, metavar="N")
    cl.add_argument("--json", action="store_true", help="one JSON array")
    show = calls.add_parser("show", help="one call with its deadlines and change history")
    show.add_argument("id", type=int)
    show.add_argument("--json", action="store_true")

    status = sub.add_parser("status", help="health of each source")
    status.add_argument("--json", action="store_true")

    demo = sub.add_parser("demo", help="offline demo on bundled recorded portal data")
    demo.add_argument("--limit", type=int, default=15, help="calls to print (default 15)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the exit status (0 ok, 1 a source failed, 2 usage/config/store)."""
    args = build_parser().parse_args(argv)
    try:
        settings = load_settings(args.config)
        level = "DEBUG" if args.verbose else settings.log_level
        if level == "INFO" and sys.stderr.isatty():
            level = "WARNING"  # a terminal gets a progress display and a summary instead
        configure_logging(level)
        return commands.dispatch(args, settings)
    except (MonitorError, SourceError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        if exc.hint:
            print(f"hint: {exc.hint}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # e.g. `calls show 1 | head`: the reader left, which is fine
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0


if __name__ == "__main__":
    sys.exit(main())
