"""What each command does; the CLI parses, this runs. Every function returns an exit status."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from monitor.app.jobs import fetch_sources, polite_http
from monitor.cli import digest_commands, output, service_commands, tag_commands
from monitor.config import Settings, every_text, seconds_of
from monitor.errors import ConfigError
from monitor.ingest import catalogue
from monitor.ingest.parse_pool import parse_alone
from monitor.ingest.runs import SourceReport, http_client
from monitor.store import copying
from monitor.store import sources as source_store
from monitor.store.db import Store, open_store
from monitor.store.leader import leading
from monitor.store.views import get_call, list_calls
from sources.errors import SourceError
from sources.http import build_client
from sources.records import SourceConfig
from sources.registry import KINDS, get_kind
from sources.settings import validate
from sources.values import shown_url


def dispatch(args: argparse.Namespace, settings: Settings) -> int:
    handlers: dict[str, Callable[[argparse.Namespace, Settings], int]] = {
        "init": cmd_init,
        "db": cmd_db,
        "sources": cmd_sources,
        "fetch": cmd_fetch,
        "calls": cmd_calls,
        "status": cmd_status,
        "demo": cmd_demo,
        **tag_commands.handlers(),
        **digest_commands.handlers(),
        **service_commands.handlers(),
    }
    return handlers[args.command](args, settings)


def cmd_init(args: argparse.Namespace, settings: Settings) -> int:
    store = Store(settings.database_url)
    changed = store.upgrade()
    print(
        f"database {store.safe_url}: "
        + ("created/migrated" if changed else "up to date")
        + f" (revision {store.current_revision()})"
    )
    return 0


def cmd_db(args: argparse.Namespace, settings: Settings) -> int:
    if args.db_command == "upgrade":
        return cmd_init(args, settings)
    store = Store(settings.database_url)
    if args.db_command == "backup":
        size = copying.backup_sqlite(store, Path(args.file))
        print(f"backed up {store.safe_url} to {args.file} ({size:,} bytes)")
        return 0
    if args.db_command == "copy":
        target = Store(args.to)
        with leading(store):  # nothing may write the source while it is copied
            counts = copying.copy_rows(store, target)
        print(f"copied {sum(counts.values()):,} rows from {store.safe_url} to {target.safe_url}: "
              + ", ".join(f"{name} {n:,}" for name, n in counts.items() if n))  # fmt: skip
        return 0
    print(f"current {store.current_revision() or '(empty database)'}; head {store.head_revision()}")
    return 0


def parse_sets(pairs: list[str]) -> dict[str, str]:
    """['k=v', …] → {k: v}; ConfigError for an item without '='."""
    result = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise ConfigError(f"--set {pair!r} is not KEY=VALUE")
        result[key.strip()] = value.strip()
    return result


def _check_url(url: str) -> None:
    source_store.check_url(url, "--url")


def cmd_sources(args: argparse.Namespace, settings: Settings) -> int:
    verbs: dict[str, Callable[[argparse.Namespace, Store], None]] = {
        "add": _source_add, "update": _source_update,
        "remove": _source_remove, "enable": _source_toggle, "disable": _source_toggle,
    }  # fmt: skip
    if args.sources_command == "kinds":
        _source_kinds()
    elif args.sources_command == "test":
        return _source_test(args, settings)
    elif args.sources_command == "list":
        _source_list(args, open_store(settings.database_url, create=False), settings.fetch_every)
    elif args.sources_command in ("import-catalogue", "import", "export"):
        reading = args.sources_command == "export"
        return _source_lists(args, open_store(settings.database_url, create=not reading))
    else:
        verbs[args.sources_command](args, open_store(settings.database_url))
    return 0


def _source_kinds() -> None:
    for kind in KINDS.values():
        print(f"{kind.name}: {kind.description}")
        for name, default, description in kind.setting_help():
            shown = ",".join(default) if isinstance(default, tuple) else default
            print(f"    {name} (default {shown}): {description}")


def _source_add(args: argparse.Namespace, store: Store) -> None:
    kind = get_kind(args.kind)
    given = parse_sets(args.set)
    validate(kind.name, kind.settings, given)  # fail before storing anything
    url = args.url or kind.default_url
    _check_url(url)
    every = seconds_of(args.every) if args.every else None
    source = source_store.add_source(store, args.name, kind.name, url, given, every=every)
    print(f"added source {source.name} ({source.kind}) -> {shown_url(source.url)}")


def _source_update(args: argparse.Namespace, store: Store) -> None:
    source = source_store.get_source(store, args.name)
    kind = get_kind(source.kind)
    given = {**source.settings, **parse_sets(args.set)}
    for key in args.unset:
        given.pop(key, None)
    validate(kind.name, kind.settings, given)
    url = args.url or source.url
    _check_url(url)
    every = None if args.every is None else 0 if args.every == "default" else seconds_of(args.every)
    source = source_store.update_source(store, args.name, url=url, settings=given, every=every)
    shown = every_text(source.every) if source.every else "default"
    print(f"updated source {source.name}: {shown_url(source.url)} {json.dumps(source.settings)} "
          f"every={shown}")  # fmt: skip


def _source_list(args: argparse.Namespace, store: Store, default_every: str) -> None:
    sources = source_store.list_sources(store)
    counts = source_store.call_counts(store)
    if not args.json:
        print(output.sources_table(sources, counts, default_every) if sources
              else "no sources yet")  # fmt: skip
        return
    output.print_json([
        {"name": s.name, "kind": s.kind, "url": shown_url(s.url), "enabled": s.enabled,
         "settings": s.settings, "info": s.info, "every": s.every,
         "calls": counts.get(s.id or 0, 0)}
        for s in sources
    ])  # fmt: skip


def _source_test(args: argparse.Namespace, settings: Settings) -> int:
    """Fetch and parse once, print a preview; exit 1 when the source fails. Nothing stored."""
    if args.name:
        source = source_store.get_source(open_store(settings.database_url, create=False), args.name)
        kind, url, given = get_kind(source.kind), args.url or source.url, dict(source.settings)
        given.update(parse_sets(args.set))
    elif args.kind:
        kind, given = get_kind(args.kind), parse_sets(args.set)
        url = args.url or kind.default_url
    else:
        raise ConfigError("give a source NAME, or --kind (and --url) to try a new source")
    _check_url(url)
    config = SourceConfig(args.name or "test", url, validate(kind.name, kind.settings, given))
    with build_client(user_agent=settings.user_agent, timeout=settings.http_timeout) as raw:
        http = http_client(settings, raw).with_budget(settings.fetch_budget)
        try:
            result = kind.fetch(http, config, None)
            records, warnings = parse_alone(kind.parse, result, datetime.now(UTC))
        except SourceError as exc:
            print(f"FAILED: {exc.with_source(config.name)}")
            if exc.hint:
                print(f"hint: {exc.hint}")
            return 1
    print(output.preview(records, (*result.warnings, *warnings), args.limit, settings.zone))
    return 0


def _source_lists(args: argparse.Namespace, store: Store) -> int:
    """import-catalogue, import FILE, export: a curator's list in and out."""
    if args.sources_command == "export":
        sources = source_store.list_sources(store)
        text = catalogue.write_opml(sources) if args.format == "opml" else catalogue.write_toml(
            sources)  # fmt: skip
        if args.output:
            Path(args.output).write_text(text, encoding="utf-8")
            print(f"wrote {len(sources)} sources to {args.output}")
        else:
            sys.stdout.write(text)
        return 0
    if args.sources_command == "import-catalogue":
        specs = catalogue.load_catalogue()
        if args.enable_unverified:
            specs = [replace(spec, enabled=True) for spec in specs]
    else:
        path = Path(args.file)
        if not path.is_file():
            raise ConfigError(f"{path} not found")
        content = path.read_bytes()
        if path.suffix.lower() in (".opml", ".xml") or content.lstrip()[:1] == b"<":
            specs = catalogue.read_opml(content, str(path))
        else:
            specs = catalogue.read_toml(content.decode("utf-8", errors="replace"), str(path))
    added, skipped = catalogue.import_specs(store, specs, replace=args.replace)
    disabled = [s.name for s in specs if s.name in added and not s.enabled]
    print(f"added {len(added)} sources ({len(disabled)} disabled until verified: test them with "
          "`sources test NAME`, then `sources enable NAME`)")  # fmt: skip
    for line in skipped:
        print(f"skipped {line}")
    return 0


