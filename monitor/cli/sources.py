"""`sources kinds|add|update|list|test|import-catalogue|import|export|remove|enable|disable`."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from monitor.cli import arguments
from monitor.cli.parser import repeatable, verbs

if TYPE_CHECKING:
    from monitor.app.context import App


def register(commands: Any) -> None:
    group = verbs(commands.add_parser("sources", help="configure sources"), "sources_command")
    group.add_parser("kinds", help="list source kinds and their settings").set_defaults(run=kinds)
    add = group.add_parser("add", help="add a source")
    add.add_argument("name")
    add.add_argument("--kind", required=True, help="source kind (see `sources kinds`)")
    add.add_argument("--url", help="base URL (default: the kind's public endpoint)")
    add.add_argument(
        "--every",
        metavar="INTERVAL",
        help="how often `serve` fetches it: 30m, 6h, 1d (default: FETCH_EVERY)",
    )
    repeatable(add, "--set", "KEY=VALUE", "a kind setting; repeatable")
    add.set_defaults(run=add_source)
    update = group.add_parser("update", help="change a source's URL or settings")
    update.add_argument("name")
    update.add_argument("--url", help="new base URL")
    update.add_argument("--every", metavar="INTERVAL",
                        help="how often `serve` fetches it (30m, 6h, 1d) or `default`")  # fmt: skip
    repeatable(update, "--set", "KEY=VALUE", "set a kind setting; repeatable")
    repeatable(update, "--unset", "KEY", "restore a setting's default; repeatable")
    update.set_defaults(run=update_source)
    listing = group.add_parser("list", help="list sources")
    listing.add_argument("--json", action="store_true")
    listing.set_defaults(run=list_sources)
    test = group.add_parser(
        "test", help="fetch once and show what would be stored (stores nothing)"
    )
    test.add_argument("name", nargs="?", help="a configured source (or use --kind and --url)")
    test.add_argument("--kind", help="source kind, to try a source before adding it")
    test.add_argument("--url", help="base URL")
    repeatable(test, "--set", "KEY=VALUE", "a kind setting; repeatable")
    test.add_argument("--limit", type=arguments.limits, default=5, help="items to show (default 5)")
    test.set_defaults(run=test_source)
    catalogue = group.add_parser("import-catalogue", help="add the built-in catalogue of sources")
    catalogue.add_argument(
        "--enable-unverified",
        action="store_true",
        help="enable the unverified entries too (they are added disabled)",
    )
    catalogue.add_argument("--replace", action="store_true", help="overwrite same-named sources")
    catalogue.set_defaults(run=import_catalogue)
    export = group.add_parser("export", help="write the sources as TOML (or OPML for feeds)")
    export.add_argument("--format", choices=["toml", "opml"], default="toml")
    export.add_argument("--output", metavar="FILE", help="default: standard output")
    export.set_defaults(run=export_sources)
    imp = group.add_parser("import", help="add sources from a TOML or OPML file")
    imp.add_argument("file")
    imp.add_argument("--replace", action="store_true", help="overwrite same-named sources")
    imp.set_defaults(run=import_file)
    group.add_parser("remove", help="remove a source").add_argument("name")
    group.choices["remove"].set_defaults(run=remove)
    for verb in ("enable", "disable"):
        toggle = group.add_parser(verb, help=f"{verb} a source")
        toggle.add_argument("name")
        toggle.set_defaults(run=toggle_source)


def parse_sets(pairs: Sequence[str]) -> dict[str, str]:
    """['k=v', …] → {k: v}; ConfigError for an item without '='."""
    from monitor.errors import ConfigError

    result = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise ConfigError(f"--set {pair!r} is not KEY=VALUE")
        result[key.strip()] = value.strip()
    return result


def kinds(args: argparse.Namespace, app: App) -> int:
    from monitor.app import sources

    for kind in sources.kinds():
        print(f"{kind.name}: {kind.description}")
        for name, default, description in kind.setting_help():
            shown = ",".join(default) if isinstance(default, tuple) else default
            print(f"    {name} (default {shown}): {description}")
    return 0


def add_source(args: argparse.Namespace, app: App) -> int:
    from monitor.app import sources
    from sources.values import shown_url

    given = parse_sets(args.set)
    source = sources.add(app, args.name, args.kind, url=args.url, settings=given, every=args.every)
    print(f"added source {source.name} ({source.kind}) -> {shown_url(source.url)}")
    return 0


def update_source(args: argparse.Namespace, app: App) -> int:
    from monitor.app import sources
    from monitor.config import every_text
    from sources.values import shown_url

    source = sources.update(app, args.name, url=args.url, settings=parse_sets(args.set),
                            unset=args.unset, every=args.every)  # fmt: skip
    shown = every_text(source.every) if source.every else "default"
    print(f"updated source {source.name}: {shown_url(source.url)} {json.dumps(source.settings)} "
          f"every={shown}")  # fmt: skip
    return 0


def list_sources(args: argparse.Namespace, app: App) -> int:
    from monitor.app import sources
    from monitor.cli import output
    from sources.values import shown_url

    found = sources.listing(app)
    if not args.json:
        print(output.sources_table(found.sources, found.calls, app.settings.fetch_every)
              if found.sources else "no sources yet")  # fmt: skip
        return 0
    output.print_json([
        {"name": s.name, "kind": s.kind, "url": shown_url(s.url), "enabled": s.enabled,
         "settings": s.settings, "info": s.info, "every": s.every,
         "calls": found.calls.get(s.id or 0, 0)}
        for s in found.sources
    ])  # fmt: skip
    return 0


def test_source(args: argparse.Namespace, app: App) -> int:
    """Fetch and parse once, print a preview; exit 1 when the source fails. Nothing stored."""
    from monitor.app import sources
    from monitor.cli import output

    tried = sources.trial(app, args.name, kind_name=args.kind, url=args.url,
                          settings=parse_sets(args.set))  # fmt: skip
    if tried.error is not None:
        print(f"FAILED: {tried.error}")
        if tried.error.hint:
            print(f"hint: {tried.error.hint}")
        return 1
    print(output.preview(tried.records, tried.warnings, args.limit, app.settings.zone))
    return 0


def export_sources(args: argparse.Namespace, app: App) -> int:
    from monitor.app import sources

    text, count = sources.export(app, args.format)
    if args.output:
        Path(args.output).write_text(text, encoding="utf-8")
        print(f"wrote {count} sources to {args.output}")
    else:
        sys.stdout.write(text)
    return 0


def import_catalogue(args: argparse.Namespace, app: App) -> int:
    from monitor.app import sources

    done = sources.import_catalogue(app, enable_unverified=args.enable_unverified,
                                    overwrite=args.replace)  # fmt: skip
    return _imported(done)


def import_file(args: argparse.Namespace, app: App) -> int:
    from monitor.app import sources

    return _imported(sources.import_file(app, Path(args.file), overwrite=args.replace))


def _imported(done: Any) -> int:
    print(f"added {len(done.added)} sources ({len(done.disabled)} disabled until verified: test "
          "them with `sources test NAME`, then `sources enable NAME`)")  # fmt: skip
    for line in done.skipped:
        print(f"skipped {line}")
    return 0


def remove(args: argparse.Namespace, app: App) -> int:
    from monitor.app import sources

    removed = sources.remove(app, args.name)
    print(f"removed source {args.name} and its {removed} calls")
    return 0


def toggle_source(args: argparse.Namespace, app: App) -> int:
    from monitor.app import sources

    sources.set_enabled(app, args.name, args.sources_command == "enable")
    print(f"{args.sources_command}d source {args.name}")
    return 0
