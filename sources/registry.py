"""The registry of source kinds. Adding a kind is one module plus one line here.

A kind's module is imported when the kind is first asked for, so that a command that needs one
kind (``sources add --kind feed``) does not load the parsers of the others."""

from __future__ import annotations

from importlib import import_module

from sources.errors import SettingError
from sources.kind import SourceKind

MODULES: dict[str, str] = {  # kind name -> the module whose KIND it is
    "eu-ft": "sources.eu_ft",
    "feed": "sources.feed",
    "grants-gov": "sources.grants_gov",
    "manual": "sources.manual",
    "page": "sources.page",
}
# Kinds that are built in rather than added by a curator: their one source is made when first
# needed, and never fetched ("manual": the calls entered by hand, `calls add`).
BUILT_IN = frozenset({"manual"})


def addable() -> list[str]:
    """The kinds a curator may add a source of (`sources add --kind`), in name order."""
    return sorted(name for name in MODULES if name not in BUILT_IN)


def get_kind(name: str) -> SourceKind:
    """The kind called ``name``; SettingError listing the valid kinds otherwise."""
    try:
        module = MODULES[name]
    except (KeyError, TypeError):
        valid = ", ".join(addable())
        raise SettingError(
            f"unknown source kind {name!r}; valid kinds: {valid}",
            hint="Pick one of the listed kinds with --kind.",
        ) from None
    kind: SourceKind = import_module(module).KIND
    return kind


def all_kinds() -> list[SourceKind]:
    """Every kind, in name order."""
    return [get_kind(name) for name in sorted(MODULES)]
