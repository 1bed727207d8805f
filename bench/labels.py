"""Label benchmark (issue #16): how far the shipped labels agree with three independent readers,
before and after their correction, and what the tagger scores on them.

1. Agreement on the calls both labelled: the labels of a git revision (``--before``, the
   labels as first shipped by default) and the current ones against the readers' majority,
   per tag (ours, theirs, both, F1), and each reader against the majority for scale.
2. A fresh reader who labelled the readers' calls blind, following the corrected rules of
   ``classifiers/data/LABELS.md`` (``bench/data/blind-reader.jsonl``), against the majority:
   whether those rules are the readers' way of reading the definitions.
3. What the correction changed on the first-shipped calls: tags given and removed, per tag.
4. With ``--cv``: nested cross-validated figures per tag, as deployed, with 95% bootstrap
   intervals, on the labels of ``--before`` and on the current ones (the current code on both).

The readers' labels are kept in ``labels.jsonl`` itself (``readers`` on their calls). Never
reads the held-out corpus.

    python bench/labels.py [--before REV] [--cv]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from classifiers.document import document_from  # noqa: E402
from classifiers.evaluation import cross_validate  # noqa: E402
from classifiers.taxonomy import load_taxonomy  # noqa: E402

LABELS = ROOT / "classifiers" / "data" / "labels.jsonl"
BLIND = ROOT / "bench" / "data" / "blind-reader.jsonl"
FIRST = "f8453eb"  # the commit that first shipped labels.jsonl (431 calls, one reader)


def rows_at(revision: str | None) -> list[dict[str, Any]]:
    if revision is None:
        text = LABELS.read_text("utf-8")
    else:
        text = subprocess.run(["git", "-C", str(ROOT), "show",
                               f"{revision}:classifiers/data/labels.jsonl"],
                              check=True, capture_output=True, text=True).stdout  # fmt: skip
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def agreement(ours: dict[str, set[str]], theirs: dict[str, set[str]], tags: list[str]) -> str:
    common = sorted(set(ours) & set(theirs))
    lines = [f"  {len(common)} calls; per tag: ours / majority / both, F1",
             f"  {'tag':<24} {'ours':>5} {'theirs':>6} {'both':>5} {'F1':>6}"]  # fmt: skip
    f1s = []
    for tag in tags:
        a = sum(tag in ours[i] for i in common)
        b = sum(tag in theirs[i] for i in common)
        both = sum(tag in ours[i] and tag in theirs[i] for i in common)
        f1 = 2 * both / (a + b) if a + b else None
        if f1 is not None:
            f1s.append(f1)
        lines.append(f"  {tag:<24} {a:>5} {b:>6} {both:>5} "
                     f"{'—' if f1 is None else f'{f1:.2f}':>6}")  # fmt: skip
    if f1s:
        lines.append(f"  {'macro F1 (tags either gave)':<43} {sum(f1s) / len(f1s):>6.2f}")
    return "\n".join(lines)


def cv_table(rows: list[dict[str, Any]], taxonomy: Any) -> tuple[str, dict[str, Any]]:
    docs = [document_from(r) for r in rows]
    labels = [taxonomy.with_parents(r["tags"]) for r in rows]
    started = time.perf_counter()
    evaluation = cross_validate(docs, labels, taxonomy, nested=True)
    lines = [f"  {len(rows)} calls, 5-fold nested cross-validation, "
             f"{time.perf_counter() - started:.0f} s; as deployed, with 95% bootstrap intervals",
             f"  {'tag':<24} {'n':>4}  {'precision':<17} {'recall':<17} {'F1':<17}"]  # fmt: skip
    figures = {}
    for tag, n in evaluation.support.items():
        if not n:
            continue
        f = figures[tag] = evaluation.deployed_figures(tag)
        cells = " ".join(
            f"{f[k]:.2f} [{f['interval'][k][0]:.2f}–{f['interval'][k][1]:.2f}]".ljust(17)
            for k in ("precision", "recall", "f1")
        )
        lines.append(f"  {tag:<24} {n:>4}  {cells}")
    big = [t for t, n in evaluation.support.items() if n >= 5]
    macro = sum(evaluation.counts["per-tag"][t].f1 for t in big) / len(big)
    lines.append(f"  macro F1 over the {len(big)} tags with >= 5 positives: {macro:.3f}")
    return "\n".join(lines), figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--before", default=FIRST, help="git revision of the labels before")
    parser.add_argument("--cv", action="store_true", help="also the nested cross-validation")
    args = parser.parse_args()
    taxonomy = load_taxonomy()
    tags = [t for t in taxonomy.ids if t != "global-actor"] + ["global-actor"]
    before, after = rows_at(args.before), rows_at(None)
    readers = {r["identifier"]: r for r in after if r.get("readers")}
    majority = {i: set(r["tags"]) for i, r in readers.items()}
    print(f"labels {args.before}: {len(before)} calls; now: {len(after)} calls, "
          f"{len(readers)} of them labelled by three readers")  # fmt: skip

    print(f"\n1. against the readers' majority, the labels of {args.before}:")
    print(agreement({r["identifier"]: set(r["tags"]) for r in before}, majority, tags))
    print("   the current labels (the readers' majority is taken where they labelled):")
    print(agreement({r["identifier"]: set(r["tags"]) for r in after}, majority, tags))
    for n in range(3):
        one = {i: set(r["readers"][n]) for i, r in readers.items()}
        scores = agreement(one, majority, tags).splitlines()[-1].split()[-1]
        print(f"   reader {n + 1} against the majority: macro F1 {scores}")

    if BLIND.exists():
        blind = {json.loads(line)["identifier"]: set(json.loads(line)["tags"])
                 for line in BLIND.read_text("utf-8").splitlines() if line.strip()}  # fmt: skip
        print("\n2. a fresh reader, blind, following LABELS.md, against the readers' majority:")
        print(agreement(blind, majority, tags))

    print(f"\n3. what the correction changed on the {len(before)} calls of {args.before}:")
    now = {r["identifier"]: set(r["tags"]) for r in after}
    for tag in tags:
        gained = sum(tag in now.get(r["identifier"], set()) and tag not in r["tags"]
                     for r in before)  # fmt: skip
        lost = sum(tag not in now.get(r["identifier"], set()) and tag in r["tags"]
                   for r in before)  # fmt: skip
        print(f"  {tag:<24} +{gained:<4} -{lost}")
    changed = sum(now.get(r["identifier"]) != set(r["tags"]) for r in before)
    print(f"  calls whose tags changed: {changed} of {len(before)}")

    if args.cv:
        for name, rows in ((f"labels of {args.before}", before), ("current labels", after)):
            print(f"\n4. {name}:")
            print(cv_table(rows, taxonomy)[0])


if __name__ == "__main__":
    main()
