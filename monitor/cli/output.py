"""Plain-text rendering for the terminal (pure). Text from sources is already free of control
characters (sources.text.clean_line), so it cannot move the cursor or recolour the screen."""

from __future__ import annotations

import json
import math
import os
import shutil
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, tzinfo
from typing import TYPE_CHECKING, Any

from monitor.config import every_text
from monitor.redaction import redact
from sources.deadlines import TWO_STAGE
from sources.records import CallRecord
from sources.registry import BUILT_IN
from sources.text import clean_line
from sources.values import shown_url

if TYPE_CHECKING:  # the application's values, as the use cases return them
    from classifiers.evaluation import Evaluation
    from monitor.ingest.runs import SourceReport
    from monitor.store.tables import FetchRun, JobState, Source
    from monitor.store.views import CallView


@contextmanager
def progress(what: str, total: int | None) -> Iterator[Callable[[str], None] | None]:
    """On a terminal, a progress display on stderr (a bar when ``total`` is known, else a
    spinner) and a function that advances it by one with a note; elsewhere None, and the
    work's log lines tell its progress instead."""
    if not sys.stderr.isatty():
        yield None
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn

    columns: list[Any] = [SpinnerColumn(), TextColumn(what)]
    if total is not None:
        columns += [BarColumn(), MofNCompleteColumn()]
    with Progress(*columns, TextColumn("{task.description}"), console=Console(stderr=True),
                  transient=True) as bar:  # fmt: skip
        task = bar.add_task("", total=total)
        yield lambda note: bar.update(task, advance=1, description=note)


