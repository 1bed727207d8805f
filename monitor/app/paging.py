"""Which page of a list is shown: asked for beyond the last, the last."""

from __future__ import annotations


def window(total: int, page: int, per_page: int) -> tuple[int, int, int]:
    """For ``total`` items, ``per_page`` a page: (the page shown, how many pages, the offset
    of its first item)."""
    pages = max(1, -(-total // per_page))
    page = min(max(1, page), pages)
    return page, pages, (page - 1) * per_page
