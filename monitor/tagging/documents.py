"""Stored calls as the classifiers read them: their text, and the countries the curators noted
for their source's funder (the catalogue's hints), which the rules take as structured
evidence (a US or Canadian funder for a tag that requires one)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from classifiers.document import Document, document_from
from monitor.store import tags as tag_store
from monitor.store.db import Store


def documents(store: Store, calls: Sequence[Any]) -> list[Document]:
    """``calls`` (stored calls, or mappings with their ``source_id``) as Documents."""
    countries = tag_store.source_countries(store)
    return [document_from(call, countries.get(_source_id(call), ())) for call in calls]


def _source_id(call: Any) -> int:
    found = call.get("source_id") if isinstance(call, Mapping) else getattr(call, "source_id", 0)
    return int(found or 0)
