"""The taxonomy file and the explainable rules."""

from __future__ import annotations

import pytest

from classifiers.document import Document
from classifiers.errors import TaxonomyError
from classifiers.rules import Rules
from classifiers.taxonomy import Tag, dump_taxonomy, load_taxonomy, parse_taxonomy

AREAS = {"responsible", "global-actor", "visibility", "at-home"}
SUBS = {"eu-research-policy", "associated-countries", "erasmus-education", "global-health-lmic",
        "north-america", "strategic-partnerships"}  # fmt: skip


def test_the_default_taxonomy_has_the_plans_areas_and_sub_tags() -> None:
    taxonomy = load_taxonomy()
    assert set(taxonomy.ids) == AREAS | SUBS
    assert {t for t in taxonomy.ids if taxonomy.tags[t].parent == "global-actor"} == SUBS
    assert set(taxonomy.leaves()) == (AREAS - {"global-actor"}) | SUBS
    assert all(t.label_en and t.label_sv and t.description for t in taxonomy.tags.values())
    assert taxonomy.tags["at-home"].label_sv == "Internationalisering på hemmaplan"
    assert taxonomy.with_parents({"north-america"}) == {"north-america", "global-actor"}


def test_the_taxonomy_round_trips_through_toml() -> None:
    taxonomy = load_taxonomy()
    assert parse_taxonomy(dump_taxonomy(taxonomy)) == taxonomy


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        ('[[tag]]\nid = "x-y"\nlabel_en = "X"\n', "tag 'x-y': missing field 'label_sv'"),
        ('[[tag]]\nid = "Bad Id"\nlabel_en = "X"\nlabel_sv = "X"\n', "invalid tag id 'Bad Id'"),
        ('[[tag]]\nid = "ab"\nlabel_en = "X"\nlabel_sv = "X"\nphrases = "p"\n',
         "tag 'ab': 'phrases' must be a list of non-empty strings"),
        ('[[tag]]\nid = "ab"\nlabel_en = "X"\nlabel_sv = "X"\nparent = "zz"\n',
         "tag 'ab': parent 'zz' is not a tag"),
        ("version = 1\n", "no [[tag]] tables"),
        ("[[tag]\n", "not valid TOML"),
    ],
)  # fmt: skip
def test_a_bad_taxonomy_names_the_tag_and_the_field(toml: str, message: str) -> None:
    with pytest.raises(TaxonomyError) as caught:
        parse_taxonomy(toml, "mine.toml")
    assert message in str(caught.value)


def test_a_tag_with_sub_tags_cannot_be_removed() -> None:
    with pytest.raises(TaxonomyError, match="has sub-tags"):
        load_taxonomy().without("global-actor")
    assert "visibility" not in load_taxonomy().without("visibility").ids


def _hits(**fields: str) -> dict[str, list[str]]:
    return Rules(load_taxonomy()).hits(Document(**{"title": "", **fields}))


def test_phrases_match_whole_words_across_hyphens_and_case() -> None:
    hits = _hits(title="Dual-Use Export Controls in practice")
    assert hits["responsible"] == ['phrase "dual use"', 'phrase "dual-use"',
                                   'phrase "export control*"']  # fmt: skip
    assert "responsible" not in _hits(title="Residual usefulness of exports")


def test_acronyms_match_only_as_written() -> None:
    assert 'phrase "COIL"' in _hits(title="A COIL module with Kenya")["at-home"]
    assert "at-home" not in _hits(title="Coiled coil proteins in yeast")
    assert "north-america" in _hits(title="x", funder="U.S. Department of State")
    assert "north-america" not in _hits(title="x", funder="Stiftung für uns alle")


def test_a_wildcard_matches_any_ending_even_inside_a_phrase() -> None:
    assert 'phrase "internationali* of curricul*"' in _hits(
        title="Internationalization of curricula at home")["at-home"]  # fmt: skip


def test_programme_funder_and_identifier_hints_read_their_own_field() -> None:
    hits = _hits(title="Call", programme="Erasmus+ (ERASMUS)", identifier="ERASMUS-EDU-2026-X")
    assert hits["erasmus-education"] == [
        'identifier "ERASMUS-EDU-…"',
        'phrase "Erasmus+"',
        'programme "Erasmus"',
    ]  # the text the phrases read includes the programme
    assert hits["global-actor"] == ["sub-tag erasmus-education"]
    assert "north-america" not in _hits(title="The NIH of the future", funder="Wellcome")


def test_a_negative_phrase_vetoes_the_tag() -> None:
    assert "erasmus-education" not in _hits(title="#BeActive EU sport awards",
                                            programme="Erasmus+ (ERASMUS)")  # fmt: skip
    rules = Rules(load_taxonomy())
    assert rules.vetoes(Document("#BeActive EU sport awards")) == {
        "erasmus-education": "sport awards"
    }


def test_countries_give_the_lmic_tag_with_the_country_as_reason() -> None:
    assert _hits(title="Partnerships with Makerere University, Uganda")["global-health-lmic"] == [
        'country "Uganda"'
    ]


def test_a_new_tag_with_rules_is_matched() -> None:
    taxonomy = load_taxonomy().with_tag(
        Tag("one-health", "One Health", "En hälsa", phrases=("one health", "zoonos*"))
    )
    hits = Rules(taxonomy).hits(Document("Zoonoses at the human–animal interface"))
    assert hits["one-health"] == ['phrase "zoonos*"']
