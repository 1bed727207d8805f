"""Hostile payloads, made by the tests (never recorded from anybody): an XML entity bomb and
parsers that crash the way a C library does."""

from __future__ import annotations

import os
import signal
import time
from datetime import datetime

import feedparser

from sources.records import CallRecord, FetchResult


def entity_chain(levels: int, *, hide_from_feedparser: bool = True) -> bytes:
    """An RSS feed whose one title expands a chain of ``levels`` nested internal entities,
    each naming the one before. The comment with ``<x`` ahead of the DOCTYPE makes
    feedparser's own DOCTYPE filter miss the declarations, so they reach expat, which
    (Python 3.11's bundled 2.5.0) recurses once per level and overflows its stack."""
    declarations = ['<!ENTITY e0 "x">']
    declarations += [f'<!ENTITY e{i} "&e{i - 1};">' for i in range(1, levels)]
    comment = "<!-- <x -->\n" if hide_from_feedparser else ""
    return (
        f'<?xml version="1.0"?>\n{comment}<!DOCTYPE rss [{"".join(declarations)}]>\n'
        f'<rss version="2.0"><channel><title>t</title><item><title>&e{levels - 1};</title>'
        "<link>https://example.org/a</link></item></channel></rss>"
    ).encode()


def expat_bomb(result: FetchResult, now: datetime) -> list[CallRecord]:
    """A parse that hands the payload to expat unguarded: SIGSEGV on an entity chain."""
    feedparser.parse(result.pages[0].data["content"])
    return []


def segfault(result: FetchResult, now: datetime) -> list[CallRecord]:
    os.kill(os.getpid(), signal.SIGSEGV)
    return []


def die(result: FetchResult, now: datetime) -> list[CallRecord]:
    """A parse that kills its process, as the kernel's OOM killer would."""
    os._exit(3)


def divide(result: FetchResult, now: datetime) -> list[CallRecord]:
    """A parser bug meeting an answer it did not expect."""
    return [] if 1 / 0 else []


def endless(result: FetchResult, now: datetime) -> list[CallRecord]:
    """A parse that never ends, as a parser driven into a loop by its input would."""
    while True:
        time.sleep(0.05)
