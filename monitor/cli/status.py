"""`status`: the scheduler's leader and jobs, and each source's health, unhealthy first."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from monitor.app.context import App


def register(commands: Any) -> None:
    status = commands.add_parser("status", help="the scheduler's leader and jobs, and the "
                                 "health of each source, unhealthy first")  # fmt: skip
    status.add_argument("--json", action="store_true")
    status.add_argument("--unhealthy", action="store_true",
                        help="only unhealthy sources; exit 1 if there are any")  # fmt: skip
    status.set_defaults(run=show_status)


def show_status(args: argparse.Namespace, app: App) -> int:
    from monitor.app.status import status
    from monitor.cli import output

    found = status(app, unhealthy_only=args.unhealthy)
    running = found.leader is not None
    if args.json:
        output.print_json({
            "leader": found.leader, "jobs": [_job_json(j, running) for j in found.jobs],
            "sources": [_health_json(s, found.runs.get(s.id or 0)) for s in found.sources],
        })  # fmt: skip
    else:
        print(f"leader: {found.leader or 'none (no `serve` process holds the leader lock)'}")
        if found.jobs:
            print(output.jobs_table(found.jobs, app.settings.zone, running=running))
        print()
        if found.sources:
            print(output.status_table(found.sources, found.runs, app.settings.zone))
        else:
            print("no unhealthy sources" if args.unhealthy else "no sources yet")
    return 1 if args.unhealthy and found.sources else 0


def _job_json(job: Any, running: bool) -> dict[str, Any]:
    return {"id": job.id, "schedule": job.trigger,
            "next_run": job.next_run_at if running else None,
            "last_started": job.last_started_at, "last_finished": job.last_finished_at,
            "outcome": job.last_outcome, "summary": job.last_summary,
            "holder": job.holder}  # fmt: skip


def _health_json(source: Any, run: Any) -> dict[str, Any]:
    counts = None
    if run is not None:
        counts = {"new": run.new, "updated": run.updated, "unchanged": run.unchanged,
                  "unseen": run.unseen, "items": run.items}  # fmt: skip
    return {
        "name": source.name, "kind": source.kind, "enabled": source.enabled,
        "healthy": source.healthy, "health_reason": source.health_reason,
        "last_run": source.last_run_at, "last_success": source.last_success_at,
        "outcome": source.last_outcome, "consecutive_failures": source.consecutive_failures,
        "error": source.last_error, "counts": counts,
        "warnings": run.warnings if run is not None else [],
    }  # fmt: skip
