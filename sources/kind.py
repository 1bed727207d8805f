"""What a source kind is: a name, declared settings, and its two halves (I/O and pure parse)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sources.records import CallRecord, FetchResult, SourceConfig
from sources.settings import Setting

if TYPE_CHECKING:  # the HTTP client (httpx) is loaded by whoever fetches
    from sources.http import HttpClient, ResponseCache


@dataclass(frozen=True)
class SourceKind:
    """One kind of source. ``fetch`` does all the I/O and returns a FetchResult (raising
    FetchError/ParseError); ``parse`` is pure and turns that result into CallRecords as at
    ``now``."""

    name: str
    description: str
    default_url: str
    settings: tuple[Setting, ...]
    fetch: Callable[[HttpClient, SourceConfig, ResponseCache | None], FetchResult]
    parse: Callable[[FetchResult, datetime], list[CallRecord]]

    def setting_help(self) -> list[tuple[str, Any, str]]:
        """(name, default, description) of every setting, for the CLI and README."""
        return [(s.name, s.default, s.description) for s in self.settings]
