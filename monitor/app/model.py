"""Tagging as admins run it: classify the stored calls (or a JSON-lines file), explain a
call's tags, label, train, evaluate, and the calls to review next; the registered models,
activating one or rolling back to the one before (with the worse-model guard), and training
in a thread of a long-lived process (the web face's "train now") with its progress. Every
change (a label, a model trained or activated) goes into the audit log. This module loads
scikit-learn: only the faces' tagging commands and pages import it."""

from __future__ import annotations

import contextvars
import logging
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from classifiers.errors import ClassifierError
from classifiers.evaluation import Evaluation
from monitor.app import audit
from monitor.app.calls import call_id
from monitor.app.context import App
from monitor.errors import ConfigError, MonitorError
from monitor.store import tags as tag_store
from monitor.store.tables import TagModelRow
from monitor.tagging import classify as tagging
from monitor.tagging import training
from monitor.tagging.classify import ClassifyReport
from monitor.tagging.training import TOLERANCE, Progress, TrainReport

logger = logging.getLogger(__name__)
SEE_MODELS = "See the models on /staff/model."


def classify(app: App, *, all_calls: bool = False) -> ClassifyReport:
    """Tag the calls that are new or changed (``all_calls``: every call); the first run
    trains a model from the shipped labels."""
    return tagging.classify_stored(app.store(), app.settings, all_calls=all_calls)


def classify_lines(
    lines: Iterable[str], *, model_file: str | None = None, taxonomy_file: str | None = None
) -> Iterator[tuple[int, str | None, str]]:
    """Tag JSON-lines calls without a database: (line number, JSON out or None, error)."""
    tagger = tagging.offline_tagger(model_file, taxonomy_file)
    return tagging.classify_lines(lines, tagger)


def explain(app: App, ref: str | int) -> dict[str, Any]:
    """Why a call (by number or identifier) has or lacks each tag with any evidence."""
    return tagging.explain(app.store(), app.settings, call_id(app, ref))


def label(app: App, ref: str | int, tag: str, positive: bool) -> int:
    """Record that a call has (or lacks) a tag; in force at once (the call's tags are
    recomputed). Returns the call's id."""
    number = call_id(app, ref)
    store = app.store()
    before = tag_store.labels(store, [number]).get(number, {}).get(tag)
    tagging.set_label(store, number, tag, positive)
    call = tag_store.calls_by_id(store, [number])[number]
    audit.record(app, "model.label", f"call {number} ({call.identifier}), tag {tag}",
                 {} if before is None else {"label": _said(before)},
                 {"label": _said(positive)})  # fmt: skip
    return number


def _said(positive: bool) -> str:
    return "has the tag" if positive else "lacks the tag"


def train(app: App, *, force: bool = False, on_progress: Progress | None = None) -> TrainReport:
    """Retrain on every label and register the model; activate it unless it scores worse
    than the active one (``force``: activate anyway). ``on_progress(stage, done, total)``."""
    store = app.store()
    active = tag_store.active_model(store)
    report = training.train_and_register(store, app.settings, force=force,
                                         on_progress=on_progress)  # fmt: skip
    before: dict[str, Any] = {}
    after: dict[str, Any] = {"labels": report.labels, "macro_f1": round(report.macro_f1, 4),
                             "activated": report.activated}  # fmt: skip
    if report.activated:
        before["active"], after["active"] = (active.id if active else None), report.model_id
    audit.record(app, "model.train", f"model {report.model_id}", before, after)
    return report


def evaluate(
    app: App, *, nested: bool = False, on_progress: Progress | None = None
) -> tuple[Evaluation, TagModelRow | None]:
    """Cross-validated figures per tag on every label, and the active model to compare."""
    return training.evaluate(app.store(), nested=nested, on_progress=on_progress)


def review(app: App, limit: int = 20) -> list[dict[str, Any]]:
    """What to judge next, as the review queue orders it: the calls with a reader's 👎 or
    "not relevant" still undecided (latest first; ``why`` "feedback", with ``said``: how many
    readers), then the calls the model is least sure about (``why`` "uncertain"; ``tag``, the
    most uncertain tag no admin judged for it, and its ``score``). Each has ``call`` and
    ``title``."""
    from monitor.store import feedback as feedback_store

    store = app.store()
    doubted = feedback_store.calls_said(store, feedback_store.DOUBTED)[:limit]
    calls = tag_store.calls_by_id(store, doubted)
    out: list[dict[str, Any]] = [
        {"call": c, "title": calls[c].title, "why": "feedback", "tag": None, "score": None}
        for c in doubted if c in calls
    ]  # fmt: skip
    if len(out) < limit:
        first = {item["call"] for item in out}
        out += [{**item, "why": "uncertain"} for item in uncertain(app, limit + len(out))
                if item["call"] not in first][: limit - len(out)]  # fmt: skip
    return out


def uncertain(app: App, limit: int = 20) -> list[dict[str, Any]]:
    """The calls the model is least sure about, most uncertain first: ``call``, ``title``,
    ``tag`` (the most uncertain tag no admin judged for it) and its ``score``."""
    return tagging.review(app.store(), app.settings, limit)


@dataclass(frozen=True)
class Figures:
    """A tag's cross-validated figures for the combination the model chose for it."""

    precision: float
    recall: float
    f1: float
    support: int  # labelled calls that have the tag
    combination: str  # rules | model | union


@dataclass(frozen=True)
class ModelInfo:
    id: int
    created_at: datetime
    labels: int
    active: bool
    macro_f1: float | None  # cross-validated, with the per-tag choice
    figures: dict[str, Figures]  # tag -> figures, for the tags with labelled positives


