"""Test doubles for the sources wing's ports."""

from __future__ import annotations

from sources.http import CachedResponse


class MemoryCache:
    """A ResponseCache kept in a dict."""

    def __init__(self) -> None:
        self.entries: dict[str, CachedResponse] = {}

    def get(self, url: str) -> CachedResponse | None:
        return self.entries.get(url)

    def put(self, url: str, entry: CachedResponse) -> None:
        self.entries[url] = entry
