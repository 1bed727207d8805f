"""Tagging as admins run it: classify the stored calls (or a JSON-lines file), explain a
call's tags, label, train, evaluate, and the calls to review next. This module loads
scikit-learn: only the faces' tagging commands import it."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from classifiers.evaluation import Evaluation
from monitor.app.calls import call_id
from monitor.app.context import App
from monitor.store.tables import TagModelRow
from monitor.tagging import classify as tagging
from monitor.tagging import training
from monitor.tagging.classify import ClassifyReport
from monitor.tagging.training import Progress, TrainReport


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
    """Record that a call has (or lacks) a tag; in force at once. Returns the call's id."""
    number = call_id(app, ref)
    tagging.set_label(app.store(), number, tag, positive)
    return number


def train(app: App, *, force: bool = False, on_progress: Progress | None = None) -> TrainReport:
    """Retrain on every label and register the model; activate it unless it scores worse
    than the active one (``force``: activate anyway). ``on_progress(stage, done, total)``."""
    return training.train_and_register(app.store(), app.settings, force=force,
                                       on_progress=on_progress)  # fmt: skip


def evaluate(
    app: App, *, nested: bool = False, on_progress: Progress | None = None
) -> tuple[Evaluation, TagModelRow | None]:
    """Cross-validated figures per tag on every label, and the active model to compare."""
    return training.evaluate(app.store(), nested=nested, on_progress=on_progress)


def review(app: App, limit: int = 20) -> list[dict[str, Any]]:
    return tagging.review(app.store(), app.settings, limit)
