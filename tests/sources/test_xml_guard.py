"""The checks before any XML parser sees an answer: entity bombs and cut-off feeds."""

from __future__ import annotations

import pytest

from sources import feed
from sources.errors import ParseError
from sources.xml_guard import MAX_ENTITIES, root_name, screen_feed
from tests.conftest import FIXTURES
from tests.hostile import entity_chain

EDCTP3 = FIXTURES / "feeds/edctp3/calls_rss_trimmed.xml"
HEADERS = {"content-type": "application/rss+xml"}


def test_an_entity_chain_is_refused_unread_with_a_clear_error() -> None:
    with pytest.raises(ParseError, match=r"declares 100,000 XML entities .*entity bomb") as caught:
        feed.decode(entity_chain(100_000), HEADERS, "http://127.0.0.1/rss", "bomb")
    assert "source 'bomb'" in str(caught.value) and "http://127.0.0.1/rss" in str(caught.value)


def test_a_few_entities_are_not_refused() -> None:
    body = entity_chain(MAX_ENTITIES, hide_from_feedparser=False)
    assert len(feed.decode(body, HEADERS, "u", "s")["entries"]) == 1


def test_a_utf16_bomb_is_counted_too() -> None:
    body = entity_chain(1_000).decode().replace('version="1.0"', 'version="1.0" encoding="utf-16"')
    with pytest.raises(ParseError, match="declares 1,000 XML entities"):
        screen_feed(body.encode("utf-16"), source="s", url="u")


@pytest.mark.parametrize("cut", [100, 5_000, -40, -7])
def test_a_feed_cut_off_in_transit_fails(cut: int) -> None:
    body = EDCTP3.read_bytes()[:cut]
    with pytest.raises(
        ParseError, match=r"cut off: it ends \(.* bytes\) before its closing </rss>"
    ):
        feed.decode(body, HEADERS, "http://127.0.0.1/rss", "edctp3")


def test_a_whole_feed_with_trailing_comments_and_space_passes() -> None:
    body = EDCTP3.read_bytes() + b"\n<!-- served by cache -->\n\n"
    assert len(feed.decode(body, HEADERS, "u", "s")["entries"]) == 13


@pytest.mark.parametrize(
    ("document", "root"),
    [
        (b'\xef\xbb\xbf<?xml version="1.0"?><!-- a <b> --><rss/>', "rss"),
        (b'<!DOCTYPE feed [<!ENTITY a "<b>">]>\n<feed xmlns="x"></feed>', "feed"),
        (b"<rdf:RDF xmlns:rdf='r'></rdf:RDF>", "rdf"),
        (b"<!doctype html><html></html>", "html"),
        (b'{"json": true}', None),
    ],
)
def test_the_root_element_is_found_past_the_prolog(document: bytes, root: str | None) -> None:
    assert root_name(document) == root


def test_an_atom_feed_with_an_empty_root_passes() -> None:
    screen_feed(b'<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"/>', source="s",
                url="u")  # fmt: skip


def test_a_feed_indented_with_long_runs_of_spaces_is_screened_at_once() -> None:
    """Pretty-printed feeds have long runs of indentation; the check must stay linear."""
    body = EDCTP3.read_bytes().replace(b"<item>", b"\n" + b" " * 60 + b"<item>")
    assert len(feed.decode(body + b"\n" + b" " * 200, HEADERS, "u", "s")["entries"]) == 13
