"""Politeness across threads: at most N requests at a time per origin, and a minimum interval
between the starts of two requests to one origin. Shared by every source of a run."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from urllib.parse import urlsplit


def origin(url: str) -> tuple[str, str, int]:
    """(scheme, host, port) of a URL, with the scheme's default port filled in."""
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    return parts.scheme, (parts.hostname or "").lower(), port


class OriginLimiter:
    """Per-origin concurrency and pacing. Thread-safe; one instance per fetch run."""

    def __init__(
        self,
        per_origin: int = 2,
        min_interval: float = 0.0,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.per_origin = max(1, per_origin)
        self.min_interval = max(0.0, min_interval)
        self.clock = clock
        self.sleep = sleep
        self._lock = threading.Lock()
        self._slots: dict[tuple[str, str, int], threading.BoundedSemaphore] = {}
        self._next_start: dict[tuple[str, str, int], float] = {}
        self.peak: dict[tuple[str, str, int], int] = {}
        self._active: dict[tuple[str, str, int], int] = {}

    @contextmanager
    def slot(self, url: str) -> Iterator[None]:
        """Hold one of the origin's slots for the duration of a request."""
        key = origin(url)
        with self._lock:
            semaphore = self._slots.setdefault(key, threading.BoundedSemaphore(self.per_origin))
        with semaphore:
            self._pace(key)
            with self._lock:
                self._active[key] = self._active.get(key, 0) + 1
                self.peak[key] = max(self.peak.get(key, 0), self._active[key])
            try:
                yield
            finally:
                with self._lock:
                    self._active[key] -= 1

    def _pace(self, key: tuple[str, str, int]) -> None:
        if not self.min_interval:
            return
        with self._lock:
            now = self.clock()
            start = max(now, self._next_start.get(key, now))
            self._next_start[key] = start + self.min_interval
        if start > now:
            self.sleep(start - now)
