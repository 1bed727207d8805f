"""`calls list|show|unlink`, and the calls entered by hand: `calls add|edit|import`."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from monitor.cli import arguments
from monitor.cli.parser import repeatable, verbs

if TYPE_CHECKING:
    from monitor.app.context import App
    from monitor.app.manual_calls import Saved


def register(commands: Any) -> None:
    calls = commands.add_parser("calls", help="list, show and unlink stored calls; enter calls")
    group = verbs(calls, "calls_command")
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
    unlink = group.add_parser("unlink", help="make a call linked to other sources' calls its "
                              "own call again (never linked to them again)")  # fmt: skip
    unlink.add_argument("id", type=arguments.ids, help="the call's number")
    unlink.set_defaults(run=unlink_call)
    add = group.add_parser("add", help="enter a call by hand (one no source publishes)",
                           description=ENTERED)  # fmt: skip
    add.add_argument("--identifier", metavar="ID",
                     help="its identifier, e.g. KA131-HED-2027 (default: manual-N)")  # fmt: skip
    _entry_flags(add, adding=True)
    add.set_defaults(run=add_call)
    edit = group.add_parser("edit", help="change a call entered by hand",
                            description=f"{ENTERED} Only the fields given change; an empty value "
                            "('') clears an optional one.")  # fmt: skip
    edit.add_argument("id", type=arguments.call_ref, help="the call's number or identifier")
    _entry_flags(edit, adding=False)
    edit.add_argument("--no-deadlines", action="store_true", help="remove every deadline")
    edit.set_defaults(run=edit_call)
    imp = group.add_parser("import", help="enter or update calls from a CSV file",
                           description="One call a row; the header names the columns: "
                           "identifier (required: it keys the call, so that importing again "
                           "updates), title, funder, programme, url, summary, deadlines (several "
                           "separated by ';', each 'DATE[ HH:MM][ stage N]'), opens, budget, "
                           "currency, status. A row with an error is reported with its line; "
                           "the others are saved. Exit 1 when a row failed.")  # fmt: skip
    imp.add_argument("file", metavar="FILE.csv")
    imp.add_argument("--json", action="store_true", help="one JSON object")
    imp.set_defaults(run=import_calls)


ENTERED = ("A call entered by hand is stored, tagged, searched and sent in digests like a "
           "fetched one, and its edits are recorded as typed changes. Dates without a zone are "
           "in the TIMEZONE setting; a deadline without a time is at 17:00.")  # fmt: skip


def _entry_flags(parser: argparse.ArgumentParser, *, adding: bool) -> None:
    """The fields of a call entered by hand, as flags (required ones only when adding)."""
    parser.add_argument("--title", required=adding, help="one line, at most 300 characters")
    parser.add_argument("--funder", required=adding, help="who funds it (UHR, KI…)")
    parser.add_argument("--programme", help="e.g. Erasmus+ KA131")
    parser.add_argument("--url", required=adding, help="the call's page (http:// or https://)")
    parser.add_argument("--summary", metavar="TEXT", help="plain text; blank lines part paragraphs")
    parser.add_argument("--deadline", action="append", dest="deadlines", metavar="DEADLINE",
                        help="'YYYY-MM-DD[ HH:MM][ stage N]'; repeatable"
                        + (" (replaces them all)" if not adding else ""))  # fmt: skip
    parser.add_argument("--opens", metavar="DATE", help="opening date (YYYY-MM-DD[ HH:MM])")
    parser.add_argument("--budget", metavar="AMOUNT", help="an amount, with --currency")
    parser.add_argument("--currency", metavar="CODE", help="EUR, SEK, USD…")
    parser.add_argument(
        "--status",
        metavar="STATUS",
        help="forthcoming, open or closed: only for a call without deadlines",
    )
    parser.add_argument("--json", action="store_true", help="one JSON object")


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


def _entered(args: argparse.Namespace) -> dict[str, Any]:
    """The fields given on the command line, by name."""
    from monitor.app.manual_calls import FIELDS
    from monitor.errors import ConfigError

    fields = {name: getattr(args, name) for name in FIELDS if getattr(args, name, None) is not None}
    if getattr(args, "no_deadlines", False):
        if "deadlines" in fields:
            raise ConfigError("give --deadline or --no-deadlines, not both")
        fields["deadlines"] = ""
    return fields


def add_call(args: argparse.Namespace, app: App) -> int:
    from monitor.app import manual_calls

    _print_saved(manual_calls.add(app, _entered(args)), args.json)
    return 0


def edit_call(args: argparse.Namespace, app: App) -> int:
    from monitor.app import manual_calls

    _print_saved(manual_calls.edit(app, args.id, _entered(args)), args.json)
    return 0


def _print_saved(saved: Saved, as_json: bool) -> None:
    from monitor.cli import output

    if as_json:
        output.print_json(saved.to_json())
        return
    if saved.outcome == "unchanged":
        print(f"call {saved.id} ({saved.identifier}) unchanged")
        return
    print(f"{saved.outcome} call {saved.id} ({saved.identifier}); tags: "
          f"{output.tag_line(saved.tags)}")  # fmt: skip
    for change in saved.changes:
        print(f"  {output.change_text(change.kind, change.old, change.new)}")


def import_calls(args: argparse.Namespace, app: App) -> int:
    import sys

    from monitor.app import manual_calls
    from monitor.cli import output

    done = manual_calls.import_file(app, args.file)
    counts = done.counts()
    if args.json:
        output.print_json(
            {
                **counts,
                "calls": [{"line": line, **s.to_json()} for line, s in done.saved],
                "errors": [{"line": line, "error": e} for line, e in done.failed],
            }
        )
    else:
        for line, error in done.failed:
            print(f"{args.file} line {line}: {error}", file=sys.stderr)
        print(", ".join(f"{what} {n}" for what, n in counts.items()))
    return 1 if done.failed else 0


def unlink_call(args: argparse.Namespace, app: App) -> int:
    from monitor.app import links

    done = links.split(app, args.id)
    apart = ", ".join(str(i) for i in done.apart_from)
    print(f"call {done.id} is its own call again; it will not be linked to {apart} again")
    return 0
