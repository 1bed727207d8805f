"""The curators' calls entered by hand (``/staff/calls``): the list (each linked to its public
page), a form to enter one (deadlines in rows, each with its stage), a form to edit one with
its change timeline, and a CSV upload with its report — all on ``monitor.app.manual_calls``,
the use cases of `calls add|edit|import`. An unusable value is shown next to its field and in
the summary at the top, and nothing is saved."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, HTTPException, Request, UploadFile
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from monitor.app import calls, manual_calls
from monitor.errors import ConfigError
from monitor.web import csrf
from monitor.web.app import app_of, language_of, render
from monitor.web.present import Present
from monitor.web.staff import access

router = APIRouter(prefix="/staff/calls", include_in_schema=False)
TEXT_FIELDS = ("identifier", "title", "funder", "programme", "url", "summary", "opens",
               "budget", "currency", "status")  # fmt: skip
MAX_ROWS = 20  # deadline rows on the form (the use case takes at most as many)
STAGES = ("1", "2", "3")
MAX_ID = 2**31 - 1


def _field_of(message: str) -> str:
    """The form field an error of the use case names ("deadline '…' is not usable: …" →
    deadlines), or "" for one about no single field."""
    if message.startswith("a call entered by hand already has the identifier"):
        return "identifier"
    first = message.split(" ", 1)[0]
    first = "deadlines" if first == "deadline" else first
    return first if first in manual_calls.FIELDS else ""


def _rows(form: Any) -> list[dict[str, str]]:
    """The deadline rows as posted (date, time, stage), at most MAX_ROWS."""
    columns = [form.getlist(f"deadline_{part}") for part in ("date", "time", "stage")]
    count = min(max(map(len, columns)), MAX_ROWS)
    padded = [[str(v)[:20] for v in c] + [""] * (count - len(c)) for c in columns]
    return [{"date": d.strip(), "time": t.strip(), "stage": s if s in STAGES else ""}
            for d, t, s in zip(*padded, strict=True)]  # fmt: skip


def _deadline(row: dict[str, str]) -> str:
    """A row as the use case reads a deadline: ``DATE[ HH:MM][ stage N]``."""
    return " ".join(p for p in (row["date"], row["time"], row["stage"] and
                                f"stage {row['stage']}") if p)  # fmt: skip


def _values(form: Any) -> dict[str, str]:
    return {name: str(form.get(name, ""))[:20_000] for name in TEXT_FIELDS}


def _fields(values: dict[str, str], rows: list[dict[str, str]], *,
            new: bool) -> dict[str, Any]:  # fmt: skip
    """What the use case is given: every field of the form (an empty one clears it; a new call
    without an identifier gets ``manual-N``), deadlines from the rows that hold something."""
    fields: dict[str, Any] = {k: v for k, v in values.items() if k != "identifier"}
    if new and values["identifier"].strip():
        fields["identifier"] = values["identifier"]
    fields["deadlines"] = [text for row in rows if (text := _deadline(row))]
    return fields


def _form(request: Request, user: Any, *, call: Any = None, values: dict[str, str],
          rows: list[dict[str, str]], problem: str = "", status: int = 200,
          done: str = "") -> Response:  # fmt: skip
    """The entry form (``call``: the call being edited, with its timeline)."""
    wanted = max(len(rows) + (0 if problem else 1), 2)
    rows = rows + [{"date": "", "time": "", "stage": ""}] * (min(wanted, MAX_ROWS) - len(rows))
    changes = []
    if call is not None:
        present = Present(language_of(request), app_of(request).settings.timezone,
                          app_of(request).now())  # fmt: skip
        changes = [{"at": c.at, "text": present.change(c.kind, c.old, c.new)}
                   for c in reversed(call.changes)]  # fmt: skip
    return render(request, "staff/manual_form.html", {
        "user": user, "call": call, "values": values, "rows": rows, "stages": STAGES,
        "problem": problem, "field": _field_of(problem) if problem else "", "done": done,
        "changes": changes, "statuses": ("forthcoming", "open", "closed"),
        "more": len(rows) < MAX_ROWS, "zone": app_of(request).settings.timezone,
    }, status=status)  # fmt: skip


@router.get("")
async def calls_page(request: Request, user: access.Curator) -> Response:
    app = app_of(request)
    found = await run_in_threadpool(manual_calls.entered, app)
    present = Present(language_of(request), app.settings.timezone, app.now())
    return render(request, "staff/manual.html", {
        "user": user, "calls": found, "status_label": present.status, "left": present.left,
    })  # fmt: skip


@router.get("/new")
async def new_page(request: Request, user: access.Curator) -> Response:
    return _form(request, user, values=dict.fromkeys(TEXT_FIELDS, ""), rows=[])


@router.post("/new", dependencies=[Depends(csrf.check)])
async def add(request: Request, user: access.Curator) -> Response:
    """``do=more``: the form again with one more deadline row, nothing saved; else enter it."""
    form = await request.form()
    rows, app = _rows(form), app_of(request)
    values = _values(form)
    if form.get("do") == "more":
        return _form(request, user, values=values, rows=rows)
    try:
        saved = await run_in_threadpool(manual_calls.add, app, _fields(values, rows, new=True))
    except ConfigError as exc:
        return _form(request, user, values=values, rows=rows, problem=str(exc), status=400)
    return RedirectResponse(f"/staff/calls/{saved.id}?done=added", status_code=303)


async def _entered(request: Request, number: int) -> Any:
    """The call entered by hand with this number (a CallView with its changes); 404 for any
    other (a fetched call belongs to its source)."""
    if not 0 < number <= MAX_ID:
        raise HTTPException(404)
    app = app_of(request)
    try:
        call = await run_in_threadpool(lambda: calls.show(app, number, now=app.now()))
    except ConfigError:
        raise HTTPException(404) from None
    if call.source != manual_calls.SOURCE_NAME:
        raise HTTPException(404)
    return call


def _stored(call: Any, zone: Any) -> tuple[dict[str, str], list[dict[str, str]]]:
    """A stored call's values as the form shows them: times in TIMEZONE, a date-only
    deadline without its 17:00, stages numbered in date order for a two-stage call."""

    def local(at: datetime, with_time: bool) -> tuple[str, str]:
        moment = at.astimezone(zone)
        return moment.date().isoformat(), moment.strftime("%H:%M") if with_time else ""

    two_stage = call.deadline_model is not None and len(call.deadlines) > 1
    rows = []
    for n, d in enumerate(call.deadlines, start=1):
        day, clock = local(datetime.fromisoformat(d["at"]), not d["date_only"])
        rows.append({"date": day, "time": clock, "stage": str(n) if two_stage else ""})
    opens = ""
    if call.opens is not None:
        day, clock = local(call.opens, True)
        opens = day if clock == "00:00" else f"{day} {clock}"
    budget = "" if call.budget is None else f"{call.budget:.2f}".removesuffix(".00")
    return {"identifier": call.identifier, "title": call.title, "funder": call.funder,
            "programme": call.programme, "url": call.url, "summary": call.summary,
            "opens": opens, "budget": budget, "currency": call.currency or "",
            "status": "" if call.deadlines else call.source_status or ""}, rows  # fmt: skip


@router.get("/import")
async def import_page(request: Request, user: access.Curator) -> Response:
    return render(request, "staff/manual_import.html", {"user": user, "report": None,
                                                         "problem": "", "columns":
                                                         manual_calls.FIELDS})  # fmt: skip


@router.post("/import", dependencies=[Depends(csrf.check)])
async def import_csv(request: Request, user: access.Curator,
                     file: Annotated[UploadFile | None, File()] = None) -> Response:  # fmt: skip
    content = await file.read(manual_calls.MAX_FILE + 1) if file else b""
    name = ((file.filename if file else "") or "the CSV")[:200]
    context: dict[str, Any] = {"user": user, "report": None, "problem": "", "name": name,
                               "columns": manual_calls.FIELDS}  # fmt: skip
    try:
        if len(content) > manual_calls.MAX_FILE:
            raise ConfigError(f"{name} is larger than {manual_calls.MAX_FILE:,} bytes; split it")
        report = await run_in_threadpool(manual_calls.import_csv, app_of(request), content, name)
    except ConfigError as exc:
        return render(request, "staff/manual_import.html", {**context, "problem": str(exc)},
                      status=400)  # fmt: skip
    return render(request, "staff/manual_import.html", {**context, "report": report,
                                                         "counts": report.counts()})  # fmt: skip


@router.get("/{number}")
async def call_page(request: Request, user: access.Curator, number: int) -> Response:
    call = await _entered(request, number)
    values, rows = _stored(call, app_of(request).settings.zone)
    done = request.query_params.get("done", "")
    return _form(request, user, call=call, values=values, rows=rows,
                 done=done if done in ("added", "updated", "unchanged") else "")  # fmt: skip


@router.post("/{number}", dependencies=[Depends(csrf.check)])
async def edit(request: Request, user: access.Curator, number: int) -> Response:
    call = await _entered(request, number)
    form = await request.form()
    rows, app = _rows(form), app_of(request)
    values = {**_values(form), "identifier": call.identifier}
    if form.get("do") == "more":
        return _form(request, user, call=call, values=values, rows=rows)
    try:
        saved = await run_in_threadpool(manual_calls.edit, app, number,
                                        _fields(values, rows, new=False))  # fmt: skip
    except ConfigError as exc:
        return _form(request, user, call=call, values=values, rows=rows, problem=str(exc),
                     status=400)  # fmt: skip
    return RedirectResponse(f"/staff/calls/{number}?done={saved.outcome}", status_code=303)
