"""The admins' tags pages: the taxonomy tree (``/staff/tags``), one tag (``/staff/tags/ID``)
with its rules edited through a preview of the calls it would gain or lose before anything
is saved, its labels, retiring (a second step when it is in use, naming its followers) and
restoring, and its history; adding a tag (``/staff/tags/_new``: no tag id has "_")."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from classifiers.errors import ClassifierError
from classifiers.taxonomy import RULE_FIELDS, Tag
from monitor.app import tags
from monitor.errors import ConfigError
from monitor.web import csrf
from monitor.web.app import app_of, render
from monitor.web.staff import access

router = APIRouter(prefix="/staff/tags", include_in_schema=False)
SHOWN = 100  # calls listed per side of a preview (all are counted)
MAX_FORM = 20_000  # characters of one rule list


async def _rules(request: Request) -> dict[str, list[str]]:
    """The rule lists of a posted form: one rule a line."""
    form = await request.form()
    return {name: str(form.get(name, ""))[:MAX_FORM].splitlines() for name in RULE_FIELDS}


def _problem(exc: Exception) -> str:
    return str(exc)[:500]


@router.get("")
async def overview(request: Request, user: access.Admin) -> Response:
    found = await run_in_threadpool(tags.overview, app_of(request))
    return render(request, "staff/tags.html", {"user": user, "overview": found,
                                               "rule_fields": RULE_FIELDS})  # fmt: skip


async def _tag_page(request: Request, user: Any, tag_id: str, *, form: Tag | None = None,
                    preview: tags.Preview | None = None, problem: str = "", stale: bool = False,
                    status: int = 200) -> Response:  # fmt: skip
    found = await run_in_threadpool(tags.page, app_of(request), tag_id[:40])
    if found is None:
        raise HTTPException(404)
    query = request.query_params
    return render(request, "staff/tag.html", {
        "user": user, "page": found, "form": form or found.info.tag, "preview": preview,
        "problem": problem, "stale": stale, "rule_fields": RULE_FIELDS, "shown": SHOWN,
        "saved": query.get("saved", "")[:9] if not (preview or problem) else "",
        "done": query.get("done", "")[:20] if not (preview or problem) else "",
    }, status=status)  # fmt: skip


@router.get("/_new")
async def new_page(request: Request, user: access.Admin) -> Response:
    return await _new(request, user)


async def _new(request: Request, user: Any, *, form: Tag | None = None,
               preview: tags.Preview | None = None, problem: str = "",
               status: int = 200) -> Response:  # fmt: skip
    found = await run_in_threadpool(tags.overview, app_of(request))
    return render(request, "staff/tag_new.html", {
        "user": user, "form": form, "preview": preview, "problem": problem,
        "parents": [info.tag for info, _ in found.tree], "rule_fields": RULE_FIELDS,
        "shown": SHOWN,
    }, status=status)  # fmt: skip


@router.post("/_new", dependencies=[Depends(csrf.check)])
async def create(request: Request, user: access.Admin, id: str = Form(""),
                 label_en: str = Form(""), label_sv: str = Form(""),
                 description: str = Form(""), parent: str = Form(""),
                 do: str = Form("preview")) -> Response:  # fmt: skip
    rules = {name: tuple(dict.fromkeys(i.strip() for i in items if i.strip()))
             for name, items in (await _rules(request)).items()}  # fmt: skip
    tag = Tag(id.strip()[:40], label_en.strip()[:200], label_sv.strip()[:200],
              description.strip()[:2000], parent or None, **rules)  # fmt: skip
    app = app_of(request)
    try:
        if do != "save":
            found = await run_in_threadpool(tags.preview_new, app, tag)
            return await _new(request, user, form=tag, preview=found)
        done = await run_in_threadpool(tags.create, app, tag)
    except (ConfigError, ClassifierError) as exc:
        return await _new(request, user, form=tag, problem=_problem(exc), status=400)
    return RedirectResponse(f"/staff/tags/{tag.id}?done=added&saved={done.retagged}",
                            status_code=303)  # fmt: skip


@router.get("/{tag_id}")
async def tag_page(request: Request, user: access.Admin, tag_id: str) -> Response:
    return await _tag_page(request, user, tag_id)


@router.post("/{tag_id}/rules", dependencies=[Depends(csrf.check)])
async def rules(request: Request, user: access.Admin, tag_id: str,
                description: str = Form(""), parent: str = Form(""), do: str = Form("preview"),
                previewed: str = Form("")) -> Response:  # fmt: skip
    """``do=preview``: what the rules as posted would change, nothing saved; ``do=save``:
    save them, if they are the ones previewed (else their preview again)."""
    app = app_of(request)
    wanted = await _rules(request)
    try:
        old = await run_in_threadpool(tags.get, app, tag_id[:40])
    except ClassifierError:
        raise HTTPException(404) from None
    change = tags.change_to(old, description.strip()[:2000], parent or None, wanted)
    try:
        edited = tags.edited(old, change)
        if do != "save":
            found = await run_in_threadpool(tags.preview, app, old.id, change)
            return await _tag_page(request, user, old.id, form=edited, preview=found)
        done = await run_in_threadpool(tags.apply, app, old.id, change, previewed[:40])
    except (ConfigError, ClassifierError) as exc:
        form = _posted(old, description, parent, wanted)
        return await _tag_page(request, user, old.id, form=form, problem=_problem(exc),
                               status=400)  # fmt: skip
    if not done.saved:
        return await _tag_page(request, user, old.id, form=edited, preview=done.preview,
                               stale=True, status=409)  # fmt: skip
    return RedirectResponse(f"/staff/tags/{old.id}?done=saved&saved={done.retagged}",
                            status_code=303)  # fmt: skip


def _posted(old: Tag, description: str, parent: str, wanted: dict[str, list[str]]) -> Tag:
    """The form as posted, to show again with its problem (even when it is not valid)."""
    from dataclasses import replace

    fields: dict[str, Any] = {name: tuple(i.strip() for i in items if i.strip())
                              for name, items in wanted.items()}  # fmt: skip
    return replace(old, description=description[:2000], parent=parent or None, **fields)


@router.post("/{tag_id}/rename", dependencies=[Depends(csrf.check)])
async def rename(request: Request, user: access.Admin, tag_id: str, label_en: str = Form(""),
                 label_sv: str = Form("")) -> Response:  # fmt: skip
    try:
        labels = (label_en.strip()[:200] or None, label_sv.strip()[:200] or None)
        await run_in_threadpool(tags.rename, app_of(request), tag_id[:40], *labels)
    except (ConfigError, ClassifierError) as exc:
        return await _tag_page(request, user, tag_id, problem=_problem(exc), status=400)
    return RedirectResponse(f"/staff/tags/{tag_id[:40]}?done=renamed", status_code=303)


@router.post("/{tag_id}/retire", dependencies=[Depends(csrf.check)])
async def retire(request: Request, user: access.Admin, tag_id: str,
                 confirm: str = Form("")) -> Response:  # fmt: skip
    """Retire a tag; one in use (calls, labels, followers) only once confirmed, the page
    before saying what it touches and naming its followers (``tags retire`` and ``--force``)."""
    app = app_of(request)
    try:
        found = await run_in_threadpool(lambda: tags.retire(app, tag_id[:40],
                                                            force=confirm == "yes"))  # fmt: skip
    except (ConfigError, ClassifierError) as exc:
        return await _tag_page(request, user, tag_id, problem=_problem(exc), status=400)
    if not found.done:
        tag = await run_in_threadpool(tags.get, app, tag_id[:40])
        return render(request, "staff/tag_retire.html", {"user": user, "tag": tag,
                                                         "retirement": found})  # fmt: skip
    return RedirectResponse(f"/staff/tags/{tag_id[:40]}?done=retired&saved={found.calls}",
                            status_code=303)  # fmt: skip


@router.post("/{tag_id}/restore", dependencies=[Depends(csrf.check)])
async def restore(request: Request, user: access.Admin, tag_id: str) -> Response:
    try:
        await run_in_threadpool(tags.restore, app_of(request), tag_id[:40])
    except (ConfigError, ClassifierError) as exc:
        return await _tag_page(request, user, tag_id, problem=_problem(exc), status=400)
    return RedirectResponse(f"/staff/tags/{tag_id[:40]}?done=restored", status_code=303)
