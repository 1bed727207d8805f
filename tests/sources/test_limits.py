"""Per-origin limits across threads."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

from sources.limits import OriginLimiter, origin


def test_origin_includes_default_ports() -> None:
    assert origin("https://Example.org/x") == ("https", "example.org", 443)
    assert origin("http://127.0.0.1:8080/a?b") == ("http", "127.0.0.1", 8080)


def test_at_most_two_at_a_time_per_origin_but_origins_are_independent() -> None:
    limiter = OriginLimiter(per_origin=2)

    def hold(url: str) -> None:
        with limiter.slot(url):
            time.sleep(0.05)

    urls = [f"http://127.0.0.1:{8000 + i % 3}/x" for i in range(12)]
    with ThreadPoolExecutor(12) as pool:
        list(pool.map(hold, urls))
    assert set(limiter.peak.values()) == {2}
    assert len(limiter.peak) == 3


def test_minimum_interval_between_starts_on_one_origin() -> None:
    starts: list[float] = []
    lock = threading.Lock()
    limiter = OriginLimiter(per_origin=2, min_interval=0.05)

    def go() -> None:
        with limiter.slot("http://127.0.0.1:9/"), lock:
            starts.append(time.monotonic())

    with ThreadPoolExecutor(4) as pool:
        for _ in range(4):
            pool.submit(go)
    starts.sort()
    gaps = [b - a for a, b in zip(starts, starts[1:], strict=False)]
    assert all(gap >= 0.045 for gap in gaps), gaps
