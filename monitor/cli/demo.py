"""`demo`: the offline demo on bundled recorded portal data, told step by step."""

from __future__ import annotations

import argparse
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from monitor.cli import arguments

if TYPE_CHECKING:
    from monitor.app.context import App

# The recording's capture time: the demo's clock, so that calls are open as they were that day.
RECORDED_AT = datetime(2026, 6, 27, 12, 50, tzinfo=UTC)


def register(commands: Any) -> None:
    demo = commands.add_parser("demo", help="offline demo on bundled recorded portal data")
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
    demo.add_argument("--web", action="store_true",
                      help="then serve the demo's web face on 127.0.0.1 until Ctrl-C")  # fmt: skip
    demo.add_argument("--port", type=arguments.ports, default=8000,
                      help="the web face's port with --web (default 8000)")  # fmt: skip
    demo.set_defaults(run=run_demo)


def run_demo(args: argparse.Namespace, app: App) -> int:
    from monitor.app import demo
    from monitor.cli import output

    done = demo.run(app.settings, as_of=args.as_of, language=args.language,
                    out_dir=Path(args.out_dir), database_url=args.database_url)  # fmt: skip
    as_of = done.as_of
    print(f"database: {done.database} (the demo's own; --database-url to choose another)")
    print(f"clock pinned to {as_of.isoformat()} (--as-of), the day the payloads were recorded")
    print(f"replaying {done.hits} recorded EU Funding & Tenders hits (captured 2026-06-27) on "
          f"{done.base_url}")  # fmt: skip
    print(output.report_line(done.report))
    print(f"search requests served: {done.requests} (pages of 5)")
    tagged = done.tagged
    print(f"tagged {tagged.tagged} calls by priority area ({tagged.tagger}"
          + ("; the first model was trained from the shipped labels" if tagged.trained else "")
          + ")")  # fmt: skip
    by_status = Counter(c.status for c in done.calls)
    print(
        f"\nstored {len(done.calls)} distinct calls from {demo.DEMO_SOURCE}; status as of "
        f"{as_of:%Y-%m-%d}: " + ", ".join(f"{k} {v}" for k, v in sorted(by_status.items()))
    )
    print(output.calls_table(done.calls[: args.limit], app.settings.zone))
    print(f"\ndemo subscriber {done.subscriber.address} ({args.language}, weekly, tag "
          "global-actor); its digest as of the pinned clock:")  # fmt: skip
    if not done.files:
        print("  nothing due (no open call matches)")
    for what, path in done.files:
        print(f"  {path}  ({what})")
    print(f"\nnext, on the demo's database: export FUNDING_MONITOR_DATABASE_URL='{done.database}'"
          "\nthen `funding-monitor calls show ID`, `funding-monitor tags explain ID`, "
          f"`funding-monitor digest preview {demo.DEMO_SUBSCRIBER} --as-of {as_of:%Y-%m-%d} "
          "--format text`, `funding-monitor status`")  # fmt: skip
    if args.web:
        return serve_demo(app, done.database, as_of, args.port)
    return 0 if done.report.ok else 1


def serve_demo(app: App, database: str, as_of: datetime, port: int) -> int:
    """The demo's database on the web face, its clock pinned like the demo's."""
    from monitor.app.context import App
    from monitor.web.app import serve

    settings = app.settings.model_copy(update={"database_url": database})
    print(f"\nthe web face of the demo, as of {as_of:%Y-%m-%d}: open the address below")
    return serve(App(settings, clock=lambda: as_of), "127.0.0.1", port)
