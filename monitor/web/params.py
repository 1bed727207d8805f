"""A search as a URL: the query parameters every search view shares (the page, its CSV, JSON
and Atom exports, the JSON API), read into a ``monitor.app.search`` Query and written back,
so that every state of a search is a link that can be shared or bookmarked.

    q=text  tag=…  status=…  programme=…  region=…  source=…   (each repeatable: any of them)
    from=YYYY-MM-DD  to=YYYY-MM-DD  within=DAYS  sort=relevance|deadline|newest  page=N
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any
from urllib.parse import urlencode

from monitor.app.search import FACETS, Query, checked_query
from monitor.errors import ConfigError

PER_PAGE = 20
FIELDS = ("q", *FACETS, "from", "to", "within", "sort", "page")


def _date(name: str, text: str | None) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text.strip()[:10])
    except ValueError:
        raise ConfigError(f"{name}={text[:30]!r} is not a date (YYYY-MM-DD)") from None


def whole(name: str, text: str | None) -> int | None:
    if text is None or not text.strip():
        return None
    if not text.strip().isdigit() or len(text.strip()) > 7:
        raise ConfigError(f"{name}={text[:30]!r} is not a whole number")
    return int(text)


def read(params: Mapping[str, Sequence[str]], *, per_page: int = PER_PAGE) -> Query:
    """The Query of ``params`` (each name to its values, in order); ConfigError naming the
    parameter and value that are wrong."""

    def one(name: str) -> str | None:
        values = params.get(name) or []
        return values[-1] if values else None

    return checked_query(
        text=(one("q") or "").strip(),
        chosen={f: [v.strip() for v in params.get(f, []) if v.strip()] for f in FACETS},
        deadline_from=_date("from", one("from")),
        deadline_to=_date("to", one("to")),
        closes_within=whole("within", one("within")),
        sort=one("sort") or "relevance",
        page=whole("page", one("page")) or 1,
        per_page=per_page,
    )


def pairs(
    query: Query,
    *,
    remove: tuple[str, str] | None = None,
    add: tuple[str, str] | None = None,
    **changed: object,
) -> list[tuple[str, str]]:
    """``query`` as URL parameters (without defaults), with ``changed`` applied: a name to
    None drops it; ``remove=(facet, value)`` drops one chosen value; ``add=(facet, value)``
    adds one; a page is kept only when asked for (any change of filter goes back to page 1)."""
    chosen = {f: list(vs) for f, vs in query.chosen.items()}
    if remove:
        chosen[remove[0]] = [v for v in chosen.get(remove[0], []) if v != remove[1]]
    if add and add[1] not in chosen.setdefault(add[0], []):
        chosen[add[0]].append(add[1])
    values: dict[str, object] = {
        "q": query.text or None,
        "from": query.deadline_from.isoformat() if query.deadline_from else None,
        "to": query.deadline_to.isoformat() if query.deadline_to else None,
        "within": query.closes_within,
        "sort": query.sort if query.sort != "relevance" else None,
        "page": None,
    }
    values.update(changed)
    out = [("q", str(values["q"]))] if values["q"] else []
    out += [(f, v) for f in FACETS for v in chosen.get(f, [])]
    out += [(k, str(values[k])) for k in ("from", "to", "within", "sort", "page")
            if values.get(k) not in (None, "")]  # fmt: skip
    return out


def link(path: str, query: Query, **changed: Any) -> str:
    """``path`` with ``query``'s parameters (see ``pairs``)."""
    given = pairs(query, **changed)
    return f"{path}?{urlencode(given)}" if given else path
