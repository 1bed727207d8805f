"""Declared, validated settings for source kinds (`sources add --set KEY=VALUE`)."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import time
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sources.errors import SettingError


@dataclass(frozen=True, slots=True)
class Setting:
    """One setting of a source kind: its name, default, a one-line description and a parser
    that turns the text given on the command line into a value (raising ValueError)."""

    name: str
    default: Any
    description: str
    parse: Callable[[str], Any] = str


def validate(kind: str, specs: tuple[Setting, ...], given: Mapping[str, Any]) -> dict[str, Any]:
    """Defaults overlaid with ``given`` (text or already-typed values), each parsed.

    Raises SettingError naming the kind and key for an unknown key or a value that won't parse.
    """
    by_name = {spec.name: spec for spec in specs}
    unknown = sorted(set(given) - set(by_name))
    if unknown:
        valid = ", ".join(sorted(by_name)) or "(none)"
        raise SettingError(
            f"unknown setting(s) {', '.join(unknown)} for kind {kind!r}; valid: {valid}"
        )
    values = {spec.name: spec.default for spec in specs}
    for key, raw in given.items():
        spec = by_name[key]
        try:
            values[key] = spec.parse(raw) if isinstance(raw, str) else spec.parse(str(raw))
        except (ValueError, TypeError) as exc:
            raise SettingError(
                f"setting {key}={raw!r} for kind {kind!r} is invalid: {exc}"
            ) from exc
    return values


def csv_list(text: str) -> tuple[str, ...]:
    """'a, b,c' → ('a', 'b', 'c'); empty items dropped."""
    return tuple(item.strip() for item in text.split(",") if item.strip())


def bounded_int(low: int, high: int) -> Callable[[str], int]:
    """A parser for an integer in [low, high]."""

    def parse(text: str) -> int:
        value = int(text)
        if not low <= value <= high:
            raise ValueError(f"must be between {low} and {high}")
        return value

    return parse


def non_negative_float(text: str) -> float:
    value = float(text)
    if value < 0:
        raise ValueError("must be zero or more")
    return value


def boolean(text: str) -> bool:
    """'true'/'yes'/'on'/'1' or 'false'/'no'/'off'/'0'."""
    lowered = text.strip().lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off"):
        return False
    raise ValueError("use true or false")


def choice(*options: str) -> Callable[[str], str]:
    """A parser accepting one of ``options``."""

    def parse(text: str) -> str:
        if text not in options:
            raise ValueError(f"must be one of {', '.join(options)}")
        return text

    return parse


def zone_setting(text: str) -> str:
    """A setting parser for an IANA time zone name."""
    try:
        ZoneInfo(text)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown time zone {text!r}") from exc
    return text


def clock_setting(text: str) -> str:
    """A setting parser for a time of day, HH:MM."""
    if not re.fullmatch(r"\d{2}:\d{2}", text):
        raise ValueError("use HH:MM")
    time.fromisoformat(text)
    return text
