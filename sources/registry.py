"""The registry of source kinds. Adding a kind is one module plus one line here."""

from __future__ import annotations

from sources import eu_ft, feed, grants_gov, page
from sources.errors import SettingError
from sources.kind import SourceKind

KINDS: dict[str, SourceKind] = {
    kind.name: kind
    for kind in (
        eu_ft.KIND,
        feed.KIND,
        grants_gov.KIND,
        page.KIND,
    )
}


def get_kind(name: str) -> SourceKind:
    """The kind called ``name``; SettingError listing the valid kinds otherwise."""
    try:
        return KINDS[name]
    except KeyError:
        valid = ", ".join(sorted(KINDS))
        raise SettingError(
            f"unknown source kind {name!r}; valid kinds: {valid}",
            hint="Pick one of the listed kinds with --kind.",
        ) from None
