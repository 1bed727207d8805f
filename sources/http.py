"""The one polite HTTP client every source uses.

Explicit timeouts, an identifying User-Agent, retries with exponential backoff on connection
errors, timeouts, 429 and 5xx (honouring Retry-After), no retry on other 4xx, a maximum body
size, and conditional GETs through a small cache port. Library errors become FetchError here.
"""

from __future__ import annotations

import copy
import email.utils
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol
from urllib.parse import SplitResult, urljoin, urlsplit

import httpx
from tenacity import RetryCallState, Retrying, retry_if_exception, stop_after_attempt

from sources.errors import FetchError
from sources.limits import OriginLimiter
from sources.values import shown_url

logger = logging.getLogger(__name__)

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
DEFAULT_USER_AGENT = "funding-monitor/0.1 (+https://github.com/funding-monitor/funding-monitor)"


@dataclass(frozen=True, slots=True)
class Response:
    """A complete, size-checked response."""

    url: str
    status: int
    headers: Mapping[str, str]
    content: bytes
    from_cache: bool = False

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "").split(";")[0].strip().lower()


@dataclass(frozen=True, slots=True)
class CachedResponse:
    """What a conditional GET needs to remember about a URL."""

    etag: str | None
    last_modified: str | None
    content: bytes
    content_type: str


class ResponseCache(Protocol):
    """Port for conditional requests: the application decides where bodies are kept."""

    def get(self, url: str) -> CachedResponse | None: ...

    def put(self, url: str, entry: CachedResponse) -> None: ...


class _Retryable(Exception):
    def __init__(self, error: FetchError, retry_after: float | None = None) -> None:
        super().__init__(str(error))
        self.error = error
        self.retry_after = retry_after


def build_client(
    *, user_agent: str = DEFAULT_USER_AGENT, timeout: float = 30.0, connections: int = 100
) -> httpx.Client:
    """An httpx.Client with explicit timeouts and the identifying User-Agent. Redirects are
    followed by HttpClient itself, which refuses those that leave the origin's host."""
    return httpx.Client(
        headers={"User-Agent": user_agent},
        timeout=httpx.Timeout(timeout, connect=min(timeout, 10.0)),
        follow_redirects=False,
        limits=httpx.Limits(max_connections=connections, max_keepalive_connections=connections),
    )


