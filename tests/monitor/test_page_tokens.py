"""Subscriber page links: signed per use, revoked with the subscriber's nonce."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from monitor.config import load_settings
from monitor.digests import tokens
from monitor.errors import ConfigError
from monitor.store import subscribers as subscriber_store
from monitor.store.db import open_store


@pytest.fixture
def settings(monkeypatch):
    monkeypatch.setenv("FUNDING_MONITOR_SECRET_KEY", "k" * 32)
    monkeypatch.setenv("FUNDING_MONITOR_PUBLIC_URL", "https://calls.example.org/")
    return load_settings(None)


def test_a_page_link_names_its_subscriber_until_revoked(db_url, settings) -> None:
    store = open_store(db_url)
    who = subscriber_store.add_subscriber(store, "email", "a@example.org")
    url = tokens.page_url(settings, who, "/feedback", call=12, vote="up")
    parts = urlsplit(url)
    assert (parts.scheme, parts.netloc, parts.path) == ("https", "calls.example.org", "/feedback")
    query = parse_qs(parts.query)
    assert query["call"] == ["12"] and query["vote"] == ["up"]
    assert tokens.subscriber_of(store, settings, query["token"][0]).id == who.id
    with pytest.raises(ConfigError, match="not valid"):  # another use's token is no key here
        tokens.subscriber_of(store, settings, tokens.token_for(settings, who) or "")
    subscriber_store.update_subscriber(store, who.id, token_nonce="f" * 32)
    with pytest.raises(ConfigError, match="revoked"):
        tokens.subscriber_of(store, settings, query["token"][0])


def test_no_link_without_a_public_url_or_a_key(db_url, monkeypatch) -> None:
    monkeypatch.setenv("FUNDING_MONITOR_SECRET_KEY", "k" * 32)
    who = subscriber_store.add_subscriber(open_store(db_url), "email", "b@example.org")
    assert tokens.page_url(load_settings(None), who, "/preferences") == ""
