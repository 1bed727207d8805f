"""The subscriber and digest commands: `subscribers`, `digest preview|send`, `unsubscribe`."""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from monitor.cli import arguments
from monitor.cli.output import print_json
from monitor.config import Settings
from monitor.digests.planning import preview
from monitor.digests.sending import message_id, send_due
from monitor.digests.tokens import honour
from monitor.errors import ConfigError
from monitor.redaction import redact
from monitor.store import ledger
from monitor.store import subscribers as subscriber_store
from monitor.store.db import Store, open_store
from monitor.store.leader import leading
from monitor.store.tables import Delivery, Subscriber
from monitor.store.tags import tag_rows
from notifications import mail, slack
from notifications.digest import LANGUAGES
from notifications.registry import destination

FILTERS = {"tag": "tags", "programme": "programmes", "place": "places", "keyword": "keywords"}


when = arguments.when  # --as-of: an ISO date or date-time (naive: UTC), years 1990 to 2100


def add_parsers(sub: Any) -> None:
    _subscribers_parser(sub.add_parser("subscribers", help="who gets digests and notices"))
    digest = sub.add_parser("digest", help="preview or send the digests")
    verbs = digest.add_subparsers(dest="digest_command", required=True)
    show = verbs.add_parser("preview", help="a subscriber's next digest, without sending it")
    show.add_argument("subscriber", type=arguments.subscriber_ref, help="id or address")
    show.add_argument("--format", choices=["html", "text", "slack", "eml"], default="text")
    show.add_argument("--out", metavar="FILE", help="write it to FILE (default: stdout)")
    show.add_argument("--as-of", type=when, metavar="WHEN", help="pretend it is WHEN")
    send = verbs.add_parser("send", help="send every digest that is due, and curators' notices")
    send.add_argument("--dry-run", action="store_true", help="show what is due; send nothing")
    send.add_argument("--subscriber", metavar="S", type=arguments.subscriber_ref,
                      help="only this subscriber (id or address)")  # fmt: skip
    send.add_argument("--now", action="store_true",
                      help="treat digests as due now, whatever the schedule")  # fmt: skip
    send.add_argument("--as-of", type=when, metavar="WHEN", help="pretend it is WHEN")
    unsubscribe = sub.add_parser("unsubscribe", help="honour an unsubscribe token or link")
    unsubscribe.add_argument("token", nargs="?", help="a token, or the whole link")
    unsubscribe.add_argument("--serve", action="store_true",
                             help="serve PUBLIC_URL/unsubscribe (one-click, RFC 8058) over HTTP "
                             "until stopped; put it behind your HTTPS proxy")  # fmt: skip
    unsubscribe.add_argument("--host", default="127.0.0.1")
    unsubscribe.add_argument("--port", type=arguments.ports, default=8025)


def _filter_flags(parser: argparse.ArgumentParser) -> None:
    for flag, dest in FILTERS.items():
        parser.add_argument(
            f"--{flag}", dest=dest, action="append", metavar=flag.upper(),
            help=f"only calls with this {flag} (repeatable: any of them)",
        )  # fmt: skip
    parser.add_argument("--country", "--region", dest="places", action="append",
                        help="same as --place")  # fmt: skip
    parser.add_argument("--min-days", type=arguments.min_days, metavar="N",
                        help="leave out calls whose deadline is less than N days away")  # fmt: skip
    parser.add_argument("--reminder-days", metavar="D,D", help="reminder windows, e.g. 28,7")
    parser.add_argument("--frequency", choices=["weekly", "daily"])
    parser.add_argument("--language", choices=list(LANGUAGES))
    parser.add_argument("--name")


def _subscribers_parser(parser: argparse.ArgumentParser) -> None:
    verbs = parser.add_subparsers(dest="subscribers_command", required=True)
    add = verbs.add_parser("add", help="add an email address, a Slack channel or a webhook")
    add.add_argument("address", nargs="?", help="an email address")
    add.add_argument("--slack-channel", metavar="C", help="a channel id (bot token) or #name")
    add.add_argument("--slack-webhook", metavar="URL", help="an incoming-webhook URL")
    add.add_argument("--curator", action="store_true",
                     help="receives source health notices instead of digests")  # fmt: skip
    _filter_flags(add)
    listing = verbs.add_parser("list", help="every subscriber")
    listing.add_argument("--json", action="store_true")
    show = verbs.add_parser("show", help="one subscriber and its last deliveries")
    show.add_argument("subscriber", type=arguments.subscriber_ref)
    edit = verbs.add_parser("edit", help="change a subscriber (a filter given replaces it)")
    edit.add_argument("subscriber", type=arguments.subscriber_ref)
    _filter_flags(edit)
    edit.add_argument("--clear", action="append", default=[], choices=[*FILTERS.values(),
                      "min_days"], help="remove one filter")  # fmt: skip
    edit.add_argument("--pause", action="store_true", help="stop sending, keep the subscriber")
    edit.add_argument("--resume", action="store_true", help="send again")
    verbs.add_parser("remove", help="delete a subscriber and its ledger").add_argument(
        "subscriber", type=arguments.subscriber_ref)  # fmt: skip


