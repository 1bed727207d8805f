"""`digest preview|send|retry` and `unsubscribe`."""

from __future__ import annotations

import argparse
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from monitor.cli import arguments
from monitor.cli.parser import verbs

if TYPE_CHECKING:
    from monitor.app.context import App

FORMATS = ("html", "text", "slack", "teams", "eml")


def register(commands: Any) -> None:
    group = verbs(commands.add_parser("digest", help="preview or send the digests"),
                  "digest_command")  # fmt: skip
    show = group.add_parser("preview", help="a subscriber's next digest, without sending it")
    show.add_argument("subscriber", type=arguments.subscriber_ref, help="id or address")
    show.add_argument("--format", choices=FORMATS, default="text")
    show.add_argument("--out", metavar="FILE", help="write it to FILE (default: stdout)")
    show.add_argument("--as-of", type=arguments.when, metavar="WHEN", help="pretend it is WHEN")
    show.set_defaults(run=preview)
    sending = group.add_parser("send", help="send every digest that is due, and curators' notices")
    sending.add_argument("--dry-run", action="store_true", help="show what is due; send nothing")
    sending.add_argument("--subscriber", metavar="S", type=arguments.subscriber_ref,
                      help="only this subscriber (id or address)")  # fmt: skip
    sending.add_argument("--now", action="store_true",
                      help="treat digests as due now, whatever the schedule")  # fmt: skip
    sending.add_argument("--as-of", type=arguments.when, metavar="WHEN", help="pretend it is WHEN")
    sending.set_defaults(run=send)
    again = group.add_parser("retry", help="make a failed delivery pending again (attempts "
                             "reset) for the next send, once its address is fixed")  # fmt: skip
    again.add_argument("delivery", type=arguments.ids, metavar="DELIVERY_ID",
                       help="the delivery's number (see `subscribers show S`)")  # fmt: skip
    again.add_argument("--send", action="store_true",
                       help="send it now (as `digest send --subscriber S` does)")  # fmt: skip
    again.add_argument("--as-of", type=arguments.when, metavar="WHEN", help="pretend it is WHEN")
    again.set_defaults(run=retry)
    unsubscribe = commands.add_parser("unsubscribe", help="honour an unsubscribe token or link")
    unsubscribe.add_argument("token", nargs="?", help="a token, or the whole link")
    unsubscribe.add_argument("--serve", action="store_true",
                             help="serve PUBLIC_URL/unsubscribe (one-click, RFC 8058) over HTTP "
                             "until stopped; put it behind your HTTPS proxy")  # fmt: skip
    unsubscribe.add_argument("--host", default="127.0.0.1")
    unsubscribe.add_argument("--port", type=arguments.ports, default=8025)
    unsubscribe.set_defaults(run=unsubscribe_token)


def preview(args: argparse.Namespace, app: App) -> int:
    from monitor.app import digests, subscribers

    now = args.as_of or datetime.now(UTC)
    row = subscribers.get(app, args.subscriber)
    text = digests.render(app, row, now, args.format)
    if text is None:
        print(f"nothing due for subscriber {row.id} as of {now.isoformat(timespec='minutes')}")
    elif args.out:
        Path(args.out).write_text(text, encoding="utf-8")
        print(f"wrote {args.out}")
    else:
        print(text)
    return 0


def send(args: argparse.Namespace, app: App) -> int:
    from monitor.app import digests, subscribers
    from monitor.app.subscribers import shown_address
    from monitor.redaction import redact

    now = args.as_of or datetime.now(UTC)
    only = subscribers.get(app, args.subscriber) if args.subscriber else None
    if args.dry_run:
        plan = digests.due(app, now, force=args.now, only=only)
        for due in plan.due:
            print(f"due: subscriber {due.subscriber.id} ({shown_address(due.subscriber)}) "
                  f"{due.period}: {due.calls} calls")  # fmt: skip
        with_calls = sum(1 for d in plan.due if d.calls)
        print(f"{len(plan.due)} digests due ({with_calls} with calls), {plan.pending} deliveries "
              "pending from earlier runs; nothing sent (--dry-run)")  # fmt: skip
        return 0
    report = digests.send(app, now, force=args.now, only=only)
    for error in report.errors:
        print(f"error: {redact(error)}")
    print(f"sent {report.sent} deliveries ({report.messages} messages); "
          f"{report.deferred} left for the next run; {report.failed} refused; "
          f"{report.given_up} given up")  # fmt: skip
    if report.copies_dropped:
        print(f"dropped the web copies of {report.copies_dropped} digests sent over "
              f"{app.settings.web_copy_days} days ago (WEB_COPY_DAYS)")  # fmt: skip
    return 0 if not report.errors else 1


def retry(args: argparse.Namespace, app: App) -> int:
    from monitor.app import deliveries

    done = deliveries.retry(app, args.delivery, send=args.send, now=args.as_of)
    e = done.entry
    print(f"delivery {e.id} ({e.kind} {e.period}) to subscriber {e.subscriber_id} "
          f"({e.destination} {e.address}) is {e.status} again"
          + (f" with {done.calls} calls" if e.kind == "digest" else ""))  # fmt: skip
    if done.sent is None:
        print("it goes out with the next `funding-monitor digest send` (or the scheduler's)")
        return 0
    for error in done.errors:
        print(f"error: {error}")
    print(f"sent {done.sent} deliveries; delivery {e.id} is {e.status}")
    return 0 if not done.errors else 1


def unsubscribe_token(args: argparse.Namespace, app: App) -> int:
    from monitor.app import digests
    from monitor.app.subscribers import shown_address
    from monitor.errors import ConfigError

    if args.serve:
        from monitor.web.unsubscribe import serve_unsubscribe

        app.store(create=False)  # the database must exist
        return serve_unsubscribe(app, args.host, args.port)
    if not args.token:
        raise ConfigError("give a TOKEN (or a whole unsubscribe link), or --serve")
    row, done = digests.unsubscribe(app, args.token)
    if row is None:
        print("this subscriber was already removed")
    elif not done:
        print(f"subscriber {row.id} was already unsubscribed")
    else:
        print(f"unsubscribed subscriber {row.id} ({shown_address(row)})")
    return 0
