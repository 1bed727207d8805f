"""The curators' catalogue page (``/staff/catalogue``): the built-in catalogue imported after a
preview of what would be added, replaced, left as it is or skipped (nothing saved until it is
confirmed); the sources exported as TOML or OPML (downloads); a TOML or OPML file uploaded,
previewed the same way, then imported. The same use cases as ``sources import-catalogue``,
``sources export`` and ``sources import``."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from monitor.app import source_lists, sources
from monitor.errors import ConfigError
from monitor.web import csrf
from monitor.web.app import app_of, render
from monitor.web.staff import access

router = APIRouter(prefix="/staff/catalogue", include_in_schema=False)
FORMATS = {"toml": "application/toml", "opml": "text/x-opml"}


async def _page(request: Request, user: Any, *, status: int = 200, **shown: Any) -> Response:
    context = {"user": user, "plan": None, "which": "", "done": None, "problem": "",
               "content": "", "filename": "", "enable_unverified": False, "replace": False,
               **shown}  # fmt: skip
    return render(request, "staff/catalogue.html", context, status=status)


@router.get("")
async def catalogue_page(request: Request, user: access.Curator, preview: str = "",
                         enable_unverified: str = "", replace: str = "") -> Response:  # fmt: skip
    """The page; with ``preview=1``, what importing the built-in catalogue would do."""
    options = {"enable_unverified": enable_unverified == "yes", "overwrite": replace == "yes"}
    if not preview:
        return await _page(request, user, enable_unverified=options["enable_unverified"],
                           replace=options["overwrite"])  # fmt: skip
    plan = await run_in_threadpool(lambda: source_lists.plan_catalogue(app_of(request),
                                                                       **options))  # fmt: skip
    return await _page(request, user, plan=plan, which="catalogue",
                       enable_unverified=options["enable_unverified"],
                       replace=options["overwrite"])  # fmt: skip


@router.post("/import", dependencies=[Depends(csrf.check)])
async def import_catalogue(request: Request, user: access.Curator, confirm: str = Form(""),
                           enable_unverified: str = Form(""),
                           replace: str = Form("")) -> Response:  # fmt: skip
    """Import the built-in catalogue once confirmed (``confirm=yes``); else its preview."""
    options = {"enable_unverified": enable_unverified == "yes", "overwrite": replace == "yes"}
    app = app_of(request)
    if confirm != "yes":
        plan = await run_in_threadpool(lambda: source_lists.plan_catalogue(app, **options))
        return await _page(request, user, plan=plan, which="catalogue",
                           enable_unverified=options["enable_unverified"],
                           replace=options["overwrite"])  # fmt: skip
    done = await run_in_threadpool(lambda: source_lists.import_catalogue(app, **options))
    return await _page(request, user, done=done, which="catalogue")


@router.get("/export.{fmt}")
async def export(request: Request, user: access.Curator, fmt: str) -> Response:
    """Every source as TOML (``sources import`` reads it back), or the feeds as OPML."""
    if fmt not in FORMATS:
        raise HTTPException(404)
    text, _ = await run_in_threadpool(sources.export, app_of(request), fmt)
    named = {"content-disposition": f'attachment; filename="funding-monitor-sources.{fmt}"'}
    return Response(text, media_type=f"{FORMATS[fmt]}; charset=utf-8", headers=named)


@router.post("/file", dependencies=[Depends(csrf.check)])
async def import_file(request: Request, user: access.Curator, confirm: str = Form(""),
                      replace: str = Form(""), content: str = Form(""),
                      filename: str = Form("")) -> Response:  # fmt: skip
    """An uploaded file (``file``) previewed; its content sent back with ``confirm=yes``,
    imported."""
    form = await request.form()
    upload = form.get("file")
    if isinstance(upload, UploadFile) and upload.filename:
        data, filename = await upload.read(), upload.filename
    else:
        data = content.encode("utf-8")
    filename = (filename or "the file").replace("\\", "/").rsplit("/", 1)[-1][:100]
    overwrite, app = replace == "yes", app_of(request)
    if not data.strip():
        problem = str(ConfigError("choose a TOML or OPML file to import"))
        return await _page(request, user, which="file", replace=overwrite, problem=problem,
                           status=400)  # fmt: skip
    try:
        if confirm == "yes":
            done = await run_in_threadpool(lambda: source_lists.import_content(
                app, data, filename, overwrite=overwrite))  # fmt: skip
            return await _page(request, user, done=done, which="file")
        plan = await run_in_threadpool(lambda: source_lists.plan_content(
            app, data, filename, overwrite=overwrite))  # fmt: skip
    except ConfigError as exc:
        problem = sources.masked(str(exc))[:600]
        return await _page(request, user, which="file", replace=overwrite, problem=problem,
                           status=400)  # fmt: skip
    return await _page(
        request,
        user,
        plan=plan,
        which="file",
        replace=overwrite,
        content=data.decode("utf-8", errors="replace"),
        filename=filename,
    )
