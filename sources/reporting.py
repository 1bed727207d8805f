"""Saying what a parser left out: an item dropped is never dropped silently.

A parser is pure and may run in another process, so it reports by logging a warning on its
module's logger (under ``sources``); ``monitor.ingest.parse_pool`` carries such warnings back, and
they join the run's warnings (`fetch` prints them, `status` keeps them on the run).
"""

from __future__ import annotations

import logging

from sources.values import shown_url


def note_left_out(logger: logging.Logger, numbers: list[int], total: int, url: str,
                  why: str) -> None:  # fmt: skip
    """One warning for the items (1-based positions) a parser could not use, if any."""
    if not numbers:
        return
    shown = ", ".join(map(str, numbers[:10])) + (
        f" and {len(numbers) - 10} more" if len(numbers) > 10 else "")  # fmt: skip
    logger.warning("%d of %d items left out: %s (items %s) on %s", len(numbers), total, why,
                   shown, shown_url(url))  # fmt: skip
