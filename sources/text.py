"""HTML and text cleaning shared by every source kind (pure)."""

from __future__ import annotations

import re

import lxml.html
from lxml import etree

_BLOCK_TAGS = frozenset(
    ("p", "div", "br", "li", "ul", "ol", "tr", "table", "h1", "h2", "h3", "h4", "h5", "h6")
    + ("section", "article", "header", "footer", "blockquote", "pre", "dd", "dt", "dl", "hr")
)
# Control and zero-width characters (tab and newline are kept: they are whitespace).
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x84\x86-\x9f\u200b-\u200d\ufeff]")


def clean_line(text: str | None) -> str:
    """One line of plain text: control and zero-width characters removed, spaces folded."""
    if not text:
        return ""
    return " ".join(_CONTROL.sub("", text).split())


def html_to_text(html: str | None) -> str:
    """Readable plain text from an HTML fragment: block elements become line breaks, entities
    are decoded, scripts and styles dropped, control characters removed. Never raises on
    malformed markup; returns "" for empty input."""
    if not html or not html.strip():
        return ""
    if "<" not in html and "&" not in html:
        return _tidy(html)
    try:
        root = lxml.html.fragment_fromstring(html, create_parent="div")
    except (etree.ParserError, ValueError):
        return _tidy(re.sub(r"<[^>]*>", " ", html))
    etree.strip_elements(root, "script", "style", with_tail=False)
    return _tidy(_block_text(root))


def _block_text(root: lxml.html.HtmlElement) -> str:
    out: list[str] = []

    def walk(el: lxml.html.HtmlElement) -> None:
        tag = el.tag if isinstance(el.tag, str) else ""
        block = tag in _BLOCK_TAGS
        if block:
            out.append("\n")
        if tag and el.text:
            out.append(el.text)
        for child in el:
            walk(child)
            if child.tail:
                out.append(child.tail)
        if block:
            out.append("\n")

    walk(root)
    return "".join(out)


def _tidy(text: str) -> str:
    # str.split() folds every Unicode space (nbsp included) and is far faster than a regex.
    lines = (" ".join(line.split()) for line in _CONTROL.sub("", text).splitlines())
    return "\n".join(line for line in lines if line)
