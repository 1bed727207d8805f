"""The whole pipeline once (`run --once`) and the health check, as one-off commands run them:
holding the leader lock, so that they never act beside a `serve` process."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

from monitor.app.context import App
from monitor.app.jobs import Outcome, check_health, run_once
from monitor.store.leader import leading


def run(app: App, *, force: bool = False, stop: threading.Event | None = None) -> Outcome:
    """Fetch every enabled source, tag, send what is due (``force``: every digest)."""
    store = app.store()
    with leading(store):
        return run_once(store, app.settings, force=force, stop=stop)


def health(app: App, *, stop: threading.Event | None = None) -> Outcome:
    """Send the curators' notices of sources that turned unhealthy, stayed so or recovered."""
    store = app.store()
    with leading(store):  # it sends from the ledger too
        return check_health(store, app.settings, datetime.now(UTC), stop=stop)
