"""Checks on an XML answer before any parser sees it: no entity bombs, no cut-off documents.

Python's bundled expat expands nested internal entities recursively: a document declaring a
chain of 100,000 entities, each naming the one before, overflows its stack and kills the
process (SIGSEGV), and feedparser's own DOCTYPE filter can be sidestepped. Real feeds declare no
entities of their own, or a handful, so a document declaring more than ``MAX_ENTITIES`` is
refused unread. And a feed whose root element is never closed was cut off in transit: it must
fail its run rather than be stored in part (which would mark the missing calls unseen).
"""

from __future__ import annotations

import re

from sources.errors import ParseError

MAX_ENTITIES = 32
FEED_ROOTS = frozenset({"rss", "feed", "rdf"})
_NAME = re.compile(rb"<([A-Za-z_][\w.:-]*)")
TAIL = 65_536  # bytes of the end of a document that the closing-tag check reads


def as_utf8(content: bytes) -> bytes:
    """The bytes to scan: UTF-16 documents (with a byte-order mark) re-encoded, others as is."""
    if content[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return content.decode("utf-16", errors="replace").encode("utf-8")
    return content


def root_name(content: bytes) -> str | None:
    """The local name of the root element, lower case, or None when there is none to find
    (not XML, or nothing but a prolog)."""
    at, size = 0, len(content)
    if content.startswith(b"\xef\xbb\xbf"):
        at = 3
    while at < size:
        while at < size and content[at : at + 1].isspace():
            at += 1
        if content.startswith(b"<?", at):
            end = content.find(b"?>", at)
            at = size if end < 0 else end + 2
        elif content.startswith(b"<!--", at):
            end = content.find(b"-->", at)
            at = size if end < 0 else end + 3
        elif content[at : at + 9].upper() == b"<!DOCTYPE":
            close, bracket = content.find(b">", at), content.find(b"[", at)
            if 0 <= bracket < close:
                close = content.find(b"]", bracket)
                close = content.find(b">", close) if close >= 0 else -1
            at = size if close < 0 else close + 1
        else:
            match = _NAME.match(content, at)
            return match.group(1).decode("ascii").rsplit(":", 1)[-1].lower() if match else None
    return None


def _without_trailer(text: bytes) -> bytes:
    """The document's last ``TAIL`` bytes without the whitespace, comments and processing
    instructions after its root element (a loop, not a regex: nested repetition over a run of
    indentation backtracks exponentially)."""
    body = text[-TAIL:].rstrip()
    while True:
        opener = b"<!--" if body.endswith(b"-->") else b"<?" if body.endswith(b"?>") else b""
        start = body.rfind(opener) if opener else -1
        if start < 0:
            return body
        body = body[:start].rstrip()


def screen_feed(content: bytes, *, source: str, url: str) -> None:
    """Raise ParseError for an answer that declares more than ``MAX_ENTITIES`` entities, or
    for a feed (RSS, Atom, RDF) whose root element is never closed."""
    text = as_utf8(content)
    declared = text.count(b"<!ENTITY")
    if declared > MAX_ENTITIES:
        raise ParseError(
            f"the document declares {declared:,} XML entities (more than {MAX_ENTITIES}); "
            "refused unread, as an entity bomb",
            source=source, url=url,
            hint="Real feeds declare few or no entities. If this one is genuine, ask its "
            "publisher to drop the DOCTYPE; the stored calls were left untouched.",
        )  # fmt: skip
    root = root_name(text)
    if root not in FEED_ROOTS:
        return
    body = _without_trailer(text)
    if re.search(rb"</(?:[\w.-]+:)?" + root.encode() + rb"\s*>\Z", body, re.IGNORECASE):
        return
    if re.search(rb"<(?:[\w.-]+:)?" + root.encode() + rb"\b[^>]*/>\s*\Z", body, re.IGNORECASE):
        return  # an empty root written <feed/>
    raise ParseError(
        f"the feed is cut off: it ends ({len(content):,} bytes) before its closing </{root}>",
        source=source, url=url,
        hint="The answer was truncated in transit or by the server; the run will be retried. "
        "The stored calls were left untouched (none is marked unseen).",
    )  # fmt: skip
