"""HTML and text cleaning shared by every source kind (pure)."""

from __future__ import annotations

import re

from lxml import etree

_BLOCK_TAGS = frozenset(
    ("p", "div", "br", "li", "ul", "ol", "tr", "table", "h1", "h2", "h3", "h4", "h5", "h6")
    + ("section", "article", "header", "footer", "blockquote", "pre", "dd", "dt", "dl", "hr")
)
# Control, zero-width and direction-control characters (tab and newline are kept: they are
# whitespace). Bidi embeddings, overrides and isolates (U+202A-U+202E, U+2066-U+2069) and the
# marks (U+200E, U+200F, U+061C) can make a title or identifier read differently from what it is.
_CONTROL = re.compile(
    r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x84\x86-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069"
    r"\u061c\ufeff]"
)


def clean_line(text: str | None) -> str:
    """One line of plain text: control, zero-width and direction-control characters removed,
    spaces folded."""
    if not text:
        return ""
    if text.isprintable() and "  " not in text:  # the common case, without a regex pass
        return text.strip()
    return " ".join(_CONTROL.sub("", text).split())


def html_to_text(html: str | None, max_html: int | None = None) -> str:
    """Readable plain text from an HTML fragment: block elements become line breaks, entities
    are decoded, scripts, styles and comments dropped, control characters removed. Never raises
    on malformed markup; returns "" for empty input. ``max_html`` reads only that many
    characters of a huge (or hostile) document; the parser recovers from the cut."""
    if not html or not html.strip():
        return ""
    if max_html is not None and len(html) > max_html:
        html = html[:max_html]
    html = _CONTROL.sub("", html)  # before parsing: lxml refuses control characters
    if "<" not in html and "&" not in html:
        return _tidy(html)
    try:
        root = etree.fromstring(html, etree.HTMLParser(remove_comments=True, remove_pis=True))
    except (etree.ParserError, etree.XMLSyntaxError, ValueError):
        root = None
    if root is None:  # nothing parseable: fall back to dropping anything tag-shaped
        return _tidy(re.sub(r"<[^>]*>", " ", html))
    etree.strip_elements(root, "script", "style", with_tail=False)
    # Mark block boundaries in place (C-level iteration over block tags only), then let lxml
    # serialise the text: far faster than walking every node in Python.
    for element in root.iter(*_BLOCK_TAGS):
        element.tail = "\n" + element.tail if element.tail else "\n"
        element.text = "\n" + element.text if element.text else "\n"
    return _tidy(etree.tostring(root, method="text", encoding="unicode"))


def _tidy(text: str) -> str:
    # str.split() folds every Unicode space (nbsp included) and is far faster than a regex.
    lines = (" ".join(line.split()) for line in text.splitlines())
    return "\n".join(line for line in lines if line)
