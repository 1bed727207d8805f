"""The curators' source pages: the health dashboard (``/staff/sources``: unhealthy first, sorted
and filtered by links and a GET form that keep it all in the URL), adding a source with a
preview of what its first fetch finds before anything is saved (``/staff/sources/new``), and
one source (``/staff/sources/NAME``): its settings (edited as ``sources add`` validates them),
run history, recent calls and health events; enabling and disabling it, running it now (in a
thread of this process, under its lock: the page polls a fragment, ``…/run``, every second
with htmx while it runs), and removing it after a page that says what goes and what stays."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from monitor.app import source_runs, source_views, sources
from monitor.errors import ConfigError
from monitor.web import csrf
from monitor.web.app import app_of, render
from monitor.web.staff import access
from sources.errors import SourceError

router = APIRouter(prefix="/staff/sources", include_in_schema=False)
COLUMNS = ("name", "health", "last_run", "failures")  # the sortable ones
DONE = ("added", "saved", "enabled", "disabled", "started")
MAX_VALUE = 2000  # characters of one posted value


def _problem(exc: Exception) -> str:
    return sources.masked(str(exc))[:600]


@router.get("")
async def dashboard(request: Request, user: access.Curator, kind: str = "", health: str = "",
                    sort: str = "health", order: str = "", page: int = 1) -> Response:  # fmt: skip
    kind, health = kind[:50], health if health in source_views.HEALTH else ""
    sort = sort if sort in source_views.SORTS else "health"
    order = order if order in ("asc", "desc") else source_views.FIRST_ORDER[sort]
    found = await run_in_threadpool(lambda: source_views.dashboard(
        app_of(request), kind=kind, health=health, sort=sort, order=order,
        page=min(max(page, 1), 10_000)))  # fmt: skip
    kept = [(k, v) for k, v in (("kind", kind), ("health", health)) if v]

    def link(column: str) -> str:
        flipped = "desc" if order == "asc" else "asc"
        wanted = flipped if column == sort else source_views.FIRST_ORDER[column]
        return "/staff/sources?" + urlencode([*kept, ("sort", column), ("order", wanted)])

    return render(request, "staff/sources.html", {
        "user": user, "found": found, "kind": kind, "health": health, "sort": sort,
        "order": order, "links": {c: link(c) for c in COLUMNS}, "filtered": bool(kept),
        "query": urlencode([*kept, ("sort", sort), ("order", order)]),
        "removed": request.query_params.get("removed", "")[:60],
    })  # fmt: skip


def _kind(name: str) -> Any:
    return next((k for k in sources.kinds() if k.name == name), None)


async def _new_page(request: Request, user: Any, *, kind: Any = None,
                    form: dict[str, Any] | None = None, preview: sources.Preview | None = None,
                    problem: str = "", stale: bool = False,
                    status: int = 200) -> Response:  # fmt: skip
    from sources.registry import addable

    choices = [k for k in sources.kinds() if k.name in addable()]
    return render(request, "staff/source_new.html", {
        "user": user, "kinds": choices, "kind": kind, "preview": preview, "problem": problem,
        "stale": stale, "form": form or {"name": "", "url": kind.default_url if kind else "",
                                         "every": "", "settings": {}},
        "settings": source_views.settings_of(kind.name) if kind else [],
        "default_every": app_of(request).settings.fetch_every,
    }, status=status)  # fmt: skip


@router.get("/new")
async def new_page(request: Request, user: access.Curator, kind: str = "") -> Response:
    chosen = _kind(kind[:50]) if kind else None
    if kind and chosen is None:
        return await _new_page(request, user, problem=_problem(ConfigError(
            f"there is no source kind {kind[:50]!r}")), status=400)  # fmt: skip
    return await _new_page(request, user, kind=chosen)


async def _posted(request: Request, kind: Any) -> dict[str, Any]:
    """The add or edit form as posted: name, url, every and the kind's settings (``s_NAME``)."""
    form = await request.form()
    value = lambda key: str(form.get(key, ""))[:MAX_VALUE].strip()  # noqa: E731
    return {"name": value("name"), "url": value("url"), "every": value("every")[:40],
            "settings": {s.name: value(f"s_{s.name}") for s in kind.settings}}  # fmt: skip


@router.post("/new", dependencies=[Depends(csrf.check)])
async def create(request: Request, user: access.Curator, kind: str = Form(""),
                 do: str = Form("preview"), previewed: str = Form("")) -> Response:  # fmt: skip
    """``do=preview``: fetch once and show what it finds, nothing saved; ``do=save``: add it,
    when the values are those previewed (else their preview again)."""
    chosen = _kind(kind[:50])
    if chosen is None:
        return await _new_page(request, user, problem=_problem(ConfigError(
            f"choose a kind of source first (not {kind[:50]!r})")), status=400)  # fmt: skip
    app, form = app_of(request), await _posted(request, chosen)
    given = sources.declared(chosen.name, form["settings"])
    key = sources.preview_key(form["name"], chosen.name, form["url"] or chosen.default_url,
                              given, form["every"])  # fmt: skip
    try:
        if do == "save" and previewed == key:
            await run_in_threadpool(lambda: sources.add(
                app, form["name"], chosen.name, url=form["url"] or None, settings=given,
                every=form["every"] or None))  # fmt: skip
            return RedirectResponse(f"/staff/sources/{quote(form['name'])}?done=added",
                                    status_code=303)  # fmt: skip
        found = await run_in_threadpool(lambda: sources.preview(
            app, form["name"], chosen.name, url=form["url"], settings=given,
            every=form["every"]))  # fmt: skip
    except (ConfigError, SourceError) as exc:
        return await _new_page(request, user, kind=chosen, form=form, problem=_problem(exc),
                               status=400)  # fmt: skip
    stale = do == "save"  # the values changed since their preview
    return await _new_page(request, user, kind=chosen, form=form, preview=found, stale=stale,
                           status=409 if stale else 200)  # fmt: skip