def handlers() -> dict[str, Callable[[argparse.Namespace, Settings], int]]:
    return {"subscribers": cmd_subscribers, "digest": cmd_digest, "unsubscribe": cmd_unsubscribe}


def _destination(args: argparse.Namespace) -> tuple[str, str]:
    given = [(k, v) for k, v in (("email", args.address), ("slack-channel", args.slack_channel),
                                 ("slack-webhook", args.slack_webhook)) if v]  # fmt: skip
    if len(given) != 1:
        raise ConfigError("give exactly one of ADDRESS, --slack-channel, --slack-webhook")
    kind, value = given[0]
    return kind, destination(kind).check(value)


def _check_tags(store: Store, tags: list[str]) -> None:
    known = [row.id for row in tag_rows(store, retired=False)]
    unknown = [t for t in tags if t not in known]
    if unknown:
        raise ConfigError(f"unknown tag {', '.join(unknown)}; tags in force: {', '.join(known)}",
                          hint="See `funding-monitor tags list`.")  # fmt: skip


def _days(text: str) -> list[int]:
    try:
        days = sorted({int(part) for part in text.split(",") if part.strip()}, reverse=True)
    except ValueError:
        raise ConfigError(f"--reminder-days {text!r} is not a list of days like 28,7") from None
    if not days or any(d < 1 or d > 365 for d in days):
        raise ConfigError(f"--reminder-days {text!r}: each window is 1 to 365 days")
    return days


def _changes(args: argparse.Namespace, store: Store, filters: dict[str, Any]) -> dict[str, Any]:
    """The fields that the filter flags change."""
    filters = dict(filters)
    for dest in FILTERS.values():
        values = getattr(args, dest)
        if values:
            filters[dest] = list(dict.fromkeys(v.strip() for v in values if v.strip()))
    for name in getattr(args, "clear", []):
        filters.pop("min_days_left" if name == "min_days" else name, None)
    if args.min_days is not None:
        if args.min_days < 0:
            raise ConfigError("--min-days must be 0 or more")
        filters["min_days_left"] = args.min_days
    _check_tags(store, filters.get("tags", []))
    changes: dict[str, Any] = {"filters": filters}
    for name in ("frequency", "language", "name"):
        if getattr(args, name) is not None:
            changes[name] = getattr(args, name)
    if args.reminder_days:
        changes["reminder_days"] = _days(args.reminder_days)
    return changes


def cmd_subscribers(args: argparse.Namespace, settings: Settings) -> int:
    verb = args.subscribers_command
    store = open_store(settings.database_url, create=verb == "add")
    if verb == "add":
        kind, address = _destination(args)
        fields = _changes(args, store, {})
        fields["role"] = "curator" if args.curator else "digest"
        row = subscriber_store.add_subscriber(store, kind, address, **fields)
        print(f"added subscriber {row.id}: {_line(row)}")
    elif verb == "list":
        rows = subscriber_store.list_subscribers(store)
        if args.json:
            print_json([_json(row) for row in rows])
        for row in [] if args.json else rows:
            print(f"{row.id:>5}  {_line(row)}")
        if not rows and not args.json:
            print("no subscribers yet: `funding-monitor subscribers add ADDRESS --tag TAG`")
    elif verb == "show":
        return _show(store, subscriber_store.get_subscriber(store, args.subscriber))
    elif verb == "edit":
        row = subscriber_store.get_subscriber(store, args.subscriber)
        assert row.id is not None
        changes = _changes(args, store, row.filters)
        if args.pause or args.resume:
            changes["active"] = bool(args.resume)
            changes["unsubscribed_at"] = None
        row = subscriber_store.update_subscriber(store, row.id, **changes)
        print(f"subscriber {row.id}: {_line(row)}")
    else:
        row = subscriber_store.get_subscriber(store, args.subscriber)
        assert row.id is not None
        subscriber_store.remove_subscriber(store, row.id)
        print(f"removed subscriber {row.id} ({_where(row)})")
    return 0


def _where(row: Subscriber) -> str:
    return f"{row.kind} {subscriber_store.shown(row.kind, row.address)}"


def _line(row: Subscriber) -> str:
    f = row.filters
    parts = [_where(row), row.role, row.frequency, row.language]
    parts += [f"{name}={','.join(f[name])}" for name in FILTERS.values() if f.get(name)]
    if f.get("min_days_left"):
        parts.append(f"min_days={f['min_days_left']}")
    if not row.active:
        parts.append("PAUSED" if row.unsubscribed_at is None else "UNSUBSCRIBED")
    return "  ".join(parts)


