"""Cross-validated precision, recall and F1 per tag, for the rules alone, the model alone and
their union; the combination with the best macro F1 is the one to deploy.

The model is retrained inside every fold (thresholds included, by an inner cross-validation
on that fold's training part only), so no figure is measured on a call the model learned from.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from sklearn.model_selection import KFold

from classifiers.document import Document
from classifiers.model import Progress, train
from classifiers.tagger import COMBINATIONS, Tagger
from classifiers.taxonomy import Taxonomy


@dataclass
class Counts:
    tp: int = 0
    fp: int = 0
    fn: int = 0

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


@dataclass
class Evaluation:
    """Counts per combination and tag; ``support`` = labelled positives per tag."""

    counts: dict[str, dict[str, Counts]] = field(default_factory=dict)
    support: dict[str, int] = field(default_factory=dict)
    folds: int = 0
    calls: int = 0

    def macro_f1(self, combination: str) -> float:
        tags = [t for t, n in self.support.items() if n]
        return float(np.mean([self.counts[combination][t].f1 for t in tags])) if tags else 0.0

    def choose(self) -> dict[str, str]:
        """Per tag, the combination with the best F1 (ties: union, then model)."""
        order = {"union": 2, "model": 1, "rules": 0}
        return {
            tag: max(COMBINATIONS, key=lambda c: (round(self.counts[c][tag].f1, 6), order[c]))
            for tag in self.support
        }

    def as_dict(self) -> dict[str, object]:
        return {
            "folds": self.folds, "calls": self.calls, "support": self.support,
            "macro_f1": {c: round(self.macro_f1(c), 4) for c in self.counts},
            "per_tag": {
                c: {t: {"precision": round(n.precision, 4), "recall": round(n.recall, 4),
                        "f1": round(n.f1, 4)} for t, n in tags.items()}
                for c, tags in self.counts.items()
            },
        }  # fmt: skip


def score(
    gold: Sequence[set[str]], given: Sequence[set[str]], tags: Sequence[str],
    known: Sequence[set[str] | None] | None = None,
) -> dict[str, Counts]:  # fmt: skip
    """Counts per tag; a document counts only for the tags judged for it (``known``)."""
    out = {t: Counts() for t in tags}
    for i, (truth, guess) in enumerate(zip(gold, given, strict=True)):
        judged = known[i] if known is not None else None
        for t in tags:
            if judged is not None and t not in judged:
                continue
            c = out[t]
            c.tp += t in truth and t in guess
            c.fp += t not in truth and t in guess
            c.fn += t in truth and t not in guess
    return out


def cross_validate(
    docs: Sequence[Document], labels: Sequence[set[str]], taxonomy: Taxonomy, *,
    folds: int = 5, seed: int = 0, nested: bool = False,
    known: Sequence[set[str] | None] | None = None, on_progress: Progress | None = None,
) -> Evaluation:  # fmt: skip
    """Per-tag figures for every combination over ``folds`` folds (labels include parents).

    With ``nested``, also "per-tag": in each fold the per-tag choice is made by an inner
    cross-validation on that fold's training part, then measured on its test part, so the
    figure for the deployed choice is as honest as the others. ``known`` as in ``train``.
    ``on_progress("cross-validate", done, folds)`` is told after each (outer) fold."""
    report = on_progress or (lambda stage, done, total: None)
    report("cross-validate", 0, folds)
    tags = taxonomy.ids
    gold = [taxonomy.with_parents(label) for label in labels]
    methods: list[str] = list(COMBINATIONS) + (["per-tag"] if nested else [])
    predicted: dict[str, list[set[str]]] = {c: [set() for _ in docs] for c in methods}
    splitter = KFold(folds, shuffle=True, random_state=seed)
    for done, (train_idx, test_idx) in enumerate(splitter.split(np.arange(len(docs))), 1):
        train_docs, train_gold = [docs[i] for i in train_idx], [gold[i] for i in train_idx]
        train_known = [known[i] for i in train_idx] if known is not None else None
        model = train(train_docs, train_gold, taxonomy.leaves(), known=train_known, seed=seed)
        test = [docs[i] for i in test_idx]
        for method in methods:
            how: str | dict[str, str] = method
            if method == "per-tag":
                how = cross_validate(train_docs, train_gold, taxonomy, folds=folds, seed=seed,
                                     known=train_known).choose()  # fmt: skip
            results = Tagger(taxonomy, model, how).tag(test)
            for i, result in zip(test_idx, results, strict=True):
                predicted[method][i] = set(result.scores)
        report("cross-validate", done, folds)
    evaluation = Evaluation(folds=folds, calls=len(docs))
    evaluation.support = {
        t: sum(t in g and (known is None or known[i] is None or t in known[i])  # type: ignore[operator]
               for i, g in enumerate(gold))
        for t in tags
    }  # fmt: skip
    for method in methods:
        evaluation.counts[method] = score(gold, predicted[method], tags, known)
    return evaluation
