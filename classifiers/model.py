"""The learned layer: TF-IDF over words, one logistic regression per tag, and a per-tag
threshold chosen on cross-validated probabilities.

Features were chosen by cross-validation on the labels (macro F1, model alone): words alone
(0.84) did as well as words with character 3–5-grams (0.83) or word bigrams (0.81), at a
fraction of the cost, so the model reads the document's words (shared with the rules).
Probabilities are mapped to a score in [0, 1] on which 0.5 is the tag's own threshold, so that
scores of different tags, and of rules, compare.

The features are sklearn's own ``TfidfVectorizer.transform``: a hand-written counting path was
1.7x faster at the transform alone but 1.02-1.11x end to end (the rules dominate tagging), which
did not pay for a second implementation to keep equal to sklearn's (bench/classify.py).
"""

from __future__ import annotations

import hashlib
import json
import platform
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import scipy
import sklearn
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold, cross_val_predict

from classifiers.document import Document, tokens
from classifiers.errors import ModelError, TrainingError
from classifiers.evidence import EVIDENCE, signs
from classifiers.rules import Rules

FORMAT = 1
MIN_POSITIVES = 3
# The value of a "this tag's rules fire" column beside the TF-IDF words (each row of which has
# unit length). Nested cross-validation on the 631 shipped labels, per-tag macro-F1: no rule
# columns 0.840, 0.2 -> 0.848, 0.3 -> 0.850 (strategic-partnerships F1 0.58 -> 0.64), 0.4 -> 0.835,
# 1.0 -> 0.837 (the model then leans on the rules and erasmus-education falls to 0.81).
RULE_WEIGHT = 0.3
GRID = np.round(np.linspace(0.05, 0.95, 19), 2)
# Precision first: a tag with this many labelled positives gets the threshold with the best F1
# among those whose cross-validated precision reaches the floor (a wrong tag puts a call in the
# wrong researcher's digest); the smaller tags have too few examples to measure it.
PRECISION_FLOOR = 0.80
FLOOR_SUPPORT = 20
# Never shown as a tag's evidence: English function words, and words in more than this share of
# the training calls ("support", "call", "project"): a person recognises neither as a reason.
GENERIC_SHARE = 0.2
# Told how long work is going: (stage, done, total), first with done=0, then after each step.
Progress = Callable[[str, int, int], None]


@dataclass
class TagModel:
    """A trained model: vectorizers, one estimator and threshold per tag, and its metadata."""

    words: TfidfVectorizer
    estimators: dict[str, LogisticRegression]
    thresholds: dict[str, float]
    meta: dict[str, Any] = field(default_factory=dict)
    # the rules of the taxonomy it was trained with: which tags' rules fire on a call are
    # features too (a model saved before they were has none)
    rules: Rules | None = None

    @property
    def tags(self) -> list[str]:
        return list(self.estimators)

    def matrix(self, docs: Sequence[Document]) -> scipy.sparse.csr_matrix:
        """The features of each document: its TF-IDF, then one column per tag whose rules
        fire on it."""
        return with_rules(self.words.transform(docs), self.rules, docs)

    def probabilities(self, docs: Sequence[Document]) -> dict[str, np.ndarray]:
        """Tag -> the positive-class probability of each document."""
        if not docs:
            return {tag: np.zeros(0) for tag in self.estimators}
        x = self.matrix(docs)
        return {tag: est.predict_proba(x)[:, 1] for tag, est in self.estimators.items()}

    def scores(self, docs: Sequence[Document]) -> list[dict[str, float]]:
        """Per document, tag -> score in [0, 1] (0.5 = the tag's threshold)."""
        probs = self.probabilities(docs)
        out: list[dict[str, float]] = [{} for _ in docs]
        for tag, p in probs.items():
            for i, s in enumerate(normalise(p, self.thresholds[tag])):
                out[i][tag] = float(s)
        return out

    def strongest_terms(self, doc: Document, tag: str, k: int = 8) -> list[tuple[str, float]]:
        """The evidence that pushed this document towards ``tag`` most (term, weight): words
        a person recognises (no function words, no words most calls have) and the call's
        structure in plain words ("an innovation action (IA)")."""
        estimator = self.estimators.get(tag)
        if estimator is None:
            return []
        row = self.matrix([doc]).tocoo()
        names, generic = self._names(), self._generic()
        weights = [(EVIDENCE.get(names[j], names[j]), float(v * estimator.coef_[0][j]))
                   for j, v in zip(row.col, row.data, strict=True) if j not in generic]  # fmt: skip
        weights = [(n, w) for n, w in weights if w > 0]
        return sorted(weights, key=lambda item: -item[1])[:k]

    def _names(self) -> list[str]:
        if "_feature_names" not in self.__dict__:
            rules = self.rules  # None on a model saved before rules were features (class default)
            fired = [f"the {tag} rules fired" for tag in rules.taxonomy.leaves()] if rules else []
            self.__dict__["_feature_names"] = list(self.words.get_feature_names_out()) + fired
        names: list[str] = self.__dict__["_feature_names"]
        return names

    def _generic(self) -> frozenset[int]:
        """Features never shown as evidence: function words and the commonest words."""
        if "_generic_features" not in self.__dict__:
            from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

            # idf = ln((1 + n) / (1 + df)) + 1, so a word in more than GENERIC_SHARE of the
            # calls has an idf below ln(1 / GENERIC_SHARE) + 1 (near enough for any n)
            common = np.flatnonzero(self.words.idf_ < np.log(1 / GENERIC_SHARE) + 1)
            stop = [j for j, name in enumerate(self._names()) if name in ENGLISH_STOP_WORDS]
            self.__dict__["_generic_features"] = frozenset(map(int, common)) | frozenset(stop)
        generic: frozenset[int] = self.__dict__["_generic_features"]
        return generic


