"""`fetch`: fetch and store the enabled sources (or one), a progress bar on a terminal."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from monitor.app.context import App


def register(commands: Any) -> None:
    fetch = commands.add_parser("fetch", help="fetch calls from enabled sources")
    fetch.add_argument("--source", metavar="NAME", help="only this source (even if disabled)")
    fetch.set_defaults(run=fetch_sources)


def fetch_sources(args: argparse.Namespace, app: App) -> int:
    """Exit 0 when every source went well, 1 when one failed, 3 when one was busy (another
    process was running it), 130 when stopped by Ctrl-C or SIGTERM (what was under way is
    stored; a second signal quits at once)."""
    from monitor.app import fetching
    from monitor.cli import output
    from monitor.cli.service import stopping_on_signals

    sources = fetching.due(app, args.source)
    if not sources:
        print("no enabled sources; add one with `funding-monitor sources add`", file=sys.stderr)
        return 0
    told = ("stopping: the sources under way finish and are stored, the others are left "
            "for the next fetch (Ctrl-C again quits at once)")  # fmt: skip
    with stopping_on_signals(told) as stop, output.progress("fetching", len(sources)) as advance:
        on_done = (lambda r: advance(f"{r.source} done")) if advance else None
        reports = fetching.fetch(app, sources, on_done=on_done, stop=stop)
    for report in reports:
        print(output.report_line(report))
    if stop.is_set():
        left = len(sources) - len(reports)
        print(f"interrupted: {len(reports)} of {len(sources)} sources fetched and stored; "
              f"{left} left out, their runs cancelled", file=sys.stderr)  # fmt: skip
        return 130
    if any(not r.ok and not r.busy for r in reports):
        return 1
    return 3 if any(r.busy for r in reports) else 0