def _source_remove(args: argparse.Namespace, store: Store) -> None:
    removed = source_store.remove_source(store, args.name)
    print(f"removed source {args.name} and its {removed} calls")


def _source_toggle(args: argparse.Namespace, store: Store) -> None:
    source_store.set_enabled(store, args.name, args.sources_command == "enable")
    print(f"{args.sources_command}d source {args.name}")


def cmd_fetch(args: argparse.Namespace, settings: Settings) -> int:
    store = open_store(settings.database_url)
    if args.source:
        sources = [source_store.get_source(store, args.source)]
    else:
        sources = source_store.list_sources(store, enabled_only=True)
    if not sources:
        print("no enabled sources; add one with `funding-monitor sources add`", file=sys.stderr)
        return 0
    with polite_http(settings) as http:
        reports = fetch_with_progress(store, sources, http, settings)
    for report in reports:
        print(output.report_line(report))
    if any(not r.ok and not r.busy for r in reports):
        return 1
    return 3 if any(r.busy for r in reports) else 0


def fetch_with_progress(
    store: Store, sources: list[Any], http: Any, settings: Settings
) -> list[SourceReport]:
    """Run the sources concurrently; a progress bar on a terminal, plain log lines otherwise."""
    if not sys.stderr.isatty():
        return fetch_sources(store, settings, sources, http)
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn

    columns = (SpinnerColumn(), TextColumn("fetching"), BarColumn(), MofNCompleteColumn(),
               TextColumn("{task.description}"))  # fmt: skip
    with Progress(*columns, console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task("", total=len(sources))
        return fetch_sources(
            store, settings, sources, http,
            on_done=lambda r: bar.update(task, advance=1, description=f"{r.source} done"),
        )  # fmt: skip


def cmd_calls(args: argparse.Namespace, settings: Settings) -> int:
    store = open_store(settings.database_url, create=False)
    now = datetime.now(UTC)
    if args.calls_command == "show":
        call = get_call(store, args.id, now=now)
        if call is None:
            raise ConfigError(
                f"no call with id {args.id}", hint="See `funding-monitor calls list`."
            )
        if args.json:
            data = call.to_json()
            data["deadline_details"] = call.deadlines
            data["changes"] = [
                {"kind": c.kind, "at": c.at.isoformat(), "old": c.old, "new": c.new}
                for c in call.changes
            ]
            output.print_json(data)
        else:
            print(output.call_detail(call, settings.zone))
        return 0
    calls = list_calls(
        store,
        now=now,
        status=args.status,
        programme=args.programme,
        deadline_before=args.deadline_before,
        search=args.search,
        source=args.source,
        tag=args.tag,
        limit=args.limit,
    )
    if args.json:
        output.print_json([c.to_json() for c in calls])
    else:
        print(output.calls_table(calls, settings.zone) if calls else "no calls match")
    return 0


def cmd_status(args: argparse.Namespace, settings: Settings) -> int:
    """The scheduler's leader and jobs, then source health, unhealthy first. With --unhealthy:
    only unhealthy sources, exit 1 if there are any."""
    store = open_store(settings.database_url, create=False)
    leader, jobs = service_commands.scheduler_status(store)
    sources = sorted(source_store.list_sources(store), key=lambda s: (s.healthy, s.name))
    if args.unhealthy:
        sources = [s for s in sources if not s.healthy]
    runs = source_store.last_runs(store)
    if args.json:
        output.print_json({
            "leader": leader, "jobs": [_job_json(j, leader is not None) for j in jobs],
            "sources": [_health_json(s, runs.get(s.id or 0)) for s in sources],
        })  # fmt: skip
    else:
        print(f"leader: {leader or 'none (no `serve` process holds the leader lock)'}")
        if jobs:
            print(output.jobs_table(jobs, settings.zone, running=leader is not None))
        print()
        if sources:
            print(output.status_table(sources, runs, settings.zone))
        else:
            print("no unhealthy sources" if args.unhealthy else "no sources yet")
    return 1 if args.unhealthy and sources else 0


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


def cmd_demo(args: argparse.Namespace, settings: Settings) -> int:
    from monitor.demo import run_demo

    return run_demo(settings, limit=args.limit, as_of=args.as_of, language=args.language,
                    out_dir=Path(args.out_dir), database_url=args.database_url)  # fmt: skip
