"""The staff pages' operator texts in Swedish (monitor.web.texts.operator): every kind's and
setting's description and every hint the application gives has its translation (a new one
without it fails here, not silently in English on a Swedish page), the health reasons with
figures in them are translated with their figures, and any other text (a server's own error
message) is shown as it is."""

from __future__ import annotations

import pytest

from classifiers.evidence import EVIDENCE
from monitor.app.source_shown import HINTS, hint
from monitor.store.sources import health_problem
from monitor.web.i18n import operator
from monitor.web.texts.operator import SV, swedish
from sources.registry import all_kinds


def _written() -> list[str]:
    """Every operator text the kinds and the hints table hold, in English."""
    texts = [advice for _, advice in HINTS] + list(EVIDENCE.values())
    for kind in all_kinds():
        texts += [kind.description, *(s.description for s in kind.settings)]
    return texts


@pytest.mark.parametrize("english", _written())
def test_every_kind_setting_and_hint_has_its_swedish(english: str) -> None:
    assert english in SV, f"no Swedish for {english!r} in monitor/web/texts/operator.py"
    assert swedish(english) != english


def test_nothing_is_translated_that_the_application_no_longer_says() -> None:
    written = set(_written()) | {"recovered", "listed twice: the first entry is taken",
                                  "the built-in catalogue"}  # fmt: skip
    assert set(SV) == written, sorted(set(SV) - written)  # stale entries would hide a rename


def test_health_reasons_keep_their_figures_and_the_error_they_quote() -> None:
    failing = health_problem(3, "HTTP 503 from funder", None, None, 2)
    assert failing and swedish(failing) == (
        "3 misslyckade körningar i rad; senaste felet: HTTP 503 from funder"
    )
    # the dashboard shows the reason without the error it quotes (that has its own column)
    assert swedish(failing.split(";")[0]) == "3 misslyckade körningar i rad"
    empty = health_problem(0, None, 0, 41, 2)
    assert empty and swedish(empty) == (
        "gav inga poster (den hade 41 förut): en ändrad sida eller ett ändrat flöde?"
    )


def test_the_models_fired_rules_are_named_in_swedish() -> None:
    assert (
        swedish("the eu-research-policy rules fired") == "reglerna för eu-research-policy slog till"
    )


def test_other_text_is_shown_as_it_is_and_english_pages_are_untouched() -> None:
    error = "HTTP 404: server answered 404 Not Found"
    assert swedish(error) == error
    assert swedish("12 failed runs in a row, more or less") == (
        "12 failed runs in a row, more or less"
    )  # not the whole pattern: not translated
    advice = hint(error)
    assert advice and operator("en")(advice) == advice and operator("sv")(advice) == SV[advice]
    assert operator("sv")(None) == "" and operator("en")(None) == ""


@pytest.mark.parametrize("language", ["en", "sv"])
def test_every_kind_of_rule_reason_is_said_in_plain_words(language: str) -> None:
    """What the rules store as a tag's evidence (``classifiers.rules.REASON``: 'phrase "X"',
    'evidence "X" (the funder's country, from its source)'…) reads as words on the pages."""
    from datetime import UTC, datetime

    from classifiers.rules import REASON
    from monitor.web.present import Present

    present = Present(language, "Europe/Stockholm", datetime.now(UTC))
    labels = {"eu-research-policy": {"en": "EU research policy", "sv": "EU:s forskningspolitik"}}
    stored = [f'{word} "Horizon Europe"' for word in REASON.values()]
    stored += [
        'evidence "US United States" (the funder\'s country, from its source)',
        'identifier "HORIZON-…"',
        "sub-tag eu-research-policy",
        "labelled by an admin",
    ]
    for reason in stored:
        said = present.reason(reason, labels)
        assert said != reason and '"' not in said, reason
    assert "United States" in present.reason(stored[-4], labels)
    assert labels["eu-research-policy"][language] in present.reason(stored[-2], labels)
