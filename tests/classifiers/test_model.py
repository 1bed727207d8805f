"""The learned layer, the tagger's combinations and the cross-validated figures, on the shipped
labels (never on the held-out corpus)."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

import joblib
import numpy as np
import pytest

from classifiers.document import Document, document_from
from classifiers.errors import ModelError, TrainingError
from classifiers.evaluation import Counts, cross_validate, score
from classifiers.model import (
    RULE_WEIGHT,
    TagModel,
    best_threshold,
    load_model,
    normalise,
    save_model,
    train,
)
from classifiers.rules import Rules
from classifiers.tagger import RULE_SCORE, Tagger
from classifiers.taxonomy import load_taxonomy

TAXONOMY = load_taxonomy()


@pytest.fixture(scope="module")
def labelled() -> tuple[list[Document], list[set[str]]]:
    text = resources.files("classifiers").joinpath("data/labels.jsonl").read_text("utf-8")
    rows = [json.loads(line) for line in text.splitlines()]
    return [document_from(r) for r in rows], [TAXONOMY.with_parents(r["tags"]) for r in rows]


@pytest.fixture(scope="module")
def model(labelled) -> TagModel:
    docs, labels = labelled
    return train(docs, labels, TAXONOMY.leaves())


def test_the_shipped_labels_are_many_real_calls_with_every_tag() -> None:
    text = resources.files("classifiers").joinpath("data/labels.jsonl").read_text("utf-8")
    rows = [json.loads(line) for line in text.splitlines()]
    assert len(rows) >= 400 and len({r["identifier"] for r in rows}) == len(rows)
    assert not any("heldout" in r["corpus"] for r in rows)
    for tag in TAXONOMY.ids:
        assert sum(tag in r["tags"] for r in rows) >= 9, tag
    assert all(set(r["tags"]) <= set(TAXONOMY.ids) for r in rows)


def test_the_model_learns_every_tag_and_scores_a_clear_case(model: TagModel) -> None:
    assert set(model.tags) == set(TAXONOMY.leaves())
    [scores] = model.scores([Document(
        "Fogarty global health research training in low- and middle-income countries",
        "Training for researchers from LMICs in Uganda and Tanzania",
        "International Research and Research Training", "Fogarty International Center (NIH)",
    )])  # fmt: skip
    assert scores["global-health-lmic"] >= 0.5 and scores["north-america"] >= 0.5
    assert scores["visibility"] < 0.5


def test_the_scores_are_sklearns_pipeline_on_the_same_documents(model: TagModel, labelled) -> None:
    docs = labelled[0][:120] + [Document("Ωμέγα ünïcödé words never seen before"), Document("")]
    scores = model.scores(docs)
    for tag, estimator in model.estimators.items():
        p = estimator.predict_proba(model.words.transform(docs))[:, 1]
        expected = normalise(p, model.thresholds[tag])
        assert np.abs(np.array([s[tag] for s in scores]) - expected).max() < 1e-9, tag


def test_a_model_with_rules_reads_which_rules_fire_and_keeps_them(labelled, tmp_path) -> None:
    docs, labels = labelled
    rules = Rules(TAXONOMY)
    model = train(docs, labels, TAXONOMY.leaves(), rules=rules)
    doc = Document(
        "Erasmus+ KA220 cooperation partnerships in higher education",
        "Erasmus+ cooperation between universities on curricula",
        programme="ERASMUS+",
    )
    leaves, words = TAXONOMY.leaves(), len(model.words.get_feature_names_out())
    x = model.matrix([doc]).toarray()[0]
    assert x.shape == (words + len(leaves),)
    fired = {leaves[j] for j, v in enumerate(x[words:]) if v}
    assert fired == set(rules.hits(doc)) & set(leaves) and "erasmus-education" in fired
    assert set(x[words:][x[words:] > 0]) == {RULE_WEIGHT}
    # the model learned that the erasmus rules firing is a sign of the tag, and says so
    column = words + leaves.index("erasmus-education")
    assert model.estimators["erasmus-education"].coef_[0][column] > 0
    terms = [t for t, _ in model.strongest_terms(doc, "erasmus-education", 20)]
    assert "the erasmus-education rules fired" in terms
    # the rules travel with the saved model: the same scores once loaded
    save_model(model, tmp_path / "model.joblib")
    assert load_model(tmp_path / "model.joblib").scores([doc]) == model.scores([doc])


def test_strongest_terms_are_words_of_the_document(model: TagModel) -> None:
    doc = Document("Erasmus Mundus joint masters", "Scholarships for students in a joint degree")
    terms = [t for t, _ in model.strongest_terms(doc, "erasmus-education")]
    assert terms and set(terms) <= set(doc.lowered)


def test_thresholds_map_to_one_half() -> None:
    assert normalise(np.array([0.3]), 0.3)[0] == pytest.approx(0.5)
    assert normalise(np.array([0.0, 1.0]), 0.3).tolist() == [0.0, 1.0]
    y = np.array([True, True, False, False])
    assert best_threshold(y, np.array([0.9, 0.35, 0.3, 0.1])) == 0.35


def test_a_judged_subset_teaches_only_its_tags(labelled) -> None:
    docs, labels = labelled
    extra = [Document("Alumni science communication grant")] * 4
    known: list[set[str] | None] = [None] * len(docs) + [{"visibility"}] * 4
    trained = train(docs + extra, labels + [{"visibility"}] * 4, ["visibility", "at-home"],
                    known=known)  # fmt: skip
    assert trained.meta["labels"] == len(docs) + 4
    with pytest.raises(ValueError):
        train(docs, labels[:-1], ["visibility"])


def test_too_few_labels_is_a_training_error() -> None:
    docs = [Document("alumni grants round"), Document("alumni grants call")] * 2
    with pytest.raises(TrainingError, match="no tag has 3 positive and 3 negative labels"):
        train(docs, [{"visibility"}, set()] * 2, ["visibility"])
    with pytest.raises(TrainingError, match="cannot build features from 2 calls"):
        train([Document("a b c"), Document("a b d")], [{"visibility"}, set()], ["visibility"])


def test_a_saved_model_loads_back_and_refuses_other_versions(model, tmp_path: Path) -> None:
    path = tmp_path / "m.joblib"
    save_model(model, path)
    loaded = load_model(path)
    doc = [Document("Erasmus+ capacity building in higher education in Africa")]
    assert loaded.scores(doc) == model.scores(doc)
    assert json.loads(path.with_suffix(".json").read_text())["versions"]["scikit-learn"]
    data = joblib.load(path)
    data["meta"]["versions"]["scikit-learn"] = "0.1.0"
    joblib.dump(data, path)
    with pytest.raises(ModelError, match="saved by scikit-learn 0.1.0") as caught:
        load_model(path)
    assert "funding-monitor train" in caught.value.hint


@pytest.mark.parametrize("content", [b"", b"not a pickle at all", b"\x80\x04K\x01."])
def test_a_corrupt_or_foreign_model_file_is_a_model_error(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "m.joblib"
    path.write_bytes(content)
    with pytest.raises(ModelError):
        load_model(path)
    with pytest.raises(ModelError, match="no model file"):
        load_model(tmp_path / "missing.joblib")


def test_the_tagger_combines_rules_and_model_per_tag(model: TagModel) -> None:
    doc = Document("Coordination of Erasmus+ virtual exchanges", programme="Erasmus+")
    rules_only = Tagger(TAXONOMY).tag([doc])[0]
    assert rules_only.scores["at-home"] == RULE_SCORE
    assert rules_only.scores["global-actor"] == RULE_SCORE  # from its sub-tag
    assert "model" not in " ".join(r for rs in rules_only.reasons.values() for r in rs)
    mixed = Tagger(TAXONOMY, model, {"at-home": "model"}).tag([doc])[0]
    assert mixed.scores.get("at-home", 0) != RULE_SCORE
    union = Tagger(TAXONOMY, model, "union").tag([doc])[0]
    assert union.scores["at-home"] >= RULE_SCORE
    assert all(union.scores["global-actor"] >= union.scores[t]
               for t in union.scores if TAXONOMY.tags[t].parent)  # fmt: skip


def test_counts_and_cross_validation(labelled) -> None:
    counts = score([{"a"}, {"a"}, set()], [{"a"}, set(), {"a"}], ["a"])["a"]
    assert (counts.tp, counts.fp, counts.fn) == (1, 1, 1) and counts.f1 == pytest.approx(0.5)
    assert Counts().f1 == 0.0
    judged = score([{"a"}], [set()], ["a", "b"], known=[{"b"}])
    assert judged["a"].fn == 0
    docs, labels = labelled
    evaluation = cross_validate(docs[:200], labels[:200], TAXONOMY, folds=3)
    assert set(evaluation.counts) == {"rules", "model", "union"}
    assert 0.5 < evaluation.macro_f1("union") <= 1.0
    assert set(evaluation.choose()) == set(TAXONOMY.ids)


def test_training_and_cross_validation_report_growing_progress(labelled) -> None:
    docs, labels = labelled
    told: list[tuple[str, int, int]] = []
    train(docs[:200], labels[:200], TAXONOMY.leaves(), on_progress=lambda *a: told.append(a))
    leaves = len(TAXONOMY.leaves())
    assert told == [("train", n, leaves) for n in range(leaves + 1)]
    told.clear()
    cross_validate(docs[:200], labels[:200], TAXONOMY, folds=3,
                   on_progress=lambda *a: told.append(a))  # fmt: skip
    folds = [t for t in told if t[0] == "cross-validate"]
    assert folds == [("cross-validate", n, 3) for n in range(4)]
    assert {t[0] for t in told} == {"cross-validate"}  # the folds' own training is not told