async def _source_page(request: Request, user: Any, name: str, *,
                       form: dict[str, Any] | None = None, problem: str = "", said: str = "",
                       holder: str = "",
                       status: int = 200) -> Response:  # fmt: skip
    app = app_of(request)
    found = await run_in_threadpool(source_views.page, app, name[:60])
    if found is None:
        raise HTTPException(404)
    done = request.query_params.get("done", "")
    return render(request, "staff/source.html", {
        "user": user, "page": found, "source": found.health, "problem": problem, "said": said,
        "holder": holder,
        "done": done if done in DONE and not (problem or said) else "",
        "progress": source_runs.progress(app, found.health.name),
        "form": form or {"url": found.url, "every": found.every,
                         "settings": {s.name: s.value for s in found.settings}},
    }, status=status)  # fmt: skip


@router.get("/{name}")
async def source_page(request: Request, user: access.Curator, name: str) -> Response:
    return await _source_page(request, user, name)


@router.post("/{name}/settings", dependencies=[Depends(csrf.check)])
async def edit(request: Request, user: access.Curator, name: str) -> Response:
    app = app_of(request)
    found = await run_in_threadpool(source_views.page, app, name[:60])
    if found is None:
        raise HTTPException(404)
    kind = _kind(found.health.kind)
    form = await _posted(request, kind)
    try:
        await run_in_threadpool(lambda: sources.edit(
            app, found.health.name, url=form["url"], every=form["every"],
            settings=form["settings"]))  # fmt: skip
    except (ConfigError, SourceError) as exc:
        return await _source_page(request, user, name, form=form, problem=_problem(exc),
                                  status=400)  # fmt: skip
    return RedirectResponse(f"/staff/sources/{quote(found.health.name)}?done=saved",
                            status_code=303)  # fmt: skip


@router.post("/{name}/enabled", dependencies=[Depends(csrf.check)])
async def enable(request: Request, user: access.Curator, name: str,
                 enabled: str = Form("")) -> Response:  # fmt: skip
    if enabled not in ("yes", "no"):
        return await _source_page(request, user, name, status=400)
    try:
        await run_in_threadpool(sources.set_enabled, app_of(request), name[:60], enabled == "yes")
    except ConfigError as exc:
        return await _source_page(request, user, name, problem=_problem(exc), status=400)
    done = "enabled" if enabled == "yes" else "disabled"
    return RedirectResponse(f"/staff/sources/{quote(name[:60])}?done={done}", status_code=303)


@router.post("/{name}/run", dependencies=[Depends(csrf.check)])
async def run_now(request: Request, user: access.Curator, name: str) -> Response:
    """Start a run now; the page then shows its progress. Already running, or run by another
    process (busy): the page says so (409)."""
    try:
        started = await run_in_threadpool(source_runs.start, app_of(request), name[:60])
    except ConfigError as exc:
        return await _source_page(request, user, name, problem=_problem(exc), status=400)
    if started.outcome == "started":
        return RedirectResponse(f"/staff/sources/{quote(name[:60])}?done=started#run",
                                status_code=303)  # fmt: skip
    return await _source_page(request, user, name, said=started.outcome, holder=started.holder,
                              status=409)  # fmt: skip


@router.get("/{name}/run")
async def run_progress(request: Request, user: access.Curator, name: str) -> Response:
    """The run-now fragment the page polls while the run goes on (no polling once it ended)."""
    found = source_runs.progress(app_of(request), name[:60])
    return render(request, "staff/source_run.html", {"progress": found, "name": name[:60]})


@router.get("/{name}/remove")
async def remove_page(request: Request, user: access.Curator, name: str) -> Response:
    return await _removal(request, user, name)


async def _removal(request: Request, user: Any, name: str) -> Response:
    try:
        found = await run_in_threadpool(source_views.removal, app_of(request), name[:60])
    except ConfigError:
        raise HTTPException(404) from None
    return render(request, "staff/source_remove.html", {"user": user, "name": name[:60],
                                                         "removal": found})  # fmt: skip


@router.post("/{name}/remove", dependencies=[Depends(csrf.check)])
async def remove(request: Request, user: access.Curator, name: str,
                 confirm: str = Form("")) -> Response:  # fmt: skip
    """Without ``confirm=yes``: the page that says what goes; with it, the removal."""
    if confirm != "yes":
        return await _removal(request, user, name)
    try:
        await run_in_threadpool(sources.remove, app_of(request), name[:60])
    except ConfigError:
        raise HTTPException(404) from None
    return RedirectResponse(f"/staff/sources?removed={quote(name[:60])}", status_code=303)