def normalise(p: np.ndarray, threshold: float) -> np.ndarray:
    """Map probabilities so that ``threshold`` becomes 0.5, keeping 0 and 1 in place."""
    below = 0.5 * p / threshold
    above = 0.5 + 0.5 * (p - threshold) / (1 - threshold)
    return np.where(p >= threshold, above, below)


def features(doc: Document) -> list[str]:
    """What the model reads of a call: its words and the signs of its structure."""
    return tokens(doc) + signs(doc)


def with_rules(x: Any, rules: Rules | None, docs: Sequence[Document]) -> Any:
    """The TF-IDF rows ``x`` of ``docs`` with their rule columns beside them (as they are
    without ``rules``)."""
    if rules is None:
        return x
    return scipy.sparse.hstack([x, rule_columns(rules, docs)]).tocsr()


def rule_columns(rules: Rules, docs: Sequence[Document]) -> scipy.sparse.csr_matrix:
    """One column per leaf tag of the rules' taxonomy: 1 where its rules fire on the call."""
    leaves = rules.taxonomy.leaves()
    rows, cols = [], []
    for i, doc in enumerate(docs):
        hits = rules.hits(doc)
        for j, tag in enumerate(leaves):
            if tag in hits:
                rows.append(i)
                cols.append(j)
    data = np.full(len(rows), RULE_WEIGHT)
    return scipy.sparse.csr_matrix((data, (rows, cols)), shape=(len(docs), len(leaves)))


def _vectorizer() -> TfidfVectorizer:
    return TfidfVectorizer(analyzer=features, min_df=2, max_df=0.9, sublinear_tf=True,
                           max_features=60000)  # fmt: skip


def _estimator(seed: int) -> LogisticRegression:
    return LogisticRegression(C=8.0, class_weight="balanced", solver="liblinear", max_iter=500,
                              random_state=seed)  # fmt: skip


def best_threshold(y: np.ndarray, p: np.ndarray, floor: float | None = None) -> float:
    """The grid threshold with the best F1 on (labels, probabilities); ties go nearer 0.5.
    With a precision ``floor``: the best F1 among the thresholds that reach it, else the one
    with the highest precision."""
    best, best_key = 0.5, (-1.0, -1.0)
    for t in sorted(GRID, key=lambda t: abs(t - 0.5)):
        predicted = p >= t
        tp = float(np.sum(predicted & y))
        f1 = 2 * tp / (np.sum(predicted) + np.sum(y)) if tp else 0.0
        precision = tp / float(np.sum(predicted)) if tp else 0.0
        reached = floor is None or precision >= floor
        key = (float(reached), f1 if reached else precision)
        if _above(key, best_key):
            best, best_key = float(t), key
    return best


def _above(a: tuple[float, ...], b: tuple[float, ...]) -> bool:
    """Whether ``a`` sorts after ``b``, differences below 1e-9 being ties."""
    for x, y in zip(a, b, strict=True):
        if abs(x - y) > 1e-9:
            return x > y
    return False


