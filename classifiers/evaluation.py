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
from classifiers.model import FLOOR_SUPPORT, PRECISION_FLOOR, Progress, train
from classifiers.rules import Rules
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
    # what was measured: each call's labels, the tags each method gave it out of fold, and the
    # tags judged for it (None: all); for intervals and confusions
    gold: list[set[str]] = field(default_factory=list, repr=False)
    predicted: dict[str, list[set[str]]] = field(default_factory=dict, repr=False)
    known: list[set[str] | None] | None = field(default=None, repr=False)
    leaves: list[str] = field(default_factory=list)  # the tags without sub-tags

    def deployed(self, tag: str) -> str:
        """The method whose figures are those of the model as deployed: "per-tag" when it was
        measured (nested), else the combination ``choose`` picks for the tag."""
        return "per-tag" if "per-tag" in self.counts else self.choose().get(tag, "union")

    def interval(self, method: str, tag: str, rounds: int = 1000, seed: int = 0
                 ) -> dict[str, tuple[float, float]]:  # fmt: skip
        """95% bootstrap intervals of precision, recall and F1 (calls drawn with replacement,
        ``rounds`` times): how much the figure would move on another sample of calls."""
        judged = self._judged(tag)
        if not judged or method not in self.predicted:
            return {}
        truth = np.array([tag in self.gold[i] for i in judged])
        given = np.array([tag in self.predicted[method][i] for i in judged])
        draws = np.random.default_rng(seed).integers(0, len(judged), (rounds, len(judged)))
        tp = (truth & given)[draws].sum(axis=1).astype(float)
        fp = (~truth & given)[draws].sum(axis=1)
        fn = (truth & ~given)[draws].sum(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            figures = {"precision": np.where(tp + fp > 0, tp / (tp + fp), 0.0),
                       "recall": np.where(tp + fn > 0, tp / (tp + fn), 0.0),
                       "f1": np.where(tp > 0, 2 * tp / (2 * tp + fp + fn), 0.0)}  # fmt: skip
        return {name: (float(np.percentile(v, 2.5)), float(np.percentile(v, 97.5)))
                for name, v in figures.items()}  # fmt: skip

    def confused(self, method: str, tag: str, k: int = 3) -> dict[str, list[tuple[str, int]]]:
        """Which tags a wrong ``tag`` is mistaken for: ``given_to`` the tags (of the other
        leaves, or "none") of the calls it was given to wrongly, most common first;
        ``missed_on`` the tags given instead on the calls that have it but did not get it."""
        from collections import Counter

        wrong: Counter[str] = Counter()
        missed: Counter[str] = Counter()
        for i in self._judged(tag):
            truth = self.gold[i]
            given = self.predicted.get(method, [set()] * len(self.gold))[i]
            if tag in given and tag not in truth:
                wrong.update(self._others(truth, tag))
            elif tag in truth and tag not in given:
                missed.update(self._others(given, tag))
        return {"given_to": wrong.most_common(k), "missed_on": missed.most_common(k)}

    def _judged(self, tag: str) -> list[int]:
        """The calls judged for ``tag`` (every call, but for admins' one-tag labels)."""
        return [i for i in range(len(self.gold))
                if self.known is None or (k := self.known[i]) is None or tag in k]  # fmt: skip

    def _others(self, tags: set[str], tag: str) -> list[str]:
        others = sorted(t for t in tags if t != tag and t in self.leaves)
        return others or ["none"]

    def macro_f1(self, combination: str) -> float:
        tags = [t for t, n in self.support.items() if n]
        return float(np.mean([self.counts[combination][t].f1 for t in tags])) if tags else 0.0

    def choose(self) -> dict[str, str]:
        """Per tag, the combination with the best F1 (ties: union, then model); for a tag with
        FLOOR_SUPPORT labelled positives, the best F1 among those whose precision reaches
        PRECISION_FLOOR, else the most precise."""
        order = {"union": 2, "model": 1, "rules": 0}

        def key(tag: str, c: str) -> tuple[float, float, int]:
            n = self.counts[c][tag]
            if self.support[tag] < FLOOR_SUPPORT:
                return (1.0, round(n.f1, 6), order[c])
            reached = n.precision >= PRECISION_FLOOR
            return (float(reached), round(n.f1 if reached else n.precision, 6), order[c])

        return {tag: max(COMBINATIONS, key=lambda c: key(tag, c)) for tag in self.support}

    def as_dict(self) -> dict[str, object]:
        return {
            "folds": self.folds, "calls": self.calls, "support": self.support,
            "macro_f1": {c: round(self.macro_f1(c), 4) for c in self.counts},
            "per_tag": {
                c: {t: {"precision": round(n.precision, 4), "recall": round(n.recall, 4),
                        "f1": round(n.f1, 4)} for t, n in tags.items()}
                for c, tags in self.counts.items()
            },
            "deployed": {t: self.deployed_figures(t) for t, n in self.support.items() if n},
        }  # fmt: skip

    def deployed_figures(self, tag: str) -> dict[str, object]:
        """The deployed method's figures for ``tag`` with their 95% bootstrap intervals and
        what a wrong one is mistaken for."""
        method = self.deployed(tag)
        n = self.counts[method][tag]
        return {
            "method": method, "precision": round(n.precision, 4), "recall": round(n.recall, 4),
            "f1": round(n.f1, 4),
            "interval": {k: [round(lo, 4), round(hi, 4)]
                         for k, (lo, hi) in self.interval(method, tag).items()},
            **self.confused(method, tag),
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
    rules = Rules(taxonomy)
    gold = [taxonomy.with_parents(label) for label in labels]
    methods: list[str] = list(COMBINATIONS) + (["per-tag"] if nested else [])
    predicted: dict[str, list[set[str]]] = {c: [set() for _ in docs] for c in methods}
    splitter = KFold(folds, shuffle=True, random_state=seed)
    for done, (train_idx, test_idx) in enumerate(splitter.split(np.arange(len(docs))), 1):
        train_docs, train_gold = [docs[i] for i in train_idx], [gold[i] for i in train_idx]
        train_known = [known[i] for i in train_idx] if known is not None else None
        model = train(train_docs, train_gold, taxonomy.leaves(), known=train_known, seed=seed,
                      rules=rules)  # fmt: skip
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
    evaluation = Evaluation(folds=folds, calls=len(docs), gold=gold, predicted=predicted,
                            known=list(known) if known is not None else None,
                            leaves=taxonomy.leaves())  # fmt: skip
    evaluation.support = {
        t: sum(t in g and (known is None or known[i] is None or t in known[i])  # type: ignore[operator]
               for i, g in enumerate(gold))
        for t in tags
    }  # fmt: skip
    for method in methods:
        evaluation.counts[method] = score(gold, predicted[method], tags, known)
    return evaluation