def _json(row: Subscriber) -> dict[str, Any]:
    address = subscriber_store.shown(row.kind, row.address)
    return {"id": row.id, "kind": row.kind, "address": address,
            "name": row.name, "role": row.role, "language": row.language,
            "frequency": row.frequency, "filters": row.filters,
            "reminder_days": row.reminder_days, "active": row.active,
            "created_at": row.created_at.isoformat() if row.created_at else None}  # fmt: skip


def _show(store: Store, row: Subscriber) -> int:
    print(f"subscriber {row.id}: {_line(row)}")
    for d in ledger.deliveries(store, row.id, limit=20):
        when_sent = d.sent_at.isoformat(timespec="minutes") if d.sent_at else "-"
        tries = f" attempts={d.attempts}" if d.attempts else ""
        error = f"  error: {redact(d.error)}" if d.error else ""  # rows stored before blanking
        print(f"  #{d.id} {d.kind} {d.period} {d.status} items={d.items}{tries} "
              f"sent={when_sent}{error}")  # fmt: skip
    return 0


def cmd_digest(args: argparse.Namespace, settings: Settings) -> int:
    store = open_store(settings.database_url, create=False)
    now = args.as_of or datetime.now(UTC)
    if args.digest_command == "preview":
        return _preview(store, settings, args, now)
    only = subscriber_store.get_subscriber(store, args.subscriber) if args.subscriber else None
    if args.dry_run:
        from monitor.digests.planning import plan_digests

        plans = plan_digests(store, settings, now, force=args.now, only=only, write=False)
        pending = ledger.pending(store, subscriber_id=only.id if only else None)
        for plan in plans:
            print(f"due: subscriber {plan.subscriber.id} ({_where(plan.subscriber)}) "
                  f"{plan.period.key}: {len(plan.entries)} calls")  # fmt: skip
        with_calls = sum(1 for p in plans if p.entries)
        print(f"{len(plans)} digests due ({with_calls} with calls), {len(pending)} deliveries "
              "pending from earlier runs; nothing sent (--dry-run)")  # fmt: skip
        return 0
    with leading(store):  # never beside a `serve` leader sending the same ledger
        report = send_due(store, settings, now, force=args.now, subscriber=only)
    for error in report.errors:
        print(f"error: {redact(error)}")
    print(f"sent {report.sent} deliveries ({report.messages} messages); "
          f"{report.deferred} left for the next run; {report.failed} refused; "
          f"{report.given_up} given up")  # fmt: skip
    return 0 if not report.errors else 1


def render(
    store: Store, settings: Settings, row: Subscriber, now: datetime, fmt: str
) -> str | None:
    """A subscriber's next digest in one format (html, text, slack JSON, eml), or None."""
    digest = preview(store, settings, row, now)
    if digest is None:
        return None
    if fmt == "html":
        return mail.render_html(digest)
    if fmt == "text":
        return mail.render_text(digest)
    if fmt == "slack":
        messages = slack.render_digest(digest)
        return json.dumps([{"text": m.text, "blocks": list(m.blocks)} for m in messages],
                          ensure_ascii=False, indent=2)  # fmt: skip
    fake = Delivery(id=0, subscriber_id=row.id or 0, period=digest.period)
    message = mail.digest_message(digest, sender=settings.mail_from, recipient=row.address,
                                  message_id=message_id(settings, fake), date=now)  # fmt: skip
    return message.as_string()


def _preview(store: Store, settings: Settings, args: argparse.Namespace, now: datetime) -> int:
    row = subscriber_store.get_subscriber(store, args.subscriber)
    if args.format == "eml" and row.kind != "email":
        raise ConfigError("--format eml is for email subscribers; use slack for Slack ones")
    text = render(store, settings, row, now, args.format)
    if text is None:
        print(f"nothing due for subscriber {row.id} as of {now.isoformat(timespec='minutes')}")
        return 0
    if args.out:
        Path(args.out).write_text(text, encoding="utf-8")
        print(f"wrote {args.out}")
    else:
        print(text)
    return 0


def cmd_unsubscribe(args: argparse.Namespace, settings: Settings) -> int:
    store = open_store(settings.database_url, create=False)
    if args.serve:
        from monitor.web.unsubscribe import serve_unsubscribe

        return serve_unsubscribe(store, settings, args.host, args.port)
    if not args.token:
        raise ConfigError("give a TOKEN (or a whole unsubscribe link), or --serve")
    row, done = honour(store, settings, args.token)
    if row is None:
        print("this subscriber was already removed")
    elif not done:
        print(f"subscriber {row.id} was already unsubscribed")
    else:
        print(f"unsubscribed subscriber {row.id} ({_where(row)})")
    return 0