class HttpClient:
    """Wraps an httpx.Client with the house politeness rules (see module docstring)."""

    def __init__(
        self,
        client: httpx.Client,
        *,
        max_bytes: int = 50_000_000,
        attempts: int = 4,
        backoff: float = 1.0,
        max_wait: float = 60.0,
        sleep: Callable[[float], None] = time.sleep,
        limiter: OriginLimiter | None = None,
        deadline: float | None = None,
        request_deadline: float | None = 60.0,
    ) -> None:
        self.client = client
        self.max_bytes = max_bytes
        self.attempts = max(1, attempts)
        self.backoff = backoff
        self.limiter = limiter or OriginLimiter()
        self.deadline = deadline  # time.monotonic() value after which no request starts
        self.request_deadline = request_deadline  # seconds one request may take in all
        self._request_until: float | None = None  # that limit, for the request under way
        self.max_wait = max_wait
        self.sleep = sleep

    def with_budget(self, seconds: float | None) -> HttpClient:
        """The same client (shared connections and limiter) for one source that may spend at
        most ``seconds`` on requests and retry waits; None means no budget."""
        clone = copy.copy(self)
        clone.deadline = time.monotonic() + seconds if seconds else None
        return clone

    def _remaining(self, url: str) -> float | None:
        """Seconds left under the nearer of the source's budget and the request's deadline;
        FetchError once either has passed."""
        now = time.monotonic()
        if self._request_until is not None and self._request_until - now <= 0:
            raise self._late(url)
        if self.deadline is not None and self.deadline - now <= 0:
            raise FetchError(
                "time budget for this source used up",
                url=url,
                hint="The server is slow; raise fetch_budget or check the source.",
            )
        limits = [t - now for t in (self.deadline, self._request_until) if t is not None]
        return min(limits) if limits else None

    def _late(self, url: str, received: int | None = None) -> FetchError:
        got = f" ({received:,} bytes of the body had come)" if received is not None else ""
        return FetchError(
            f"no complete answer within {self.request_deadline:g} s, the request's deadline"
            f"{got}: the server stalled or sent too slowly",
            url=url,
            hint="Try the source again later; raise http_request_deadline if it is genuinely "
            "this slow. The stored calls were left untouched.",
        )

    def request(self, method: str, url: str, **kwargs: Any) -> Response:
        """Send a request with retries; return the response for any status below 400.

        Raises FetchError for a non-retryable 4xx, a body over ``max_bytes``, or when every
        attempt failed (the last reason is kept).
        """
        one = copy.copy(self)  # this request's deadline, on the shared connections
        if self.request_deadline:
            one._request_until = time.monotonic() + self.request_deadline
        retrying = Retrying(
            stop=stop_after_attempt(self.attempts),
            wait=one._wait,
            retry=retry_if_exception(lambda e: isinstance(e, _Retryable)),
            sleep=self.sleep,
            reraise=True,
        )
        try:
            return retrying(one._once, method, url, **kwargs)
        except _Retryable as exc:
            raise exc.error from exc

    def get(self, url: str, *, cache: ResponseCache | None = None, **kwargs: Any) -> Response:
        """GET with If-None-Match / If-Modified-Since when ``cache`` knows the URL; a 304 is
        answered from the cache (``from_cache=True``) and a fresh 200 is stored in it."""
        cached = cache.get(url) if cache is not None else None
        headers = dict(kwargs.pop("headers", {}) or {})
        if cached is not None:
            if cached.etag:
                headers["If-None-Match"] = cached.etag
            if cached.last_modified:
                headers["If-Modified-Since"] = cached.last_modified
        response = self.request("GET", url, headers=headers, **kwargs)
        if response.status == 304 and cached is not None:
            return Response(
                url, 200, {"content-type": cached.content_type}, cached.content, from_cache=True
            )
        if cache is not None and response.status == 200:
            etag = response.headers.get("etag")
            modified = response.headers.get("last-modified")
            if etag or modified:
                entry = CachedResponse(etag, modified, response.content, response.content_type)
                cache.put(url, entry)
        return response

    def _once(self, method: str, url: str, **kwargs: Any) -> Response:
        """One attempt, following at most 5 redirects that stay on the same host."""
        current = url
        for _hop in range(6):
            response = self._attempt(method, current, **kwargs)
            if response.status not in (301, 302, 303, 307, 308):
                return response
            target = urljoin(current, response.headers.get("location", ""))
            problem = redirect_problem(current, target)
            if problem:
                raise FetchError(
                    f"redirected {problem}: {target.split('?')[0]}",
                    url=url,
                    status=response.status,
                    hint="The source moved; check it and update its --url if the move is genuine.",
                )
            if response.status == 303:
                method, kwargs = "GET", {k: v for k, v in kwargs.items() if k == "headers"}
            current = target
        raise FetchError("too many redirects", url=url)

    def _attempt(self, method: str, url: str, **kwargs: Any) -> Response:
        started = time.perf_counter()
        remaining = self._remaining(url)
        if remaining is not None:
            kwargs["timeout"] = min(remaining, self.client.timeout.read or remaining)
        try:
            with self.limiter.slot(url), self.client.stream(method, url, **kwargs) as raw:
                status = raw.status_code
                if status in RETRY_STATUSES:
                    error = FetchError(_status_reason(raw), url=url, status=status)
                    raise _Retryable(error, _retry_after(raw.headers.get("retry-after")))
                if 300 <= status < 400:
                    headers = {k.lower(): v for k, v in raw.headers.items()}
                    return Response(str(raw.url), status, headers, b"")
                if status in (202, 204):
                    raise FetchError(
                        f"server answered {status} with no content",
                        url=url,
                        status=status,
                        hint="Some sites answer 202/204 to clients they take for bots; see the "
                        "source's user-agent policy in SOURCES-GUIDE.",
                    )
                if status >= 400:
                    raise FetchError(
                        _status_reason(raw), url=url, status=status, hint=_hint(status)
                    )
                content = self._read_capped(raw, url)
                headers = {k.lower(): v for k, v in raw.headers.items()}
                if not content and status == 200:
                    error = FetchError(
                        "server answered 200 with an empty body",
                        url=url, status=status,
                        hint="An empty answer is a broken one, not an empty listing: the stored "
                        "calls were left untouched (none marked unseen).",
                    )  # fmt: skip
                    raise _Retryable(error)
        except httpx.TimeoutException as exc:
            raise _Retryable(FetchError(f"timed out ({type(exc).__name__})", url=url)) from exc
        except httpx.TransportError as exc:
            raise _Retryable(FetchError(f"connection failed: {exc}", url=url)) from exc
        except httpx.HTTPError as exc:  # e.g. too many redirects, invalid URL
            raise FetchError(f"request failed: {exc}", url=url) from exc
        logger.debug(
            "http method=%s url=%s status=%s bytes=%d ms=%d",
            method,
            shown_url(url),
            status,
            len(content),
            (time.perf_counter() - started) * 1000,
        )
        return Response(str(raw.url), status, headers, content)

    def _read_capped(self, raw: httpx.Response, url: str) -> bytes:
        declared = raw.headers.get("content-length")
        if declared and declared.isdigit() and int(declared) > self.max_bytes:
            raise FetchError(
                f"body of {int(declared):,} bytes exceeds the {self.max_bytes:,}-byte limit",
                url=url,
                status=raw.status_code,
                hint="Raise http_max_bytes if this is expected.",
            )
        chunks: list[bytes] = []
        size = 0
        for chunk in raw.iter_bytes():
            size += len(chunk)
            if size > self.max_bytes:
                raise FetchError(
                    f"body exceeds the {self.max_bytes:,}-byte limit",
                    url=url,
                    status=raw.status_code,
                    hint="Raise http_max_bytes if this is expected.",
                )
            chunks.append(chunk)
            if self._request_until is not None and time.monotonic() > self._request_until:
                raise self._late(url, size)
        return b"".join(chunks)

    def _wait(self, state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        if isinstance(exc, _Retryable) and exc.retry_after is not None:
            wait = exc.retry_after
        else:
            wait = self.backoff * (2 ** (state.attempt_number - 1))
        now = time.monotonic()
        limits = [t - now for t in (self.deadline, self._request_until) if t is not None]
        if limits:
            wait = min(wait, max(0.0, min(limits)))
        if isinstance(exc, _Retryable) and state.attempt_number < self.attempts:
            logger.warning(
                "retry url=%s attempt=%d wait=%.2fs reason=%s",
                shown_url(exc.error.url or ""),
                state.attempt_number,
                min(wait, self.max_wait),
                exc.error.reason,
            )
        return min(wait, self.max_wait)


def _port(parts: SplitResult) -> int | None:
    try:
        return parts.port or {"http": 80, "https": 443}.get(parts.scheme)
    except ValueError:  # a port that is not a number
        return None


def redirect_problem(current: str, target: str) -> str | None:
    """Why a redirect from ``current`` to ``target`` must not be followed, or None: it must
    stay on the same host and port and never leave https (http → https on the default ports
    is the one change allowed)."""
    here, there = urlsplit(current), urlsplit(target)
    if there.scheme not in ("http", "https"):
        return "to a non-HTTP address"
    if (there.hostname or "").lower() != (here.hostname or "").lower():
        return "to another host"
    if here.scheme == "https" and there.scheme == "http":
        return "from https to plain http"
    upgrade = (here.scheme, _port(here), there.scheme, _port(there)) == ("http", 80, "https", 443)
    if _port(here) != _port(there) and not upgrade:
        return "to another port"
    return None


def _retry_after(value: str | None) -> float | None:
    """Seconds from a Retry-After header (delta-seconds or an HTTP date); None if absent/bad."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def _status_reason(raw: httpx.Response) -> str:
    return f"server answered {raw.status_code} {raw.reason_phrase}".strip()


def _hint(status: int) -> str:
    if status in (401, 403):
        return "The server refused us; it may block automated clients. Check the source's policy."
    if status == 404:
        return "The URL was not found; check the source's --url."
    if status == 405:
        return "Wrong HTTP method for this URL; is --url the API base?"
    return "The server rejected the request; check the source's settings."
