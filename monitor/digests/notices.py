"""Curators' notices: a source turned unhealthy, is still unhealthy (once a day), or recovered.

Each notice is a ledger delivery of kind ``notice`` whose period names the source, the health
event and the day (``eu-ft#12@2026-11-28``), so that each is planned once per curator.
"""

from __future__ import annotations

import logging
from datetime import datetime

from monitor.config import Settings
from monitor.store import ledger
from monitor.store.db import Store
from monitor.store.sources import source_events
from monitor.store.subscribers import list_subscribers
from monitor.store.tables import SourceEvent

logger = logging.getLogger(__name__)


def plan_notices(store: Store, settings: Settings, now: datetime) -> int:
    """Plan the notices due to every active curator; returns how many were planned."""
    curators = [s for s in list_subscribers(store, active_only=True) if s.role == "curator"]
    if not curators:
        return 0
    events: dict[str, list[SourceEvent]] = {}
    for name, event in source_events(store):  # newest first
        events.setdefault(name, []).append(event)
    today = now.astimezone(settings.zone).date().isoformat()
    notices = [n for name, history in events.items() if (n := _due(name, history, today))]
    if not notices:
        return 0
    told = ledger.existing(store, "notice", [period for period, _ in notices])
    spells = _spells_told(store)
    planned = []
    for period, payload in notices:
        spell = period.partition("@")[0]
        if payload["state"] == "unhealthy" and spell in spells:
            payload = {**payload, "state": "still-unhealthy"}
        if payload["state"] == "healthy" and payload.pop("after") not in spells:
            continue  # nobody was told it was down
        for curator in curators:
            if curator.id is not None and (curator.id, period) not in told:
                planned.append(ledger.Planned(curator.id, "notice", period, now, payload=payload))
    ledger.plan(store, planned)
    if planned:
        logger.info("notices planned=%d", len(planned))
    return len(planned)


def _due(name: str, history: list[SourceEvent], today: str) -> tuple[str, dict[str, str]] | None:
    """(period, payload) of the notice the source's latest health event calls for."""
    latest = history[0]
    since = latest.at.isoformat() if latest.at else ""
    if latest.kind == "unhealthy":
        payload = {"source": name, "state": "unhealthy", "reason": latest.reason, "since": since}
        return f"{name}#{latest.id}@{today}", payload
    before = next((e for e in history[1:] if e.kind == "unhealthy"), None)
    if latest.kind != "healthy" or before is None:
        return None
    payload = {"source": name, "state": "healthy", "reason": latest.reason or "",
               "since": since, "after": f"{name}#{before.id}"}  # fmt: skip
    return f"{name}#{latest.id}@recovered", payload


def _spells_told(store: Store) -> set[str]:
    """The unhealthy spells (``source#event``) that curators were already given a notice of."""
    return {period.partition("@")[0] for period in ledger.periods(store, "notice")}
