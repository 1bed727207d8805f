"""A loopback HTTP server that replays recorded EU Funding & Tenders payloads.

It behaves like the SEDIA search API where it matters to a client: POST only, multipart file
parts with JSON content (plain fields get the real server's 500), ``terms`` filters, 1-based
paging with a 100 cap, and topicDetails documents with ETag / 304. Used by ``demo`` and tests.
"""

from __future__ import annotations

import email.parser
import email.policy
import hashlib
import json
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

SEARCH_PATH = "/search-api/prod/rest/search"
DETAILS_PATH = "/topicDetails/"
INTERNAL_ERROR = {"type": "throwable", "message": "An internal error occurred"}


class PortalReplay:
    """Recorded hits and topicDetails documents, answered as the portal would."""

    def __init__(
        self, hits: Sequence[Mapping[str, Any]], details: Mapping[str, Any] | None = None
    ) -> None:
        self.hits = list(hits)
        self.details = {k.lower(): v for k, v in (details or {}).items()}
        self.requests: list[dict[str, Any]] = []

    def search(self, params: Mapping[str, str], parts: Mapping[str, Any]) -> tuple[int, Any]:
        """(status, JSON body) for one search request."""
        if params.get("apiKey") != "SEDIA" or not params.get("text"):
            return 400, {"type": "businessError", "message": "apiKey and text are required"}
        size = min(int(params.get("pageSize", "50")), 100)
        number = int(params.get("pageNumber", "1"))
        hits = [h for h in self.hits if _matches(h, parts.get("query"))]
        languages = parts.get("languages")
        if languages:
            hits = [h for h in hits if _first(h, "language", "en") in languages]
        page = hits[(number - 1) * size : number * size]
        body = {
            "apiVersion": "2.148.3",
            "terms": params["text"],
            "totalResults": len(hits),
            "pageNumber": number,
            "pageSize": size,
            "sort": "relevance",
            "groupByField": "sortStatus",
            "results": page,
            "warnings": [],
        }
        return 200, body


def _first(hit: Mapping[str, Any], key: str, default: Any = None) -> Any:
    value = hit.get("metadata", {}).get(key)
    if isinstance(value, list):
        return value[0] if value else default
    return default if value is None else value


def _matches(hit: Mapping[str, Any], query: Any) -> bool:
    """Apply the ``terms`` clauses of ``bool.must`` (the only filters the client sends)."""
    if not isinstance(query, dict):
        return True
    for clause in query.get("bool", {}).get("must", []):
        for field, values in clause.get("terms", {}).items():
            have = hit.get("metadata", {}).get(field) or []
            if not set(map(str, have)) & set(map(str, values)):
                return False
    return True


def parse_multipart(content_type: str, body: bytes) -> dict[str, Any] | None:
    """JSON file parts by name, or None when any part is not a file part of type
    application/json (the real server then answers 500)."""
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
        b"Content-Type: " + content_type.encode("latin-1") + b"\r\n\r\n" + body
    )
    if not message.is_multipart():
        return None
    parts: dict[str, Any] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        filename = part.get_filename()
        if not name or not filename or part.get_content_type() != "application/json":
            return None
        try:
            payload = part.get_payload(decode=True)
            parts[str(name)] = json.loads(payload if isinstance(payload, bytes) else b"null")
        except ValueError:
            return None
    return parts


class _Handler(BaseHTTPRequestHandler):
    replay: PortalReplay

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - quiet server
        pass

    def _send(self, status: int, body: bytes, headers: Mapping[str, str] | None = None) -> None:
        self.send_response(status)
        for key, value in {"Content-Type": "application/json", **(headers or {})}.items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:  # noqa: N802
        path = urlsplit(self.path).path
        if path == SEARCH_PATH:
            self._send(405, b'{"message":"Method Not Allowed"}')
            return
        ident = path.rsplit("/", 1)[-1].removesuffix(".json").lower()
        doc = self.replay.details.get(ident) if DETAILS_PATH in path else None
        if doc is None:
            self._send(404, b'{"message":"Not Found"}')
            return
        body = json.dumps({"TopicDetails": doc}).encode()
        etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
        if self.headers.get("If-None-Match") == etag:
            self._send(304, b"", {"ETag": etag})
            return
        self._send(200, body, {"ETag": etag})

    def do_POST(self) -> None:  # noqa: N802
        url = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length)
        if url.path != SEARCH_PATH:
            self._send(404, b'{"message":"Not Found"}')
            return
        params = {k: v[-1] for k, v in parse_qs(url.query).items()}
        parts = parse_multipart(self.headers.get("Content-Type", ""), body)
        self.replay.requests.append({"params": params, "parts": parts})
        if parts is None:
            self._send(500, json.dumps(INTERNAL_ERROR).encode())
            return
        status, answer = self.replay.search(params, parts)
        self._send(status, json.dumps(answer).encode())


@contextmanager
def serve(replay: PortalReplay) -> Iterator[str]:
    """Serve ``replay`` on 127.0.0.1 (a free port) in a thread; yields the base URL."""
    handler = type("ReplayHandler", (_Handler,), {"replay": replay})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
