"""`calls list|show`."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from monitor.cli import arguments
from monitor.cli.parser import repeatable, verbs

if TYPE_CHECKING:
    from monitor.app.context import App


def register(commands: Any) -> None:
    group = verbs(commands.add_parser("calls", help="list and show stored calls"), "calls_command")
    listing = group.add_parser("list", help="list calls (a filter given twice: any of its values)")
    repeatable(listing, "--status", "STATUS", "forthcoming, open or closed; repeatable",
               dest="statuses")  # fmt: skip
    repeatable(listing, "--programme", "P", "programme or funder contains P; repeatable",
               dest="programmes")  # fmt: skip
    listing.add_argument("--deadline-before", type=arguments.day, metavar="DATE",
                         help="next deadline on or before DATE (YYYY-MM-DD)")  # fmt: skip
    listing.add_argument("--search", metavar="TEXT",
                         help="text in identifier, title, summary, keywords")  # fmt: skip
    repeatable(listing, "--source", "NAME", "listed by this source; repeatable", dest="sources")
    repeatable(listing, "--tag", "TAG", "calls given this tag; repeatable", dest="tags")
    listing.add_argument("--limit", type=arguments.limits, metavar="N")
    listing.add_argument("--json", action="store_true", help="one JSON array")
    listing.set_defaults(run=list_calls)
    show = group.add_parser("show", help="one call with its deadlines and change history")
    show.add_argument("id", type=arguments.call_ref,
                      help="the call's number or its identifier (HORIZON-…)")  # fmt: skip
    show.add_argument("--json", action="store_true")
    show.set_defaults(run=show_call)


def list_calls(args: argparse.Namespace, app: App) -> int:
    from monitor.app.calls import CallFilter, find
    from monitor.cli import output

    wanted = CallFilter(statuses=args.statuses, programmes=args.programmes, sources=args.sources,
                        tags=args.tags, search=args.search, deadline_before=args.deadline_before,
                        limit=args.limit)  # fmt: skip
    calls = find(app, wanted)
    if args.json:
        output.print_json([c.to_json() for c in calls])
    else:
        print(output.calls_table(calls, app.settings.zone) if calls else "no calls match")
    return 0


def show_call(args: argparse.Namespace, app: App) -> int:
    from monitor.app.calls import show
    from monitor.cli import output

    call = show(app, args.id)
    if args.json:
        data = call.to_json()
        data["deadline_details"] = call.deadlines
        data["changes"] = [{"kind": c.kind, "at": c.at.isoformat(), "old": c.old, "new": c.new}
                           for c in call.changes]  # fmt: skip
        output.print_json(data)
    else:
        print(output.call_detail(call, app.settings.zone))
    return 0