def train(
    docs: Sequence[Document], labels: Sequence[set[str]], tags: Sequence[str], *,
    known: Sequence[set[str] | None] | None = None, seed: int = 0, folds: int = 3,
    on_progress: Progress | None = None, rules: Rules | None = None,
) -> TagModel:  # fmt: skip
    """Fit a model for every tag with at least MIN_POSITIVES positive and negative labels.
    With ``rules``, which tags' rules fire on a call are features beside its words (and the
    model keeps those rules: a taxonomy edited later changes its features only once retrained).

    ``labels[i]`` are the tags document i has. ``known[i]``, when given and not None, are the
    tags judged for it (an admin's correction judges one tag, not the others); a document
    teaches only the tags judged for it. ``on_progress("train", done, len(tags))`` is told
    after each tag. Raises TrainingError when no tag has enough."""
    report = on_progress or (lambda stage, done, total: None)
    if len(docs) != len(labels) or (known is not None and len(known) != len(docs)):
        raise ValueError("one label set per document")
    words = _vectorizer()
    try:
        x = words.fit_transform(docs)
    except ValueError as exc:  # an empty vocabulary: too few or empty documents
        raise TrainingError(f"cannot build features from {len(docs)} calls: {exc}") from exc
    x = with_rules(x, rules, docs)
    estimators, thresholds, skipped = {}, {}, []
    report("train", 0, len(tags))
    for done, tag in enumerate(tags, 1):
        rows = np.array([known is None or known[i] is None or tag in known[i]  # type: ignore[operator]
                         for i in range(len(docs))])  # fmt: skip
        y = np.array([tag in label for label in labels])[rows]
        positives, negatives = int(y.sum()), int((~y).sum())
        if min(positives, negatives) < MIN_POSITIVES:
            skipped.append(tag)
            report("train", done, len(tags))
            continue
        splits = StratifiedKFold(min(folds, positives, negatives), shuffle=True, random_state=seed)
        xt = x[rows]
        p = cross_val_predict(_estimator(seed), xt, y, cv=splits, method="predict_proba")[:, 1]
        thresholds[tag] = best_threshold(y, p, PRECISION_FLOOR if positives >= FLOOR_SUPPORT
                                         else None)  # fmt: skip
        estimators[tag] = _estimator(seed).fit(xt, y)
        report("train", done, len(tags))
    if not estimators:
        raise TrainingError(
            f"no tag has {MIN_POSITIVES} positive and {MIN_POSITIVES} negative labels "
            f"among {len(docs)} calls"
        )
    meta = {"skipped_tags": skipped, "labels": len(docs), "data_hash": data_hash(docs, labels)}
    return TagModel(words, estimators, thresholds, meta, rules)


def data_hash(docs: Sequence[Document], labels: Sequence[set[str]]) -> str:
    digest = hashlib.sha256()
    for doc, label in zip(docs, labels, strict=True):
        digest.update(json.dumps([doc.identifier, doc.title, doc.summary, sorted(label)],
                                 ensure_ascii=False).encode())  # fmt: skip
    return digest.hexdigest()[:16]


def versions() -> dict[str, str]:
    return {
        "scikit-learn": sklearn.__version__,
        "numpy": np.__version__,
        "scipy": scipy.__version__,
        "python": platform.python_version(),
    }


def save_model(model: TagModel, path: Path) -> None:
    """Write the model and its metadata (date, data hash, library versions, metrics)."""
    import joblib

    model.meta.setdefault("created", datetime.now(UTC).isoformat(timespec="seconds"))
    model.meta["versions"] = versions()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    joblib.dump({"format": FORMAT, "meta": model.meta, "model": model}, tmp)
    tmp.replace(path)
    path.with_suffix(".json").write_text(json.dumps(model.meta, indent=2, default=str))


def load_model(path: Path) -> TagModel:
    """The model in ``path``. Raises ModelError (with the retrain hint) when the file is
    missing, unreadable, or was written by another scikit-learn version.

    Model files are pickles: load only files this tool wrote (they live beside the database)."""
    import joblib

    if not path.exists():
        raise ModelError(f"no model file at {path}")
    try:
        data = joblib.load(path)
    except Exception as exc:  # a corrupt or foreign file: whatever unpickling raises
        raise ModelError(f"cannot read model {path}: {exc.__class__.__name__}: {exc}") from exc
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise ModelError(f"{path} is not a funding-monitor model (format {FORMAT})")
    saved = data["meta"].get("versions", {}).get("scikit-learn")
    if saved != sklearn.__version__:
        raise ModelError(
            f"model {path} was saved by scikit-learn {saved}; this is {sklearn.__version__}"
        )
    model = data["model"]
    if not isinstance(model, TagModel):
        raise ModelError(f"{path} holds no TagModel")
    return model
