"""Tagging benchmark: throughput of tagging, and the time to retrain on 5,000 labels.

Measures, in one process, on the corpus calls (train.jsonl and extra-train.jsonl; never the
held-out file), cycled to the sizes asked:
  1. tagging N calls from their JSON fields (Document built, rules and model applied) with the
     rules alone, the model alone and the deployed per-tag choice;
  2. the two optimisations that were removed (issue #13), put back here only to show what
     they would buy, against the shipped path in the same process: a hand-written TF-IDF
     counting transform in place of sklearn's ``TfidfVectorizer.transform`` (alone and end to
     end), and the cyclic garbage collector paused around each batch;
  3. retraining (``classifiers.model.train``: TF-IDF, one logistic regression per tag and its
     threshold by inner cross-validation) on L labelled calls, and the whole ``train`` command's
     work (the same plus a 5-fold cross-validation that chooses each tag's combination).
The L labels for timing are the shipped hand labels plus corpus calls labelled by the tagger:
they are realistic text at the right size, not a quality measure.
Targets: >= 5,000 calls/s tagging; retrain on 5,000 labels <= 15 s.

    python bench/classify.py [--calls 12000] [--labels 5000]
"""

from __future__ import annotations

import argparse
import gc
import json
import resource
import sys
import time
from collections import Counter
from collections.abc import Callable, Sequence
from itertools import repeat
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from classifiers.document import Document, document_from  # noqa: E402
from classifiers.model import TagModel, train  # noqa: E402
from classifiers.tagger import Tagger  # noqa: E402
from classifiers.taxonomy import load_taxonomy  # noqa: E402
from monitor.tagging.training import TrainingData, fit, shipped_labels  # noqa: E402

CORPUS = [ROOT.parent / "shared/fixtures/corpus" / f for f in ("train.jsonl", "extra-train.jsonl")]


def corpus_rows() -> list[dict[str, object]]:
    rows = []
    for path in CORPUS:
        if not path.exists():
            sys.exit(f"corpus file {path} not found (the bench reads shared/fixtures/corpus)")
        rows += [json.loads(line) for line in path.read_text("utf-8").splitlines()]
    return rows


def cycled(rows: list[dict[str, object]], n: int) -> list[dict[str, object]]:
    return [{**rows[i % len(rows)], "identifier": f"{rows[i % len(rows)]['id']}#{i}"}
            for i in range(n)]  # fmt: skip


def rate(label: str, rows: list[dict[str, object]], tagger: Tagger, baseline: float | None,
         repeat: int = 3, gc_paused: bool = False) -> float:  # fmt: skip
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        if gc_paused:
            gc.disable()
        try:
            results = tagger.tag_mappings(rows)
        finally:
            gc.enable()
        best = min(best, time.perf_counter() - started)
    given = sum(len(r.scores) for r in results)
    per_s = len(rows) / best
    ratio = f"  {per_s / baseline:4.2f}x the shipped path" if baseline else ""
    print(f"  {label:<52} {best:6.2f} s  {per_s:8,.0f} calls/s  tags given {given:>6}{ratio}")
    return per_s


class CountingWords:
    """sklearn's fitted TfidfVectorizer with the hand-written transform that was removed from
    classifiers/model.py: C-level counting of each document's words instead of sklearn's
    per-token Python loop; the same rows (checked below)."""

    def __init__(self, words: Any) -> None:
        self.words = words

    def transform(self, docs: Sequence[Document]) -> sp.csr_matrix:
        vocabulary, idf = self.words.vocabulary_, self.words.idf_
        words: list[str] = []
        counts: list[int] = []
        sizes: list[int] = []
        for doc in docs:
            counted = Counter(doc.lowered)  # the vocabulary holds no one-letter words
            words += counted
            counts += counted.values()
            sizes.append(len(counted))
        found = np.fromiter(map(vocabulary.get, words, repeat(-1)), np.int64, len(words))
        keep = found >= 0
        row_of = np.repeat(np.arange(len(docs)), sizes)[keep]
        indices = found[keep]
        data = (1.0 + np.log(np.asarray(counts, dtype=np.float64)[keep])) * idf[indices]
        indptr = np.concatenate([[0], np.cumsum(np.bincount(row_of, minlength=len(docs)))])
        x = sp.csr_matrix((data, indices, indptr), shape=(len(docs), len(idf)))
        x.sort_indices()
        norms = np.sqrt(np.asarray(x.multiply(x).sum(axis=1)).ravel())
        norms[norms == 0] = 1.0
        return sp.csr_matrix(sp.diags(1.0 / norms) @ x)