@dataclass(frozen=True)
class Activation:
    """What activating a model did: ``activated``, or refused as ``worse`` than the active
    model (activate with ``force`` to override)."""

    model_id: int
    activated: bool
    worse: bool
    macro_f1: float | None
    previous_id: int | None  # the model active before
    previous_macro_f1: float | None


def _info(row: TagModelRow) -> ModelInfo:
    metrics = row.metrics or {}
    per_tag, support = metrics.get("per_tag", {}), metrics.get("support", {})
    figures = {}
    for tag, how in (row.combination or {}).items():
        found = per_tag.get(how, {}).get(tag)
        if found and support.get(tag):
            figures[tag] = Figures(found["precision"], found["recall"], found["f1"],
                                   int(support[tag]), how)  # fmt: skip
    return ModelInfo(row.id or 0, row.created_at or datetime.min, row.labels, row.active,
                     metrics.get("chosen_macro_f1"), figures)  # fmt: skip


def models(app: App) -> list[ModelInfo]:
    """Every registered model, oldest first, with its cross-validated figures per tag."""
    return [_info(row) for row in tag_store.models(app.store())]


def activate(app: App, model_id: int, *, force: bool = False,
             action: str = "model.activate") -> Activation:  # fmt: skip
    """Make ``model_id`` the model that tags the calls (from their next classification).
    Refused (``worse``, nothing changed) when its cross-validated macro F1 is below the active
    model's, unless ``force``. ConfigError for a model that does not exist or whose file is
    gone."""
    store = app.store()
    rows = {row.id: row for row in tag_store.models(store)}
    row = rows.get(model_id)
    if row is None:
        raise ConfigError(f"no model {model_id}", hint=SEE_MODELS)
    active = next((r for r in rows.values() if r.active), None)
    score = row.metrics.get("chosen_macro_f1")
    previous = active.metrics.get("chosen_macro_f1") if active else None
    done = Activation(model_id, True, False, score, active.id if active else None, previous)
    if active is not None and active.id == model_id:
        return done
    if not Path(row.file).exists():
        raise ConfigError(f"the file of model {model_id} is gone: {row.file}",
                          hint="Train a new model.")  # fmt: skip
    if not force and score is not None and previous is not None and score < previous - TOLERANCE:
        return replace(done, activated=False, worse=True)
    tag_store.activate_model(store, model_id)
    after: dict[str, Any] = {"active": model_id, **({"forced": True} if force else {})}
    audit.record(app, action, f"model {model_id}", {"active": done.previous_id}, after)
    return done


def rollback(app: App, *, force: bool = False) -> Activation:
    """Activate the model trained before the active one, with ``activate``'s guard.
    ConfigError when there is no active model or none older."""
    rows = tag_store.models(app.store())
    active = next((r for r in rows if r.active), None)
    if active is None or active.id is None:
        raise ConfigError("no model is active: there is nothing to roll back", hint=SEE_MODELS)
    older = [r.id for r in rows if r.id is not None and r.id < active.id]
    if not older:
        raise ConfigError(f"model {active.id} is the oldest: there is none to roll back to",
                          hint=SEE_MODELS)  # fmt: skip
    return activate(app, max(older), force=force, action="model.rollback")


@dataclass(frozen=True)
class Training:
    """Training in this process: under way (``running``, at ``stage`` with ``done`` of
    ``total`` steps), or the last one's outcome (``report``, or the ``error`` it met)."""

    running: bool = False
    stage: str = ""
    done: int = 0
    total: int = 0
    started_at: datetime | None = None
    finished_at: datetime | None = None
    by: str | None = None
    report: TrainReport | None = field(default=None, repr=False)
    error: str | None = None


class _Job:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.state = Training()


_JOB = "model.training"


def _job(app: App) -> _Job:
    with app._opening:  # the App's own lock: two first requests make one _Job
        job = app.kept.get(_JOB)
        if job is None:
            job = app.kept[_JOB] = _Job()
    assert isinstance(job, _Job)
    return job


def training_state(app: App) -> Training:
    """How training in this process is going, or how the last one ended."""
    return _job(app).state


def start_training(app: App) -> bool:
    """Train a model in a thread of this process (as ``train``, without ``force``: a worse
    model is registered but not activated); its progress is ``training_state``. False, and
    nothing started, when a training is already under way here."""
    job = _job(app)
    with job.lock:
        if job.state.running:
            return False
        job.state = Training(running=True, started_at=app.now(), by=audit.actor())
    context = contextvars.copy_context()  # whoever is acting now is the training's actor
    thread = threading.Thread(target=context.run, args=(_run, app, job), name="train",
                              daemon=True)  # fmt: skip
    thread.start()
    return True


def _run(app: App, job: _Job) -> None:
    def tell(stage: str, done: int, total: int) -> None:
        with job.lock:
            job.state = replace(job.state, stage=stage, done=done, total=total)

    report, error = None, None
    try:
        report = train(app, on_progress=tell)
    except (ClassifierError, MonitorError) as exc:
        error = str(exc)
    except Exception:  # the training's error boundary: told on the page, logged here
        logger.exception("training failed")
        error = "training failed: see the web server's log"
    with job.lock:
        job.state = replace(job.state, running=False, finished_at=app.now(), report=report,
                            error=error)  # fmt: skip


def tag_names(app: App) -> dict[str, dict[str, str]]:
    """Every tag in force, in taxonomy order: id -> language -> name."""
    taxonomy = tag_store.active_taxonomy(app.store())
    return {t.id: {"en": t.label_en, "sv": t.label_sv} for t in taxonomy.tags.values()}
