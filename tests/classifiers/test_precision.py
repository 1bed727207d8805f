"""Tags researchers can trust (issue #16): evidence a tag requires, the structure of a call as
evidence, explanations without function words, thresholds and choices for precision, bootstrap
intervals and the confusion per tag. On the shipped labels and on calls written here; never on
the held-out corpus."""

from __future__ import annotations

import json
from dataclasses import replace
from importlib import resources

import numpy as np
import pytest
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

from classifiers.document import Document, document_from
from classifiers.evaluation import Counts, Evaluation
from classifiers.evidence import EVIDENCE, signs
from classifiers.model import PRECISION_FLOOR, TagModel, best_threshold, train
from classifiers.rules import Rules
from classifiers.tagger import Tagger
from classifiers.taxonomy import load_taxonomy

TAXONOMY = load_taxonomy()
AFRICA_OFFICE = Document(
    "Support for a regional office in Africa",
    "Health support for an office coordinating partners in Kenya and Uganda.",
    "Global health", "Science for Africa Foundation",
)  # fmt: skip
MALARIA = Document(
    "Malaria vaccine trials in Uganda",
    "Clinical trials of malaria vaccines with African research sites; support for health "
    "research capacity.",
    funder="EDCTP3 Joint Undertaking",
)  # fmt: skip


@pytest.fixture(scope="module")
def model() -> TagModel:
    text = resources.files("classifiers").joinpath("data/labels.jsonl").read_text("utf-8")
    rows = [json.loads(line) for line in text.splitlines()]
    docs = [document_from(r) for r in rows]
    labels = [TAXONOMY.with_parents(r["tags"]) for r in rows]
    return train(docs, labels, TAXONOMY.leaves(), rules=Rules(TAXONOMY))  # as deployed


def test_north_america_needs_a_us_or_canadian_funder_partner_or_joint_action(model) -> None:
    rules = Rules(TAXONOMY)
    assert "north-america" in rules.lacking(AFRICA_OFFICE)
    assert "north-america" in rules.lacking(MALARIA)
    nih = Document("Research grants", funder="National Institutes of Health")
    joint = Document("EU-US cooperation on brain research", programme="Horizon Europe")
    state = Document("Seed grants for faculty", funder="University of Texas")
    for doc in (nih, joint, state):
        assert "north-america" not in rules.lacking(doc), doc.title
    # whatever the model's score, no layer gives the tag without that evidence
    for how in ("model", "union", "rules"):
        given = Tagger(TAXONOMY, model, how).tag([AFRICA_OFFICE, MALARIA, nih])
        assert "north-america" not in given[0].scores and "north-america" not in given[1].scores
        assert "north-america" in given[2].scores, how
    assert "global-health-lmic" in Tagger(TAXONOMY, model, "union").tag([MALARIA])[0].scores


def test_the_funder_country_its_source_notes_is_evidence_a_tag_may_require(model) -> None:
    """A US or Canadian funder's feed (the catalogue's ``countries``) gives north-america the
    evidence its text may not spell out; another country does not; nor is it a hit of its
    own, nor a word the model reads."""
    rules = Rules(TAXONOMY)
    grant = {"title": "Grants for community health research", "funder": "The Kresge Foundation",
             "summary": "Support for research on community health programmes."}  # fmt: skip
    assert "north-america" in rules.lacking(document_from(grant))
    for codes in (["US"], ["ca"], ["SE", "US"]):
        assert "north-america" not in rules.lacking(document_from(grant, codes)), codes
    assert "north-america" not in rules.lacking(document_from({**grant, "countries": ["US"]}))
    for codes in (["SE"], ["ZZ"], ["USA"], [42], "US"):  # another, unknown, not a code
        assert "north-america" in rules.lacking(document_from(grant, codes)), codes  # type: ignore[arg-type]
    assert rules.hits(document_from(grant, ["US"])) == rules.hits(document_from(grant))
    assert model.scores([document_from(grant, ["US"])]) == model.scores([document_from(grant)])
    found = rules._found(document_from(grant, ["US"]))
    assert {p.reason for p in found if p.kind == "requires"} >= {
        'evidence "US" (the funder\'s country, from its source)',
        'evidence "United States" (the funder\'s country, from its source)'}  # fmt: skip


def test_a_required_evidence_list_gates_a_tag_and_is_a_rule_field_like_the_others() -> None:
    tag = replace(TAXONOMY.tags["at-home"], requires=("students",))
    taxonomy = TAXONOMY.with_tag(tag)
    doc = Document("Virtual exchange for staff")
    assert "at-home" in Rules(TAXONOMY).hits(doc)
    assert "at-home" not in Rules(taxonomy).hits(doc) and Rules(taxonomy).lacking(doc) == [
        "north-america", "at-home"]  # fmt: skip
    assert "at-home" in Rules(taxonomy).hits(Document("Virtual exchange for students"))
    assert tag.as_dict()["requires"] == ["students"]


