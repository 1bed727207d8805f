"""The admin loop: labels -> train -> evaluate -> activate; and review (what to label next).

Training data are the labels shipped in ``classifiers/data/labels.jsonl`` (fully judged calls)
plus the admins' labels on stored calls (each judges one tag of one call). Every model is
saved as a file in the models directory and registered in the store with its metrics; a model
whose cross-validated macro F1 is worse than the active one's is kept but not activated unless
forced.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import resources

from classifiers.document import Document, document_from
from classifiers.evaluation import Evaluation, cross_validate
from classifiers.model import Progress, TagModel, data_hash, save_model, train, versions
from classifiers.rules import Rules
from classifiers.taxonomy import Taxonomy
from classifiers.taxonomy import load_taxonomy as default_taxonomy
from monitor.config import Settings
from monitor.store import tags as tag_store
from monitor.store.db import Store
from monitor.store.tables import TagModelRow
from monitor.tagging.documents import documents

logger = logging.getLogger(__name__)
TOLERANCE = 0.005  # differences below this are noise between two cross-validations


@dataclass
class TrainingData:
    docs: list[Document]
    labels: list[set[str]]
    known: list[set[str] | None]  # None: every tag judged (shipped labels)
    shipped: int = 0


@dataclass(frozen=True)
class TrainReport:
    model_id: int
    file: str
    activated: bool
    macro_f1: float
    previous_macro_f1: float | None
    labels: int
    seconds: float
    evaluation: Evaluation


def shipped_labels() -> tuple[list[Document], list[set[str]]]:
    """The hand-labelled calls shipped with the package (see classifiers/data/LABELS.md)."""
    text = resources.files("classifiers").joinpath("data/labels.jsonl").read_text("utf-8")
    rows = [json.loads(line) for line in text.splitlines() if line.strip()]
    return [document_from(r) for r in rows], [set(r["tags"]) for r in rows]


def training_data(store: Store | None, taxonomy: Taxonomy) -> TrainingData:
    docs, labels = shipped_labels()
    data = TrainingData(docs, [taxonomy.with_parents(label) for label in labels],
                        [None] * len(docs), shipped=len(docs))  # fmt: skip
    if store is None:
        return data
    stored = tag_store.labels(store)
    calls = tag_store.calls_by_id(store, stored)
    kept = [(call_id, judged) for call_id, judged in stored.items() if call_id in calls]
    docs = documents(store, [calls[call_id] for call_id, _ in kept])
    for (_, judged), doc in zip(kept, docs, strict=True):
        positives = {t for t, yes in judged.items() if yes}
        known = set(judged)
        for tag, yes in judged.items():  # "not global-actor" judges each of its sub-tags too
            if not yes and tag in taxonomy.tags:
                known |= set(taxonomy.children(tag))
        data.docs.append(doc)
        data.labels.append(taxonomy.with_parents(positives))
        data.known.append(known)
    return data


def fit(
    data: TrainingData, taxonomy: Taxonomy, on_progress: Progress | None = None
) -> tuple[TagModel, Evaluation, float]:
    """Train on all the data; choose each tag's combination by cross-validation.
    ``on_progress`` is told of the stages "train" (per tag) and "cross-validate" (per fold)."""
    started = time.perf_counter()
    model = train(data.docs, data.labels, taxonomy.leaves(), known=data.known,
                  on_progress=on_progress, rules=Rules(taxonomy))  # fmt: skip
    seconds = time.perf_counter() - started
    evaluation = cross_validate(data.docs, data.labels, taxonomy, known=data.known,
                                on_progress=on_progress)  # fmt: skip
    combination = evaluation.choose()
    model.meta.update(combination=combination, metrics=evaluation.as_dict(),
                      chosen_macro_f1=round(chosen_macro_f1(evaluation, combination), 4),
                      labels=len(data.docs), shipped_labels=data.shipped,
                      data_hash=data_hash(data.docs, data.labels))  # fmt: skip
    return model, evaluation, seconds


def chosen_macro_f1(evaluation: Evaluation, combination: dict[str, str]) -> float:
    tags = [t for t, n in evaluation.support.items() if n and t in combination]
    if not tags:
        return 0.0
    return sum(evaluation.counts[combination[t]][t].f1 for t in tags) / len(tags)


def fit_shipped(taxonomy: Taxonomy | None = None) -> tuple[TagModel, dict[str, str]]:
    """A model trained on the shipped labels alone (for tagging without a database)."""
    taxonomy = taxonomy or default_taxonomy()
    model, _, _ = fit(training_data(None, taxonomy), taxonomy)
    return model, model.meta["combination"]


def train_and_register(
    store: Store, settings: Settings, *, force: bool = False, on_progress: Progress | None = None
) -> TrainReport:
    """Train on every label, save the model, register it; activate it unless it is worse
    than the active model (by cross-validated macro F1) and not ``force``. ``on_progress``
    as in ``fit``."""
    taxonomy = tag_store.active_taxonomy(store)
    data = training_data(store, taxonomy)
    model, evaluation, seconds = fit(data, taxonomy, on_progress)
    score = model.meta["chosen_macro_f1"]
    active = tag_store.active_model(store)
    previous = active.metrics.get("chosen_macro_f1") if active else None
    activate = force or previous is None or score >= previous - TOLERANCE
    created = datetime.now(UTC)
    model.meta["created"] = created.isoformat(timespec="seconds")
    path = (
        settings.models_path / f"model-{created:%Y%m%dT%H%M%S}-{model.meta['data_hash'][:8]}.joblib"
    )
    save_model(model, path)
    row = TagModelRow(
        file=str(path.resolve()), created_at=created, data_hash=model.meta["data_hash"],
        labels=len(data.docs), combination=model.meta["combination"],
        metrics={**model.meta["metrics"], "chosen_macro_f1": score}, versions=versions(),
    )  # fmt: skip
    model_id = tag_store.register_model(store, row, activate)
    logger.info("trained model=%d labels=%d macro_f1=%.3f activated=%s seconds=%.1f",
                model_id, len(data.docs), score, activate, seconds)  # fmt: skip
    return TrainReport(model_id, str(path), activate, score, previous, len(data.docs), seconds,
                       evaluation)  # fmt: skip


def evaluate(
    store: Store, *, nested: bool = False, on_progress: Progress | None = None
) -> tuple[Evaluation, TagModelRow | None]:
    """Cross-validated figures on every label, and the active model to compare with;
    ``on_progress("cross-validate", done, folds)`` after each fold."""
    taxonomy = tag_store.active_taxonomy(store)
    data = training_data(store, taxonomy)
    evaluation = cross_validate(data.docs, data.labels, taxonomy, known=data.known,
                                nested=nested, on_progress=on_progress)  # fmt: skip
    return evaluation, tag_store.active_model(store)
