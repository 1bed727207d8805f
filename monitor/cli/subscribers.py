"""`subscribers add|list|show|edit|export|remove`."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from monitor.cli import arguments
from monitor.cli.parser import verbs
from notifications.digest import LANGUAGES

if TYPE_CHECKING:
    from monitor.app.context import App

FILTERS = {"tag": "tags", "programme": "programmes", "place": "places", "keyword": "keywords"}

DESTINATIONS = (("address", "email"), ("slack_channel", "slack-channel"),
                ("slack_webhook", "slack-webhook"), ("teams_webhook", "teams-webhook"))  # fmt: skip


def register(commands: Any) -> None:
    group = verbs(commands.add_parser("subscribers", help="who gets digests and notices"),
                  "subscribers_command")  # fmt: skip
    add = group.add_parser(
        "add", help="add an email address, a Slack channel, or a Slack or Teams webhook"
    )
    add.add_argument("address", nargs="?", help="an email address")
    add.add_argument("--slack-channel", metavar="C", help="a channel id (bot token) or #name")
    add.add_argument("--slack-webhook", metavar="URL", help="an incoming-webhook URL")
    add.add_argument("--teams-webhook", metavar="URL",
                     help="a Teams workflow's webhook URL (a secret: shown masked)")  # fmt: skip
    add.add_argument("--curator", action="store_true",
                     help="receives source health notices instead of digests")  # fmt: skip
    _filter_flags(add)
    add.set_defaults(run=add_subscriber)
    listing = group.add_parser("list", help="every subscriber")
    listing.add_argument("--json", action="store_true")
    listing.set_defaults(run=list_subscribers)
    show = group.add_parser("show", help="one subscriber and its last deliveries")
    show.add_argument("subscriber", type=arguments.subscriber_ref)
    show.set_defaults(run=show_subscriber)
    edit = group.add_parser("edit", help="change a subscriber (a filter given replaces it)")
    edit.add_argument("subscriber", type=arguments.subscriber_ref)
    _filter_flags(edit)
    edit.add_argument("--clear", action="append", default=[], choices=[*FILTERS.values(),
                      "min_days"], help="remove one filter")  # fmt: skip
    edit.add_argument("--pause", action="store_true", help="stop sending, keep the subscriber")
    edit.add_argument("--resume", action="store_true", help="send again")
    edit.set_defaults(run=edit_subscriber)
    export = group.add_parser("export", help="everything stored about one subscriber, as JSON "
                              "(GDPR access; no secret)")  # fmt: skip
    export.add_argument("subscriber", type=arguments.subscriber_ref)
    export.add_argument("--out", metavar="FILE", help="write it to FILE (default: stdout)")
    export.set_defaults(run=export_subscriber)
    remove = group.add_parser("remove", help="delete a subscriber's data: its row, ledger and "
                              "email links (its feedback stays, anonymous)")  # fmt: skip
    remove.add_argument("subscriber", type=arguments.subscriber_ref)
    remove.set_defaults(run=remove_subscriber)


def _filter_flags(parser: argparse.ArgumentParser) -> None:
    for flag, dest in FILTERS.items():
        parser.add_argument(
            f"--{flag}",
            dest=dest,
            action="append",
            metavar=flag.upper(),
            help=f"only calls with this {flag} (repeatable: any of them)",
        )
    parser.add_argument("--country", "--region", dest="places", action="append",
                        help="same as --place")  # fmt: skip
    parser.add_argument("--min-days", type=arguments.min_days, metavar="N",
                        help="leave out calls whose deadline is less than N days away")  # fmt: skip
    parser.add_argument("--reminder-days", metavar="D,D", help="reminder windows, e.g. 28,7")
    parser.add_argument("--frequency", choices=["weekly", "daily"])
    parser.add_argument("--language", choices=list(LANGUAGES))
    parser.add_argument("--name")


def _preferences(args: argparse.Namespace) -> Any:
    from monitor.app.subscribers import Preferences

    return Preferences(
        filters={dest: getattr(args, dest) or [] for dest in FILTERS.values()},
        clear=getattr(args, "clear", []), min_days=args.min_days,
        reminder_days=args.reminder_days, frequency=args.frequency, language=args.language,
        name=args.name,
    )  # fmt: skip


def _line(row: Any) -> str:
    from monitor.app.subscribers import shown_address

    f = row.filters
    parts = [shown_address(row), row.role, row.frequency, row.language]
    parts += [f"{name}={','.join(f[name])}" for name in FILTERS.values() if f.get(name)]
    if f.get("min_days_left"):
        parts.append(f"min_days={f['min_days_left']}")
    if not row.active:
        parts.append("PAUSED" if row.unsubscribed_at is None else "UNSUBSCRIBED")
    return "  ".join(parts)


def add_subscriber(args: argparse.Namespace, app: App) -> int:
    from monitor.app import subscribers
    from monitor.errors import ConfigError

    given = [(kind, getattr(args, flag)) for flag, kind in DESTINATIONS if getattr(args, flag)]
    if len(given) != 1:
        raise ConfigError(
            "give exactly one of ADDRESS, --slack-channel, --slack-webhook, --teams-webhook"
        )
    kind, address = given[0]
    row = subscribers.add(app, kind, address, _preferences(args), curator=args.curator)
    print(f"added subscriber {row.id}: {_line(row)}")
    return 0


def list_subscribers(args: argparse.Namespace, app: App) -> int:
    from monitor.app import subscribers
    from monitor.app.subscribers import shown_address
    from monitor.cli.output import print_json

    rows = subscribers.everyone(app)
    if args.json:
        print_json([
            {"id": r.id, "kind": r.kind, "address": shown_address(r, kind=False), "name": r.name,
             "role": r.role, "language": r.language, "frequency": r.frequency,
             "filters": r.filters, "reminder_days": r.reminder_days, "active": r.active,
             "created_at": r.created_at.isoformat() if r.created_at else None}
            for r in rows
        ])  # fmt: skip
        return 0
    for row in rows:
        print(f"{row.id:>5}  {_line(row)}")
    if not rows:
        print("no subscribers yet: `funding-monitor subscribers add ADDRESS --tag TAG`")
    return 0


def show_subscriber(args: argparse.Namespace, app: App) -> int:
    from monitor.app import subscribers
    from monitor.redaction import redact

    row = subscribers.get(app, args.subscriber)
    print(f"subscriber {row.id}: {_line(row)}")
    for d in subscribers.deliveries(app, row):
        when_sent = d.sent_at.isoformat(timespec="minutes") if d.sent_at else "-"
        tries = f" attempts={d.attempts}" if d.attempts else ""
        error = f"  error: {redact(d.error)}" if d.error else ""  # rows stored before blanking
        print(f"  #{d.id} {d.kind} {d.period} {d.status} items={d.items}{tries} "
              f"sent={when_sent}{error}")  # fmt: skip
    return 0


def edit_subscriber(args: argparse.Namespace, app: App) -> int:
    from monitor.app import subscribers

    active = True if args.resume else False if args.pause else None
    row = subscribers.edit(app, args.subscriber, _preferences(args), active=active)
    print(f"subscriber {row.id}: {_line(row)}")
    return 0


def remove_subscriber(args: argparse.Namespace, app: App) -> int:
    from monitor.app import subscribers
    from monitor.app.subscribers import shown_address

    row = subscribers.remove(app, args.subscriber)
    print(f"removed subscriber {row.id} ({shown_address(row)})")
    return 0


def export_subscriber(args: argparse.Namespace, app: App) -> int:
    import json
    from pathlib import Path

    from monitor.app import subscribers
    from monitor.cli.output import print_json

    data = subscribers.export_data(app, args.subscriber)
    if not args.out:
        print_json(data)
        return 0
    text = json.dumps(data, ensure_ascii=False, indent=2)
    Path(args.out).write_text(text + "\n", encoding="utf-8")
    print(f"wrote {args.out}")
    return 0