@contextmanager
def stages(what: str) -> Iterator[Callable[[str, int, int], None] | None]:
    """On a terminal, one progress bar per stage of long work (``train``, ``cross-validate``)
    and the ``on_progress(stage, done, total)`` that moves them; elsewhere None."""
    if not sys.stderr.isatty():
        yield None
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn

    columns = (SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn())
    with Progress(*columns, console=Console(stderr=True), transient=True) as bar:
        tasks: dict[str, Any] = {}

        def tell(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = bar.add_task(f"{what}: {stage}", total=total)
            bar.update(tasks[stage], completed=done, total=total)

        yield tell


def table(
    headers: Sequence[str],
    rows: Sequence[Sequence[Any]],
    widths: dict[int, int] | None = None,
    *,
    fit: int | None = None,
    squeeze: Sequence[int] = (),
    drop: Sequence[int] = (),
) -> str:
    """Left-aligned columns; a column in ``widths`` is cut to that many characters. Every cell
    is one clean line (a value stored before names were checked cannot forge a row).

    With ``fit`` (a terminal's width), a table wider than that is narrowed: the ``squeeze``
    columns are cut, in turn, down to 12 characters (… marks a cut), then the ``drop`` columns
    go, in turn; the others (identifiers) are never cut."""
    cells = [
        [_cut(clean_line(str(v if v is not None else "")), (widths or {}).get(i))
         for i, v in enumerate(r)]
        for r in rows
    ]  # fmt: skip
    headers = list(headers)
    sizes = [max([len(h), *(len(r[i]) for r in cells)]) for i, h in enumerate(headers)]
    keep = list(range(len(headers)))
    if fit is not None:
        keep, sizes = _fitted(sizes, fit, squeeze, drop)
        cells = [[_cut(cell, sizes[i]) for i, cell in enumerate(r)] for r in cells]
        headers = [_cut(h, sizes[i]) for i, h in enumerate(headers)]
    lines = ["  ".join(headers[i].ljust(sizes[i]) for i in keep).rstrip()]
    lines += ["  ".join(r[i].ljust(sizes[i]) for i in keep).rstrip() for r in cells]
    return "\n".join(lines)


def _fitted(
    natural: list[int], fit: int, squeeze: Sequence[int], drop: Sequence[int]
) -> tuple[list[int], list[int]]:
    """The columns that stay and their widths, for a table to fit ``fit`` characters: each
    ``squeeze`` column cut in turn (to 12 at least); if that is not enough, the ``drop``
    columns leave one by one, and the others are squeezed again from their natural widths."""
    for dropped in range(len(drop) + 1):
        keep = [i for i in range(len(natural)) if i not in drop[:dropped]]
        sizes = list(natural)
        for column in squeeze:
            over = sum(sizes[i] for i in keep) + 2 * (len(keep) - 1) - fit
            if over > 0 and column in keep:
                sizes[column] = max(12, sizes[column] - over)
        if sum(sizes[i] for i in keep) + 2 * (len(keep) - 1) <= fit:
            break
    return keep, sizes


def terminal_width() -> int | None:
    """The width to fit tables to: the terminal's (or ``COLUMNS``); None when the output goes
    to a file or a pipe, which gets whole lines."""
    if not sys.stdout.isatty() and "COLUMNS" not in os.environ:
        return None
    return shutil.get_terminal_size((80, 24)).columns


def _cut(text: str, width: int | None) -> str:
    return text if width is None or len(text) <= width else text[: width - 1] + "…"


def day(value: datetime | None, tz: tzinfo = UTC) -> str:
    return value.astimezone(tz).strftime("%Y-%m-%d") if value else "-"


def stamp(value: datetime | None, tz: tzinfo = UTC) -> str:
    return value.astimezone(tz).strftime("%Y-%m-%d %H:%M %Z").strip() if value else "never"


def money(amount: float | None, currency: str | None) -> str:
    """'5,000,000 EUR'; '-' for none (or for a NaN or infinity stored by an older version)."""
    if amount is None or not math.isfinite(amount):
        return "-"
    return f"{amount:,.0f} {currency or ''}".strip()


def calls_table(calls: Sequence[CallView], tz: tzinfo = UTC) -> str:
    # On a terminal: tags, titles and programmes are cut, then tags, programme and status (the
    # deadline says "(passed)") go; identifiers stay whole. If that is still too wide, a
    # two-stage call past its first stage says "(passed)" too: it is, for a new applicant.
    fit = terminal_width()
    for short in (False, True):
        rows = [(c.id, c.status, deadline(c, tz, short=short), c.programme, c.identifier,
                 c.title, ", ".join(c.tags)) for c in calls]  # fmt: skip
        text = table(
            ["ID", "STATUS", "DEADLINE", "PROGRAMME", "IDENTIFIER", "TITLE", "TAGS"],
            rows,
            {3: 18, 4: 40, 5: 60, 6: 60},
            fit=fit, squeeze=(6, 5, 3), drop=(6, 3, 1),
        )  # fmt: skip
        if fit is None or max(map(len, text.splitlines())) <= fit:
            break
    return text


def deadline(call: CallView, tz: tzinfo = UTC, *, short: bool = False) -> str:
    """The next deadline's date, else the one that closed it marked as passed (a two-stage
    call's first stage, "stage 1 passed" unless ``short``: its later stages are only for those
    who passed it), else '-'."""
    if call.next_deadline:
        return day(call.next_deadline, tz)
    if call.deadlines and call.deadline_model == TWO_STAGE:
        first = min(datetime.fromisoformat(d["at"]) for d in call.deadlines)
        return day(first, tz) + (" (passed)" if short else " (stage 1 passed)")
    if call.deadlines:
        return day(datetime.fromisoformat(call.deadlines[-1]["at"]), tz) + " (passed)"
    return "-"


def call_detail(call: CallView, tz: tzinfo = UTC) -> str:
    lines = [
        f"{call.title}",
        f"  id            {call.id} (source {call.source}, external id {call.external_id})",
        f"  identifier    {call.identifier}",
        f"  call          {call.call_identifier} {call.call_title}".rstrip(),
        f"  programme     {call.programme}",
        f"  funder        {call.funder}",
        f"  status        {call.status} (source says {call.source_status or '-'})",
        f"  flags         {', '.join(call.flags) or '-'}",
        f"  opens         {stamp(call.opens, tz)}",
        f"  budget        {money(call.budget, call.currency)}",
        f"  action types  {', '.join(call.action_types) or '-'}",
        f"  tags          {tag_line(call.tags)}",
        f"  keywords      {', '.join(call.keywords) or '-'}",
        f"  url           {call.url}",
        *(
            f"  also listed   by {link['source']} (call {link['id']}): {link['url']}"
            for link in call.also_listed
        ),
        f"  first seen    {stamp(call.first_seen, tz)}",
        f"  last seen     {stamp(call.last_seen, tz)}"
        + (
            f" (missing from listings since {stamp(call.unseen_since, tz)})"
            if call.unseen_since
            else " (present in the latest listing)"
        ),
        "  deadlines:",
    ]
    if not call.deadlines:
        lines.append("    none given")
    for d in call.deadlines:
        mark = " (a date only: 17:00 by convention)" if d["date_only"] else ""
        local = stamp(datetime.fromisoformat(d["at"]), tz)
        upcoming = " <- next" if call.next_deadline and d["at"] == _match(call, d) else ""
        lines.append(f"    {local}  [{d['at']}]{mark}{upcoming}")
    lines.append("  history:")
    for c in call.changes:
        lines.append(f"    {stamp(c.at, tz)}  {change_text(c.kind, c.old, c.new)}")
    if call.summary:
        lines += ["", call.summary]
    return "\n".join(lines)


def _match(call: CallView, deadline: dict[str, Any]) -> str | None:
    if call.next_deadline is None:
        return None
    at = datetime.fromisoformat(deadline["at"])
    return deadline["at"] if at == call.next_deadline else None


def change_text(kind: str, old: Any, new: Any) -> str:
    """A typed change on one line: ``deadline_changed: [old] -> [new]``."""
    return kind if kind == "new" else f"{kind}: {_short(old)} -> {_short(new)}"


def _short(value: Any) -> str:
    text = (
        json.dumps(value, ensure_ascii=False, default=str) if not isinstance(value, str) else value
    )
    return text if len(text) <= 200 else text[:199] + "…"


def sources_table(sources: Sequence[Source], counts: dict[int, int], default_every: str) -> str:
    rows = [
        (s.name, s.kind, "yes" if s.enabled else "no", _verified(s.info),
         "never (by hand)" if s.kind in BUILT_IN else every_text(s.every) if s.every
         else f"{default_every} (default)",
         counts.get(s.id or 0, 0), shown_url(s.url))
        for s in sources
    ]  # fmt: skip
    return table(["NAME", "KIND", "ENABLED", "VERIFIED", "EVERY", "CALLS", "URL"], rows)


def _verified(info: dict[str, Any]) -> str:
    if "verified" not in info:
        return "-"
    return "yes" if info["verified"] else "no"


def status_table(sources: Sequence[Source], runs: dict[int, FetchRun], tz: tzinfo = UTC) -> str:
    rows = []
    for s in sources:
        run = runs.get(s.id or 0)
        counts = (
            f"{run.items}: {run.new}/{run.updated}/{run.unchanged}/{run.unseen}" if run else "-"
        )
        health = "ok" if s.healthy else "UNHEALTHY"
        rows.append((s.name, health, "yes" if s.enabled else "no", stamp(s.last_run_at, tz),
                     s.last_outcome or "never run", counts, s.consecutive_failures,
                     stamp(s.last_success_at, tz)))  # fmt: skip
    headers = ["SOURCE", "HEALTH", "ENABLED", "LAST RUN", "OUTCOME", "ITEMS: NEW/UPD/SAME/UNSEEN",
               "FAILURES", "LAST SUCCESS"]  # fmt: skip
    notes = [f"{clean_line(s.name)}: UNHEALTHY: {clean_line(s.health_reason)}" for s in sources
             if not s.healthy and s.health_reason]  # fmt: skip
    notes += [f"{clean_line(s.name)}: {clean_line(s.last_error)}" for s in sources
              if s.last_error]  # fmt: skip
    notes += [f"{clean_line(s.name)}: warning: {clean_line(w)}" for s in sources
              if (r := runs.get(s.id or 0))
              for w in r.warnings]  # fmt: skip
    return "\n".join([table(headers, rows), *(["", *notes] if notes else [])])


def preview(records: Sequence[CallRecord], warnings: Sequence[str], limit: int,
            tz: tzinfo = UTC) -> str:  # fmt: skip
    """What a source would store: counts, which fields it fills, the first items, warnings."""
    total = len(records) or 1
    filled = {
        "deadlines": sum(bool(r.deadlines) for r in records),
        "opening date": sum(r.opens is not None for r in records),
        "description": sum(bool(r.description) for r in records),
        "budget": sum(r.budget is not None for r in records),
        "keywords": sum(bool(r.keywords) for r in records),
    }
    statuses = ", ".join(f"{s} {sum(r.status == s for r in records)}"
                         for s in ("open", "forthcoming", "closed"))  # fmt: skip
    lines = [f"{len(records)} calls would be stored ({statuses})",
             "fields filled: " + ", ".join(f"{k} {v}/{len(records)} ({v * 100 // total}%)"
                                           for k, v in filled.items())]  # fmt: skip
    rows = [(r.status, day(r.deadlines[-1].at, tz) if r.deadlines else "-", r.identifier,
             r.title, r.url) for r in records[:limit]]  # fmt: skip
    if rows:
        lines += ["", table(["STATUS", "LAST DEADLINE", "ID", "TITLE", "URL"], rows,
                            {2: 40, 3: 60, 4: 70})]  # fmt: skip
    lines += [f"warning: {clean_line(w)}" for w in warnings]
    return "\n".join(lines)


def tag_line(tags: dict[str, float]) -> str:
    return (
        ", ".join(f"{t} ({s:.2f})" for t, s in tags.items()) or "- (run `funding-monitor classify`)"
    )


def report_line(report: SourceReport) -> str:
    """One source's outcome as `fetch` prints it, every secret blanked."""
    return redact(_report_line(report))


def _report_line(report: SourceReport) -> str:
    c = report.counts
    if report.ok:
        line = (
            f"{report.source}: ok new={c.new} updated={c.updated} unchanged={c.unchanged} "
            f"unseen={c.unseen} errors=0 ({report.seconds:.1f}s)"
        )
        return line + "".join(f"\n  warning: {w}" for w in report.warnings)
    if report.busy:
        return f"{report.source}: BUSY: {report.error}" + (
            f"\n  hint: {report.hint}" if report.hint else "")  # fmt: skip
    line = f"{report.source}: FAILED errors=1: {report.error}"
    return line + (f"\n  hint: {report.hint}" if report.hint else "")


def error_text(exc: BaseException) -> str:
    """An error as a command prints it, ``error: …`` then its ``hint: …``, with every secret
    blanked (an error may quote what a server echoed, a token included)."""
    hint = getattr(exc, "hint", None)
    return redact(f"error: {exc}" + (f"\nhint: {hint}" if hint else ""))


def print_json(value: Any) -> None:
    """One JSON document on stdout (non-ASCII kept, datetimes as strings). Always JSON: a NaN
    or infinity (which JSON lacks; an older version may have stored one) is null."""
    json.dump(_finite(value), sys.stdout, ensure_ascii=False, indent=2, default=str,
              allow_nan=False)  # fmt: skip
    sys.stdout.write("\n")


def _finite(value: Any) -> Any:
    """``value`` with every float that is not finite replaced by None, at any depth."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {key: _finite(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(item) for item in value]
    return value


def jobs_table(jobs: Sequence[JobState], tz: tzinfo = UTC, *, running: bool = True) -> str:
    """The scheduled jobs: trigger, next run (only while a leader runs), last outcome."""
    rows = [(j.id, j.trigger, stamp(j.next_run_at, tz) if running else "(no leader)",
             j.last_outcome or "never run", stamp(j.last_finished_at, tz), j.last_summary or "")
            for j in jobs]  # fmt: skip
    headers = ("job", "schedule", "next run", "last outcome", "finished", "summary")
    return table(headers, rows, widths={5: 70})


def evaluation_table(evaluation: Evaluation) -> str:
    methods = list(evaluation.counts)
    head = f"{'tag':<24} {'n':>4}  " + "  ".join(f"{m:^17}" for m in methods)
    sub = f"{'':<24} {'':>4}  " + "  ".join(f"{'P':>5} {'R':>5} {'F1':>5}" for _ in methods)
    lines = [f"{evaluation.calls} labelled calls, {evaluation.folds}-fold cross-validation",
             head, sub]  # fmt: skip
    for tag, n in evaluation.support.items():
        cells = "  ".join(
            f"{c.precision:5.2f} {c.recall:5.2f} {c.f1:5.2f}"
            for c in (evaluation.counts[m][tag] for m in methods)
        )
        lines.append(f"{tag:<24} {n:>4}  {cells}")
    macro = "  ".join(f"{evaluation.macro_f1(m):>17.3f}" for m in methods)
    lines.append(f"{'macro F1':<24} {'':>4}  {macro}")
    return "\n".join(lines)


def deployed_table(evaluation: Evaluation) -> str:
    """Per tag, the deployed method's figures with 95% bootstrap intervals, then what a wrong
    tag was mistaken for: the tags of the calls it was given to wrongly, and the tags given
    instead on the calls that missed it."""
    nested = "per-tag" in evaluation.counts
    lines = [("as deployed (the per-tag choice made inside each fold)" if nested else
              "as deployed (the per-tag choice; --nested measures it out of sample)")
             + ", with 95% bootstrap intervals:",
             f"{'tag':<24} {'method':<8} {'precision':<17} {'recall':<17} {'F1':<17}"]  # fmt: skip
    confusions = []
    for tag, n in evaluation.support.items():
        if not n:
            continue
        figures = evaluation.deployed_figures(tag)
        interval: dict[str, list[float]] = figures["interval"]  # type: ignore[assignment]
        cells = " ".join(
            f"{figures[k]:.2f} [{interval[k][0]:.2f}–{interval[k][1]:.2f}]".ljust(17)
            for k in ("precision", "recall", "f1")
        )
        how = str(figures["method"]) if not nested else evaluation.choose()[tag]
        lines.append(f"{tag:<24} {how:<8} {cells}".rstrip())
        wrong: list[tuple[str, int]] = figures["given_to"]  # type: ignore[assignment]
        missed: list[tuple[str, int]] = figures["missed_on"]  # type: ignore[assignment]
        parts = ([f"given wrongly to calls with {_counted(wrong)}"] if wrong else []) + (
            [f"missed on calls given {_counted(missed)}"] if missed else [])  # fmt: skip
        if parts:
            confusions.append(f"  {tag}: " + "; ".join(parts))
    if confusions:
        lines += ["", "confusion per tag (which tags a wrong one is mistaken for):", *confusions]
    return "\n".join(lines)


def _counted(pairs: list[tuple[str, int]]) -> str:
    return ", ".join(f"{tag} ({n})" for tag, n in pairs)
