"""The audit log: who changed what, when, before → after, for every change made by staff on a
staff page or by a command.

The face says who is acting (``acting``: the signed-in staff member's address for a staff
page's request, ``cli:<login>`` for a command) and each use case that changes something calls
``record``; a change made with no one acting (a researcher's own preferences, the scheduler's
jobs) is not staff's and is not recorded. Values are blanked of secrets before they are kept."""

from __future__ import annotations

import getpass
import logging
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from monitor.app.context import App

logger = logging.getLogger(__name__)

_ACTOR: ContextVar[str | None] = ContextVar("funding_monitor_actor", default=None)
MAX_VALUE = 2000  # characters of one value kept in the log


@dataclass(frozen=True)
class Event:
    id: int
    at: datetime
    actor: str
    action: str
    target: str
    before: dict[str, Any]
    after: dict[str, Any]


@contextmanager
def acting(actor: str) -> Iterator[None]:
    """Changes made inside the block are ``actor``'s."""
    token = _ACTOR.set(actor)
    try:
        yield
    finally:
        _ACTOR.reset(token)


def command_actor() -> str:
    """Who runs a command: ``cli:`` and the login name."""
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):  # no login name (a container's nameless uid)
        return "cli:unknown"


def actor() -> str | None:
    return _ACTOR.get()


def _safe(value: Any) -> Any:
    from monitor.redaction import redact

    if isinstance(value, str):
        text = redact(value)
        return text if len(text) <= MAX_VALUE else text[: MAX_VALUE - 1] + "…"
    if isinstance(value, Mapping):
        return {str(k): _safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_safe(v) for v in value]
    if value is None or isinstance(value, bool | int | float):
        return value
    return _safe(str(value))


def changed(
    before: Mapping[str, Any], after: Mapping[str, Any]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Only the fields whose value differs, before and after."""
    keys = [k for k in dict.fromkeys([*before, *after]) if before.get(k) != after.get(k)]
    return ({k: before.get(k) for k in keys if k in before},
            {k: after.get(k) for k in keys if k in after})  # fmt: skip


def record(app: App, action: str, target: str, before: Mapping[str, Any] | None = None,
           after: Mapping[str, Any] | None = None) -> None:  # fmt: skip
    """Keep one change made by whoever is ``acting`` (nothing when no one is). ``before`` and
    ``after`` are the changed fields' old and new values (``changed`` picks them)."""
    who = _ACTOR.get()
    if who is None:
        return
    from monitor.store.audit import add_event

    add_event(app.store(), app.now(), who, action, target, _safe(dict(before or {})),
              _safe(dict(after or {})))  # fmt: skip
    logger.info("audit actor=%s action=%s target=%s", who, action, target)


def events(app: App, *, actor: str | None = None, action: str | None = None,
           older_than: int | None = None, limit: int = 100) -> list[Event]:  # fmt: skip
    """The log, newest first (``action``: a whole action or its first part, "source")."""
    from monitor.store.audit import list_events

    rows = list_events(app.store(create=False), actor=actor, action=action,
                       older_than=older_than, limit=max(1, min(limit, 500)))  # fmt: skip
    return [Event(r.id or 0, r.at or datetime.min, r.actor, r.action, r.target, r.before,
                  r.after) for r in rows]  # fmt: skip