@pytest.mark.parametrize(
    ("doc", "expected"),
    [
        (Document("Trapped-ion platforms (IA)", identifier="HORIZON-CL4-2026-01-01"),
         ["§innovation-action"]),
        (Document("Hydrogen valleys", identifier="HORIZON-JU-CLEANH2-2026-02-03"),
         ["§joint-undertaking"]),
        (Document("Generative AI for CCAM (CCAM Partnership)", "A Research and Innovation Action."),
         ["§research-innovation-action", "§co-programmed-partnership"]),
        (Document("Soil health", "Projects must implement the multi-actor approach."),
         ["§multi-actor"]),
        (Document("Careers in Asia", "IAEA and the CSAs of Asia, an RIAs list"), []),
    ],
)  # fmt: skip
def test_the_call_structure_is_evidence_named_in_plain_words(doc, expected) -> None:
    assert signs(doc) == expected
    assert all(EVIDENCE[s] for s in expected)


def test_the_model_reads_the_structure_and_names_it_in_its_evidence(model) -> None:
    call = Document(
        "Hydrogen refuelling stations for heavy-duty vehicles (Clean Hydrogen Partnership)",
        "Innovation action of the Clean Hydrogen Joint Undertaking: demonstrate stations with "
        "operators and manufacturers.",
        "Horizon Europe", identifier="HORIZON-JU-CLEANH2-2025-03-01",
    )  # fmt: skip
    assert {"§innovation-action", "§joint-undertaking"} <= set(signs(call))
    terms = [t for t, _ in model.strongest_terms(call, "strategic-partnerships", k=20)]
    assert {EVIDENCE["§innovation-action"], EVIDENCE["§joint-undertaking"]} & set(terms), terms
    assert not any(t.startswith("§") for t in terms)


def test_strongest_terms_are_never_function_words_or_generic_ones(model) -> None:
    common = ("support", "call", "the", "an", "for", "of", "and", "research")
    for doc in (AFRICA_OFFICE, MALARIA):
        for tag in model.tags:
            terms = [t for t, _ in model.strongest_terms(doc, tag, k=20)]
            assert not set(terms) & ENGLISH_STOP_WORDS, (tag, terms)
            assert not set(terms) & set(common), (tag, terms)
    terms = [t for t, _ in model.strongest_terms(MALARIA, "global-health-lmic")]
    assert {"uganda", "malaria", "african"} & set(terms)


def test_a_threshold_chosen_for_precision_gives_up_recall_not_precision() -> None:
    y = np.array([True] * 10 + [False] * 10)
    p = np.array([0.9] * 6 + [0.4] * 4 + [0.4] * 3 + [0.1] * 7)
    assert best_threshold(y, p) == 0.4  # F1 0.87 at precision 0.77
    assert best_threshold(y, p, PRECISION_FLOOR) == 0.5  # precision 1.0, F1 0.75
    never = np.array([0.6] * 10 + [0.6] * 10)  # no threshold reaches the floor: the most precise
    assert best_threshold(y, never, PRECISION_FLOOR) in (0.05, 0.5, 0.6)


def _evaluation(rules: Counts, model: Counts, union: Counts, support: int) -> Evaluation:
    return Evaluation({"rules": {"t": rules}, "model": {"t": model}, "union": {"t": union}},
                      {"t": support})  # fmt: skip


def test_a_tag_with_twenty_labels_uses_the_best_combination_that_reaches_precision() -> None:
    precise, loose = Counts(tp=12, fp=2, fn=10), Counts(tp=20, fp=10, fn=2)  # P .86 / P .67
    assert _evaluation(precise, loose, loose, 22).choose() == {"t": "rules"}
    assert _evaluation(precise, loose, loose, 19).choose() == {"t": "union"}  # too few: F1
    vague = Counts(tp=10, fp=4, fn=12)  # none reach the floor: the most precise (P .71)
    assert _evaluation(vague, loose, loose, 22).choose() == {"t": "rules"}


def _measured(truth: list[set[str]], given: list[set[str]]) -> Evaluation:
    from classifiers.evaluation import score

    tags = ["a", "b"]
    return Evaluation({"model": score(truth, given, tags)}, {"a": 1, "b": 1}, gold=truth,
                      predicted={"model": given}, leaves=tags)  # fmt: skip


def test_bootstrap_intervals_hold_the_figure_and_narrow_with_more_calls() -> None:
    rng = np.random.default_rng(1)
    widths = []
    for n in (40, 400):
        truth = [{"a"} if rng.random() < 0.4 else set() for _ in range(n)]
        given = [t if rng.random() < 0.8 else ({"a"} - t) for t in truth]
        evaluation = _measured(truth, given)
        interval = evaluation.interval("model", "a")
        counts = evaluation.counts["model"]["a"]
        for name, point in (("precision", counts.precision), ("recall", counts.recall),
                            ("f1", counts.f1)):  # fmt: skip
            low, high = interval[name]
            assert 0 <= low <= point <= high <= 1, name
        widths.append(interval["f1"][1] - interval["f1"][0])
    assert widths[1] < widths[0] / 2


def test_the_confusion_says_which_tags_a_wrong_one_is_mistaken_for() -> None:
    truth = [{"b"}, {"b"}, set(), {"a"}, {"a"}]
    given = [{"a"}, {"a", "b"}, {"a"}, set(), {"b"}]
    confused = _measured(truth, given).confused("model", "a")
    assert confused["given_to"] == [("b", 2), ("none", 1)]  # the calls it was given to wrongly
    assert sorted(confused["missed_on"]) == [("b", 1), ("none", 1)]  # given instead of it
