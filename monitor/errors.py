"""The application's errors.

    MonitorError          anything the CLI reports as "error: … / hint: …" with exit status 2
    ├── ConfigError       a setting, the config file or a command's arguments are wrong
    ├── StoreError        the database cannot be reached, migrated, read or written
    └── BusyError         another process holds the leader lock (exit status 3)

The wings have their own trees (sources.errors.SourceError, …); the CLI catches those too.
"""

from __future__ import annotations


class MonitorError(Exception):
    """Base of the application's errors: a message and a hint an operator can act on."""

    default_hint = ""

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.hint = hint if hint is not None else self.default_hint


class ConfigError(MonitorError):
    default_hint = "See the settings table in README.md."


class StoreError(MonitorError):
    default_hint = "Check FUNDING_MONITOR_DATABASE_URL and that the database server is running."


class BusyError(MonitorError):
    """Another process (a `serve` leader, another run) holds the leader lock."""

    exit_status = 3
    default_hint = (
        "A `serve` process already runs the jobs (see `funding-monitor status`); "
        "leave the work to it, or stop it first."
    )