def best_of(work: Callable[[], object], repeat: int = 5) -> float:
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        work()
        best = min(best, time.perf_counter() - started)
    return best


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=12000)
    parser.add_argument("--labels", type=int, default=5000)
    args = parser.parse_args()
    taxonomy = load_taxonomy()
    rows = corpus_rows()
    print(f"{len(rows)} corpus calls, cycled to {args.calls} for tagging")
    model, _, seconds = fit(TrainingData(*shipped_labels(), [None] * 431), taxonomy)
    combination = model.meta["combination"]
    print(f"model trained on the {model.meta['labels']} shipped labels in {seconds:.2f} s")
    calls = cycled(rows, args.calls)
    print("tagging:")
    tagger = Tagger(taxonomy, model, combination)
    shipped = rate("deployed per-tag choice (the shipped path)", calls, tagger, None)
    rate("rules alone", calls, Tagger(taxonomy), shipped)
    rate("model alone", calls, Tagger(taxonomy, model, "model"), shipped)
    print("removed optimisations, measured against the shipped path:")
    counting = TagModel(CountingWords(model.words), model.estimators, model.thresholds,  # type: ignore[arg-type]
                        model.meta)  # fmt: skip
    docs = [document_from(r) for r in calls]
    assert abs(counting.words.transform(docs) - model.words.transform(docs)).max() < 1e-12
    sklearn_s = best_of(lambda: model.words.transform(docs))
    counting_s = best_of(lambda: counting.words.transform(docs))
    print(f"  TF-IDF transform alone: sklearn {sklearn_s:.3f} s, hand-written counting "
          f"{counting_s:.3f} s ({sklearn_s / counting_s:.2f}x)")  # fmt: skip
    rate("hand-written TF-IDF counting transform", calls,
         Tagger(taxonomy, counting, combination), shipped)  # fmt: skip
    rate("garbage collector paused around the batch", calls, tagger, shipped, gc_paused=True)
    rate("both", calls, Tagger(taxonomy, counting, combination), shipped, gc_paused=True)

    docs, labels = shipped_labels()
    extra = cycled(rows, args.labels - len(docs))
    extra_docs = [document_from(r) for r in extra]
    extra_labels = [set(r.scores) for r in tagger.tag(extra_docs)]
    all_docs: list[Document] = docs + extra_docs
    all_labels = [taxonomy.with_parents(label) for label in labels] + extra_labels
    print(f"retraining on {len(all_docs)} labels ({len(docs)} by hand, the rest by the tagger):")
    started = time.perf_counter()
    retrained = train(all_docs, all_labels, taxonomy.leaves())
    took = time.perf_counter() - started
    print(f"  train (TF-IDF + {len(retrained.estimators)} estimators + thresholds) "
          f"{took:6.2f} s  vocabulary {len(retrained.words.vocabulary_):,}")  # fmt: skip
    started = time.perf_counter()
    fit(TrainingData(all_docs, all_labels, [None] * len(all_docs)), taxonomy)
    print(f"  the `train` command's work (train + 5-fold CV to choose)  "
          f"{time.perf_counter() - started:6.2f} s")  # fmt: skip
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS {rss:.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
