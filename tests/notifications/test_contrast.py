"""The HTML digest is readable in light and dark mode: every text's colour, as the template's
own CSS gives it (inherited where a rule sets none), has a contrast ratio of at least 4.5:1
(WCAG 2 AA) against the page's background, computed with WCAG's relative luminance."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

TEMPLATES = Path(__file__).resolve().parents[2] / "notifications" / "templates"
HTML = (TEMPLATES / "digest.html").read_text(encoding="utf-8")
ITEM = (TEMPLATES / "item.html").read_text(encoding="utf-8")
MAIL = (TEMPLATES.parent / "mail.py").read_text(encoding="utf-8")  # wraps each call's block
DARK = "@media (prefers-color-scheme:dark)"
# Where each text of the templates sits (its parent, for the colour it inherits).
PARENT = {"h1": ".page", "h2": ".page", "h3": ".page", ".note": ".page", ".note a": ".note",
          ".call": ".page", ".title": ".call", ".title a": ".title", ".summary": ".call",
          ".change": ".call", ".facts": ".call", ".id": ".facts", ".votes": ".call",
          ".votes a": ".votes", ".foot": ".page", ".foot a": ".foot"}  # fmt: skip


def luminance(colour: str) -> float:
    """WCAG 2's relative luminance of #rgb or #rrggbb."""
    digits = colour.lstrip("#")
    if len(digits) == 3:
        digits = "".join(d * 2 for d in digits)
    channels = [int(digits[i : i + 2], 16) / 255 for i in (0, 2, 4)]
    r, g, b = (c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(one: str, other: str) -> float:
    high, low = sorted((luminance(one), luminance(other)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def _rules(css: str) -> dict[str, dict[str, str]]:
    rules: dict[str, dict[str, str]] = {}
    for selectors, body in re.findall(r"([^{}]+)\{([^{}]*)\}", css):
        declarations = dict(
            (name.strip(), value.strip())
            for name, _, value in (d.partition(":") for d in body.split(";") if ":" in d)
        )
        for selector in selectors.split(","):
            rules.setdefault(" ".join(selector.split()), {}).update(declarations)
    return rules


def stylesheet() -> dict[str, dict[str, dict[str, str]]]:
    """The template's rules in each mode: {"light": {selector: {property: value}}, "dark": …}
    (dark: the light rules with the dark media query's on top)."""
    css = HTML[HTML.index("<style>") + 7 : HTML.index("</style>")]
    start = css.index(DARK)
    depth, end = 0, start
    for end in range(css.index("{", start), len(css)):
        depth += {"{": 1, "}": -1}.get(css[end], 0)
        if depth == 0:
            break
    light = _rules(css[:start] + css[end + 1 :])
    dark = {selector: dict(values) for selector, values in light.items()}
    for selector, values in _rules(css[css.index("{", start) + 1 : end]).items():
        dark.setdefault(selector, {}).update(values)
    return {"light": light, "dark": dark}


SHEET = stylesheet()


def colour_of(selector: str, mode: str) -> str:
    """The text colour ``selector`` shows in ``mode``: its own, or its parent's."""
    while selector:
        colour = SHEET[mode].get(selector, {}).get("color")
        if colour:
            return colour
        selector = PARENT.get(selector, "")
    raise AssertionError("the page sets no text colour")


def background(mode: str) -> str:
    return SHEET[mode][".page"]["background"]


def test_the_formula_is_wcags() -> None:
    assert contrast("#000", "#fff") == pytest.approx(21.0)
    assert contrast("#777", "#fff") == pytest.approx(4.48, abs=0.01)
    # what the dark-mode area heading had before: 1.1:1
    assert contrast("#4f0433", "#1c1c1c") == pytest.approx(1.1, abs=0.05)


@pytest.mark.parametrize("mode", ["light", "dark"])
@pytest.mark.parametrize("heading", ["h1", "h2", "h3"])
def test_the_headings_are_readable(mode: str, heading: str) -> None:
    ratio = contrast(colour_of(heading, mode), background(mode))
    assert ratio >= 4.5, f"{heading} in {mode} mode: {ratio:.2f}:1"


@pytest.mark.parametrize("mode", ["light", "dark"])
def test_every_text_is_readable(mode: str) -> None:
    coloured = {s for rules in SHEET.values() for s, values in rules.items() if "color" in values}
    assert coloured - {"body", ".page"} <= set(PARENT), "a new text rule: place it in PARENT"
    for selector in PARENT:
        ratio = contrast(colour_of(selector, mode), background(mode))
        assert ratio >= 4.5, f"{selector} in {mode} mode: {ratio:.2f}:1"


def test_every_class_the_templates_use_is_checked_and_sits_on_the_page() -> None:
    found = re.findall(r'class="([^"]+)"', HTML + ITEM + MAIL)
    used = {f".{name}" for names in found for name in names.split()}
    assert {".call", ".votes", ".title", ".foot"} <= used
    assert used - {".page"} <= set(PARENT)
    for mode in SHEET:  # no text box paints a background of its own (all sit on .page's)
        painted = {s for s, values in SHEET[mode].items()
                   if "background" in values or "background-color" in values}  # fmt: skip
        assert painted <= {"body", ".page"}, painted
