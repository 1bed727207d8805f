"""The command line: parse arguments, run a command, turn errors into a message and a hint."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence

from classifiers.errors import ClassifierError
from monitor import __version__
from monitor.cli import arguments, commands, digest_commands, service_commands, tag_commands
from monitor.cli.output import error_text
from monitor.config import configure_logging, load_settings
from monitor.demo import RECORDED_AT
from monitor.errors import MonitorError
from notifications.errors import DeliveryError
from sources.errors import SourceError

logger = logging.getLogger(__name__)
SERVICES = ("serve", "run", "health-check")  # they log their progress, on a terminal too


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="funding-monitor",
        description="Monitor research-funding calls: fetch, store, tag, send digests.",
    )
    parser.add_argument("--version", action="version", version=f"funding-monitor {__version__}")
    parser.add_argument(
        "--config",
        metavar="FILE",
        help="TOML settings file "
        "(default: funding-monitor.toml in the working directory, if present)",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log at DEBUG level")
    parser.add_argument(
        "--log-format", choices=["text", "json"],
        help="log lines as key=value text or JSON objects (default: the LOG_FORMAT setting)",
    )  # fmt: skip
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    sub.add_parser("init", help="create or migrate the database")
    db = sub.add_parser("db", help="the database: schema, backup, copy to another")
    db_verbs = db.add_subparsers(dest="db_command", required=True)
    db_verbs.add_parser("upgrade", help="migrate the database to the newest schema")
    db_verbs.add_parser("current", help="show the schema revision")
    backup = db_verbs.add_parser("backup", help="copy the SQLite file, safely while it is in use")
    backup.add_argument("file", help="the new backup file")
    copy = db_verbs.add_parser("copy", help="copy every row into another, empty database "
                               "(from SQLite to PostgreSQL)")  # fmt: skip
    copy.add_argument("--to", required=True, metavar="URL", help="the target's database URL")
    _sources_parser(sub.add_parser("sources", help="configure sources"))
    fetch = sub.add_parser("fetch", help="fetch calls from enabled sources")
    fetch.add_argument("--source", metavar="NAME", help="only this source (even if disabled)")
    _calls_parser(sub.add_parser("calls", help="list and show stored calls"))
    status = sub.add_parser("status", help="the scheduler's leader and jobs, and the health of "
                            "each source, unhealthy first")  # fmt: skip
    status.add_argument("--json", action="store_true")
    status.add_argument("--unhealthy", action="store_true",
                        help="only unhealthy sources; exit 1 if there are any")  # fmt: skip
    tag_commands.add_parsers(sub)
    digest_commands.add_parsers(sub)
    service_commands.add_parsers(sub)
    demo = sub.add_parser("demo", help="offline demo on bundled recorded portal data")
    demo.add_argument("--limit", type=arguments.limits, default=15,
                      help="calls to print (default 15)")  # fmt: skip
    demo.add_argument("--as-of", type=arguments.when, default=RECORDED_AT, metavar="WHEN",
                      help="the demo's clock (default: when the payloads were recorded, "
                      f"{RECORDED_AT:%Y-%m-%d %H:%M} UTC)")  # fmt: skip
    demo.add_argument("--language", choices=["en", "sv"], default="en",
                      help="the demo subscriber's language")  # fmt: skip
    demo.add_argument("--out-dir", default="funding-monitor-demo", metavar="DIR",
                      help="where the demo digest files and its database are written")  # fmt: skip
    demo.add_argument("--database-url", metavar="URL",
                      help="the demo's database (default: DIR/demo.db, never the configured "
                      "FUNDING_MONITOR_DATABASE_URL)")  # fmt: skip
    return parser


def _repeatable(parser: argparse.ArgumentParser, flag: str, metavar: str, help: str) -> None:
    parser.add_argument(flag, action="append", default=[], metavar=metavar, help=help)


def _sources_parser(parser: argparse.ArgumentParser) -> None:
    verbs = parser.add_subparsers(dest="sources_command", required=True)
    add = verbs.add_parser("add", help="add a source")
    add.add_argument("name")
    add.add_argument("--kind", required=True, help="source kind (see `sources kinds`)")
    add.add_argument("--url", help="base URL (default: the kind's public endpoint)")
    add.add_argument(
        "--every",
        metavar="INTERVAL",
        help="how often `serve` fetches it: 30m, 6h, 1d (default: FETCH_EVERY)",
    )
    _repeatable(add, "--set", "KEY=VALUE", "a kind setting; repeatable")
    update = verbs.add_parser("update", help="change a source's URL or settings")
    update.add_argument("name")
    update.add_argument("--url", help="new base URL")
    update.add_argument(
        "--every",
        metavar="INTERVAL",
        help="how often `serve` fetches it (30m, 6h, 1d) or `default`",
    )
    _repeatable(update, "--set", "KEY=VALUE", "set a kind setting; repeatable")
    _repeatable(update, "--unset", "KEY", "restore a setting's default; repeatable")
    verbs.add_parser("list", help="list sources").add_argument("--json", action="store_true")
    test = verbs.add_parser(
        "test", help="fetch once and show what would be stored (stores nothing)"
    )
    test.add_argument("name", nargs="?", help="a configured source (or use --kind and --url)")
    test.add_argument("--kind", help="source kind, to try a source before adding it")
    test.add_argument("--url", help="base URL")
    _repeatable(test, "--set", "KEY=VALUE", "a kind setting; repeatable")
    test.add_argument("--limit", type=arguments.limits, default=5, help="items to show (default 5)")
    verbs.add_parser("kinds", help="list source kinds and their settings")
    catalogue = verbs.add_parser("import-catalogue", help="add the built-in catalogue of sources")
    catalogue.add_argument(
        "--enable-unverified",
        action="store_true",
        help="enable the unverified entries too (they are added disabled)",
    )
    catalogue.add_argument("--replace", action="store_true", help="overwrite same-named sources")
    export = verbs.add_parser("export", help="write the sources as TOML (or OPML for feeds)")
    export.add_argument("--format", choices=["toml", "opml"], default="toml")
    export.add_argument("--output", metavar="FILE", help="default: standard output")
    imp = verbs.add_parser("import", help="add sources from a TOML or OPML file")
    imp.add_argument("file")
    imp.add_argument("--replace", action="store_true", help="overwrite same-named sources")
    for verb in ("remove", "enable", "disable"):
        verbs.add_parser(verb, help=f"{verb} a source").add_argument("name")


def _calls_parser(parser: argparse.ArgumentParser) -> None:
    verbs = parser.add_subparsers(dest="calls_command", required=True)
    listing = verbs.add_parser("list", help="list calls")
    listing.add_argument("--status", choices=["forthcoming", "open", "closed"])
    listing.add_argument("--programme", metavar="P", help="programme or funder contains P")
    listing.add_argument(
        "--deadline-before", type=arguments.day, metavar="DATE",
        help="next deadline on or before DATE (YYYY-MM-DD)",
    )  # fmt: skip
    listing.add_argument(
        "--search", metavar="TEXT", help="text in identifier, title, summary, keywords"
    )
    listing.add_argument("--source", metavar="NAME")
    listing.add_argument("--tag", metavar="TAG", help="calls given this tag")
    listing.add_argument("--limit", type=arguments.limits, metavar="N")
    listing.add_argument("--json", action="store_true", help="one JSON array")
    show = verbs.add_parser("show", help="one call with its deadlines and change history")
    show.add_argument("id", type=arguments.ids)
    show.add_argument("--json", action="store_true")


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the exit status: 0 ok (or stopped by a signal at a safe point), 1 a
    source or delivery failed (or a source is unhealthy), 2 usage, config or store error, 3
    another process holds the leader lock, 130 interrupted."""
    args = build_parser().parse_args(argv)
    try:
        settings = load_settings(args.config)
        level = "DEBUG" if args.verbose else settings.log_level
        if level == "INFO" and sys.stderr.isatty() and args.command not in SERVICES:
            level = "WARNING"  # a terminal gets a progress display and a summary instead
        configure_logging(level, args.log_format or settings.log_format, settings.secrets)
        return commands.dispatch(args, settings)
    except (MonitorError, SourceError, ClassifierError, DeliveryError) as exc:
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
