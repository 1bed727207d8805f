"""Rules and model together: scores and the evidence for each tag given.

A tag is given when its score reaches 0.5, and never without the evidence its rules require
(``requires``: a US or Canadian funder, partner or joint action for ``north-america``).
Combinations, for all tags or chosen per tag:
  rules   the rules alone (a rule that fires scores RULE_SCORE)
  model   the model alone; tags it has no estimator for fall back to the rules
  union   the higher of the two scores (a tag either layer gives is given)
Which one each tag uses is chosen by cross-validation (``classifiers.evaluation.choose``) and
kept in the model's metadata. A parent's score is the highest of its sub-tags'.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from classifiers.document import Document, document_from
from classifiers.model import TagModel
from classifiers.rules import Rules
from classifiers.taxonomy import Taxonomy

RULE_SCORE = 0.75
COMBINATIONS = ("rules", "model", "union")


@dataclass(frozen=True)
class TagResult:
    """The tags given to one call: tag id -> score, and tag id -> reasons."""

    scores: dict[str, float] = field(default_factory=dict)
    reasons: dict[str, list[str]] = field(default_factory=dict)


class Tagger:
    def __init__(
        self,
        taxonomy: Taxonomy,
        model: TagModel | None = None,
        combination: str | Mapping[str, str] = "union",
    ) -> None:
        self.taxonomy = taxonomy
        self.rules = Rules(taxonomy)
        self.model = model
        self.leaves = taxonomy.leaves()
        known = set(model.tags) if model else set()
        chosen = {t: combination for t in self.leaves} if isinstance(combination, str) else {
            t: combination.get(t, "union") for t in self.leaves
        }  # fmt: skip
        if any(c not in COMBINATIONS for c in chosen.values()):
            raise ValueError(f"combination must be one of {COMBINATIONS}")
        # without an estimator for a tag (no model, or too few labels) only its rules can speak
        self.combination = {t: c if t in known else "rules" for t, c in chosen.items()}

    def tag_mappings(self, rows: Sequence[Mapping[str, Any]]) -> list[TagResult]:
        """Tag calls given as mappings (``title``, ``summary``, ``programme``, ``funder``,
        ``identifier``): the batch path of ``classify --input`` and of the benchmark."""
        return self.tag([document_from(row) for row in rows])

    def tag(self, docs: Sequence[Document]) -> list[TagResult]:
        wanted = self.model and any(c != "rules" for c in self.combination.values())
        learned = self.model.scores(docs) if self.model and wanted else None
        results = []
        for i, doc in enumerate(docs):
            scores: dict[str, float] = {}
            reasons: dict[str, list[str]] = {}
            hits, lacking = self.rules.examine(doc)
            for tag in self.leaves:
                if tag in lacking:  # without the evidence it requires, no layer gives it
                    continue
                how = self.combination[tag]
                rule = RULE_SCORE if how != "model" and tag in hits else 0.0
                model = learned[i].get(tag, 0.0) if learned and how != "rules" else 0.0
                score = max(rule, model)
                if score >= 0.5:
                    scores[tag] = round(score, 4)
                    reasons[tag] = (hits.get(tag, []) if rule else []) + (
                        [f"model {model:.2f}"] if model >= 0.5 else []
                    )
            self._parents(scores, reasons)
            results.append(TagResult(scores, reasons))
        return results

    def _parents(self, scores: dict[str, float], reasons: dict[str, list[str]]) -> None:
        for tag in list(scores):
            parent = self.taxonomy.tags[tag].parent
            if parent:
                scores[parent] = max(scores.get(parent, 0.0), scores[tag])
                reasons.setdefault(parent, []).append(f"sub-tag {tag}")
