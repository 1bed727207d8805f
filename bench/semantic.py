"""Semantic-feature benchmark (issue #16): does a static embedding beside TF-IDF tag better?

The embedding is WordLlama's (``pip install wordllama==0.3.9``: its wheel holds the 16 MB
``l2_supercat_256`` weights *and* the tokenizer; 0.4.0 ships the weights without the tokenizer
and fetches it). It is loaded from the package folder, downloads off: no weights are fetched.

Per tag, on the shipped labels, 5-fold cross-validation of the model layer (one logistic
regression per tag, its threshold chosen for precision in an inner cross-validation, as
``classifiers.model.train`` does) with three feature sets: TF-IDF and the rule columns
(what ships), the same with the embedding beside it, and the per-tag choice between the two
made by an inner cross-validation inside each outer fold (nested: what "keep it where it
pays" would deploy).
Prints P/R/F1 per tag and the macro F1, the time to embed, and the embedding's memory.

    python bench/semantic.py [--weight 0.5]
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from importlib import resources
from pathlib import Path

import numpy as np
import scipy.sparse as sp
from sklearn.model_selection import StratifiedKFold, cross_val_predict

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from classifiers.document import document_from  # noqa: E402
from classifiers.model import (  # noqa: E402
    FLOOR_SUPPORT,
    PRECISION_FLOOR,
    _estimator,
    _vectorizer,
    best_threshold,
    with_rules,
)
from classifiers.rules import Rules  # noqa: E402
from classifiers.taxonomy import load_taxonomy  # noqa: E402


def embedder():  # type: ignore[no-untyped-def]
    """WordLlama from its package folder only (no download path is reachable)."""
    from safetensors import safe_open
    from tokenizers import Tokenizer
    from wordllama.inference import WordLlamaInference

    root = resources.files("wordllama")
    tokenizer = Tokenizer.from_file(str(root / "tokenizers" / "l2_supercat_tokenizer_config.json"))
    weights = str(root / "weights" / "l2_supercat_256.safetensors")
    with safe_open(weights, framework="np", device="cpu") as f:
        table = f.get_tensor("embedding.weight")
    return WordLlamaInference(table, tokenizer, binary=False), table.nbytes


def fitted_threshold(x: sp.csr_matrix, y: np.ndarray) -> float:
    folds = min(3, int(y.sum()), int((~y).sum()))
    cv = StratifiedKFold(folds, shuffle=True, random_state=0)
    p = cross_val_predict(_estimator(0), x, y, method="predict_proba", cv=cv)[:, 1]
    return best_threshold(y, p, PRECISION_FLOOR if y.sum() >= FLOOR_SUPPORT else None)


def inner_f1(x: sp.csr_matrix, y: np.ndarray) -> float:
    folds = min(3, int(y.sum()), int((~y).sum()))
    cv = StratifiedKFold(folds, shuffle=True, random_state=1)
    p = cross_val_predict(_estimator(0), x, y, method="predict_proba", cv=cv)[:, 1]
    given = p >= best_threshold(y, p, PRECISION_FLOOR if y.sum() >= FLOOR_SUPPORT else None)
    tp = float((given & y).sum())
    return 2 * tp / (given.sum() + y.sum()) if tp else 0.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--weight", type=float, default=0.5, help="the embedding's scale")
    args = parser.parse_args()
    try:
        started = time.perf_counter()
        model, table_bytes = embedder()
        loaded = time.perf_counter() - started
    except ImportError:
        sys.exit("wordllama is not installed: pip install wordllama==0.3.9")
    taxonomy = load_taxonomy()
    text = (ROOT / "classifiers" / "data" / "labels.jsonl").read_text("utf-8")
    rows = [json.loads(line) for line in text.splitlines() if line.strip()]
    docs = [document_from(r) for r in rows]
    labels = [taxonomy.with_parents(r["tags"]) for r in rows]
    started = time.perf_counter()
    dense = model.embed([d.text for d in docs], norm=True) * args.weight
    embedded = time.perf_counter() - started
    print(f"{len(docs)} labelled calls; WordLlama loaded in {loaded:.2f} s "
          f"({table_bytes / 2**20:.0f} MB table), embedded in {embedded:.2f} s "
          f"({len(docs) / embedded:,.0f} calls/s); peak RSS "
          f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")  # fmt: skip
    methods = ("tf-idf", "tf-idf+embedding", "nested choice")
    totals = {m: {} for m in methods}
    outer = StratifiedKFold(5, shuffle=True, random_state=0)
    for tag in taxonomy.leaves():
        y = np.array([tag in label for label in labels])
        if y.sum() < 5:
            continue
        given = {m: np.zeros(len(y), bool) for m in methods}
        chose = 0
        for train_idx, test_idx in outer.split(np.zeros(len(y)), y):
            words = _vectorizer().fit([docs[i] for i in train_idx])
            x = with_rules(words.transform(docs), Rules(taxonomy), docs)
            both = sp.hstack([x, sp.csr_matrix(dense)]).tocsr()
            yt = y[train_idx]
            use_both = inner_f1(both[train_idx], yt) > inner_f1(x[train_idx], yt) + 0.01
            chose += use_both
            for method, features in (("tf-idf", x), ("tf-idf+embedding", both),
                                     ("nested choice", both if use_both else x)):  # fmt: skip
                threshold = fitted_threshold(features[train_idx], yt)
                estimator = _estimator(0).fit(features[train_idx], yt)
                p = estimator.predict_proba(features[test_idx])[:, 1]
                given[method][test_idx] = p >= threshold
        line = []
        for method in methods:
            tp = float((given[method] & y).sum())
            precision = tp / given[method].sum() if given[method].sum() else 0.0
            recall = tp / y.sum()
            f1 = 2 * precision * recall / (precision + recall) if tp else 0.0
            totals[method][tag] = f1
            line.append(f"{precision:.2f}/{recall:.2f}/{f1:.2f}")
        print(
            f"  {tag:<24} n={int(y.sum()):>4}  "
            + "   ".join(line)
            + f"   (embedding chosen in {chose} of 5 folds)"
        )
    print("  P/R/F1 per tag: " + " | ".join(methods))
    for method in methods:
        print(f"  macro F1 {method:<18} {np.mean(list(totals[method].values())):.3f}")


if __name__ == "__main__":
    main()
