"""Fetching as a command runs it: the enabled sources (or one, even if disabled), through one
polite HTTP client, each source's report as it finishes."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence

from monitor.app.context import App
from monitor.app.jobs import fetch_sources, polite_http
from monitor.errors import ConfigError
from monitor.ingest.runs import SourceReport
from monitor.store import sources as source_store
from monitor.store.tables import Source
from sources.registry import BUILT_IN


def due(app: App, only: str | None = None) -> list[Source]:
    """The sources a fetch runs: the enabled ones, or the one named (enabled or not; a
    built-in kind's, never fetched, is a ConfigError)."""
    store = app.store()
    if only:
        source = source_store.get_source(store, only)
        if source.kind in BUILT_IN:
            raise ConfigError(
                f"source {only!r} holds the calls entered by hand: it is never fetched",
                hint="Use `funding-monitor calls add|edit|import`.",
            )
        return [source]
    return source_store.list_sources(store, enabled_only=True)


def fetch(
    app: App,
    sources: Sequence[Source],
    *,
    on_done: Callable[[SourceReport], None] | None = None,
    stop: threading.Event | None = None,
) -> list[SourceReport]:
    """Fetch and store ``sources`` with the settings' concurrency; ``on_done`` hears of each.
    Once ``stop`` is set, the sources not started yet are left out (their runs cancelled)
    and those under way finish and are stored."""
    with polite_http(app.settings) as http:
        return fetch_sources(app.store(), app.settings, list(sources), http, on_done=on_done,
                             stop=stop)  # fmt: skip
