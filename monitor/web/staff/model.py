"""The admins' model page (``/staff/model``): the active model's cross-validated precision,
recall and F1 per tag; the models trained, side by side (a table of per-tag F1, and the same
as a plot drawn here as inline SVG); train now, in a thread of this process, its progress
polled by htmx every second (``/staff/model/training``, a fragment); activate a model or roll
back to the one before, a worse one only after a second, explicit "activate anyway"."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from monitor.errors import ConfigError
from monitor.web import csrf
from monitor.web.app import app_of, render
from monitor.web.staff import access

if TYPE_CHECKING:
    from monitor.app.model import Activation, ModelInfo
    from monitor.app.staff import Member

router = APIRouter(prefix="/staff/model", include_in_schema=False)
SHOWN = 12  # models side by side in the table and the plot (the newest)
MAX_ID = 2**31 - 1


@dataclass(frozen=True)
class Line:
    tag: str
    style: int  # which of the plot's line styles (colour and dashes)
    points: list[tuple[float, float, float]]  # x, y, F1


@dataclass(frozen=True)
class Plot:
    """Per-tag F1 over model versions, in the SVG's own units."""

    width: int
    height: int
    left: int
    top: int
    right: int
    bottom: int
    low: float  # the F1 at the foot of the vertical axis (its top is 1)
    y_ticks: list[tuple[float, str]]  # y, label
    x_ticks: list[tuple[float, int]]  # x, model id
    lines: list[Line]


def plot(models: list[ModelInfo], tags: list[str], width: int = 640,
         height: int = 300) -> Plot | None:  # fmt: skip
    """Where each tag's F1 is drawn, model by model (oldest left), on a vertical axis from a
    round figure below the lowest F1 up to 1; None without models."""
    if not models:
        return None
    left, right, top, bottom = 52, width - 16, 14, height - 44
    step = (right - left) / (len(models) - 1) if len(models) > 1 else 0.0
    xs = [left + i * step if step else (left + right) / 2 for i in range(len(models))]
    lowest = min((m.figures[t].f1 for m in models for t in tags if t in m.figures), default=0.0)
    tick = 0.05 if lowest >= 0.75 else 0.1 if lowest >= 0.4 else 0.25
    low = max(0.0, round(math.floor(lowest / tick + 1e-9) * tick - tick, 2))

    def y(f1: float) -> float:
        return round(bottom - (f1 - low) / (1 - low) * (bottom - top), 1)

    lines = []
    for style, tag in enumerate(tags):
        points = [(round(x, 1), y(m.figures[tag].f1), m.figures[tag].f1)
                  for x, m in zip(xs, models, strict=True) if tag in m.figures]  # fmt: skip
        if points:
            lines.append(Line(tag, style % 10, points))
    ticks = [round(low + i * tick, 2) for i in range(round((1 - low) / tick) + 1)]
    return Plot(width, height, left, top, right, bottom, low,
                [(y(v), f"{v:.2f}") for v in ticks],
                [(round(x, 1), m.id) for x, m in zip(xs, models, strict=True)], lines)  # fmt: skip


async def _page(request: Request, user: Member, *, extra: dict[str, Any] | None = None,
                status: int = 200) -> Response:  # fmt: skip
    from monitor.app import model

    app = app_of(request)
    found = await run_in_threadpool(model.models, app)
    names = await run_in_threadpool(model.tag_names, app)
    shown = found[-SHOWN:]
    tags = [t for t in names if any(t in m.figures for m in shown)]
    query = request.query_params
    return render(request, "staff/model.html", {
        "user": user, "models": list(reversed(found)), "shown": shown, "names": names,
        "tags": tags, "active": next((m for m in found if m.active), None),
        "plot": plot(shown, tags), "training": model.training_state(app),
        "activated": query.get("activated", "")[:10], "rolled": query.get("rolled", "")[:10],
        "already": query.get("already") == "1", "problem": "", **(extra or {}),
    }, status=status)  # fmt: skip


@router.get("")
async def model_page(request: Request, user: access.Admin) -> Response:
    return await _page(request, user)


@router.get("/training")
async def training(request: Request, user: access.Admin) -> Response:
    """The training's progress (a fragment for htmx); once it has ended, the page again."""
    from monitor.app import model

    state = model.training_state(app_of(request))
    response = render(request, "staff/model_training.html", {"training": state, "user": user})
    if not state.running and request.headers.get("hx-request") == "true":
        response.headers["HX-Refresh"] = "true"  # the page with the new model in its history
    return response


@router.post("/train", dependencies=[Depends(csrf.check)])
async def train(request: Request, user: access.Admin) -> Response:
    """Start training in this process; a second press while it trains changes nothing."""
    from monitor.app import model

    started = model.start_training(app_of(request))
    return RedirectResponse("/staff/model" if started else "/staff/model?already=1",
                            status_code=303)  # fmt: skip


@router.post("/activate", dependencies=[Depends(csrf.check)])
async def activate(request: Request, user: access.Admin, model_id: int = Form(0),
                   force: str = Form("")) -> Response:  # fmt: skip
    from monitor.app import model

    if not 0 < model_id <= MAX_ID:
        raise HTTPException(400)
    app = app_of(request)
    try:
        done = await run_in_threadpool(lambda: model.activate(app, model_id,
                                                              force=force == "yes"))  # fmt: skip
    except ConfigError as exc:
        return await _page(request, user, extra={"problem": str(exc)}, status=400)
    return _after(request, user, done, "activated")


@router.post("/rollback", dependencies=[Depends(csrf.check)])
async def rollback(request: Request, user: access.Admin, force: str = Form("")) -> Response:
    from monitor.app import model

    app = app_of(request)
    try:
        done = await run_in_threadpool(lambda: model.rollback(app, force=force == "yes"))
    except ConfigError as exc:
        return await _page(request, user, extra={"problem": str(exc)}, status=400)
    return _after(request, user, done, "rolled")


def _after(request: Request, user: Member, done: Activation, what: str) -> Response:
    """To the page when it was done; the confirmation step when the model is worse."""
    if done.activated:
        return RedirectResponse(f"/staff/model?{what}={done.model_id}", status_code=303)
    return render(request, "staff/model_confirm.html", {
        "user": user, "done": done, "action": "/staff/model/rollback" if what == "rolled"
        else "/staff/model/activate",
    }, status=409)  # fmt: skip
