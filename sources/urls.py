"""URL canonicalisation and identifiers found in links (pure)."""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

EU_TOPIC_PAGE = (
    "https://ec.europa.eu/info/funding-tenders/opportunities/portal/screen/opportunities/"
    "topic-details/"
)
_EU_TOPIC = re.compile(r"/topic-details/([A-Za-z0-9][A-Za-z0-9._-]+)")
_VOLATILE = re.compile(r"^(utm_\w+|fbclid|gclid|mc_cid|mc_eid|_ga)$", re.IGNORECASE)


def eu_topic_id(url: str) -> str | None:
    """The F&T topic identifier in a portal link (old ';callCode=…' and lower-case forms too),
    upper-cased as the portal writes it (a '-two-stage' suffix stays lower-case)."""
    match = _EU_TOPIC.search(url.split("?")[0].split(";")[0])
    if not match:
        return None
    identifier = match.group(1).upper()
    return re.sub(r"-TWO-STAGE$", "-two-stage", identifier)


def canonical_url(url: str) -> str:
    """A stable form of a link: EU topic pages reduced to the topic; tracking parameters,
    fragments, default ports and case differences in scheme and host removed."""
    topic = eu_topic_id(url)
    if topic and "ec.europa.eu" in url:
        return EU_TOPIC_PAGE + quote(topic, safe="")
    parts = urlsplit(url.strip())
    query = urlencode([(k, v) for k, v in parse_qsl(parts.query) if not _VOLATILE.match(k)])
    host = (parts.hostname or "").lower()
    if parts.port and parts.port not in (80, 443):
        host = f"{host}:{parts.port}"
    return urlunsplit((parts.scheme.lower(), host, parts.path or "/", query, ""))
