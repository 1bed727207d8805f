"""Errors of the classifiers wing.

    ClassifierError        anything that stops tagging or training
    ├── TaxonomyError      a tag or taxonomy file is invalid (names the tag and the field)
    ├── ModelError         a model file is missing, corrupt or from another library version
    └── TrainingError      the labels cannot train a model (too few, one class only)

Each carries a hint an operator can act on.
"""

from __future__ import annotations


class ClassifierError(Exception):
    default_hint = ""

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.hint = hint if hint is not None else self.default_hint


class TaxonomyError(ClassifierError):
    default_hint = "Fix the tag with `funding-monitor tags edit` or in the taxonomy file."


class ModelError(ClassifierError):
    default_hint = "Retrain with `funding-monitor train`; until then tags come from the rules."


class TrainingError(ClassifierError):
    default_hint = "Label more calls with `funding-monitor label CALL TAG [--not]`."
