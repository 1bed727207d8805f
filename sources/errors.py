"""Errors raised by source adapters.

    SourceError            anything that stops one source's run
    ├── FetchError         the network or the server failed (timeout, status, body too large)
    ├── ParseError         the server answered, but not with what we expected
    └── SettingError       a source's settings are invalid (caught before any I/O)

Every error names the source, the URL (never with secrets) and a hint an operator can act on.
"""

from __future__ import annotations

from sources.values import shown_url


class SourceError(Exception):
    """Base of the sources wing's errors; ``str()`` is a one-line message for operators."""

    default_hint = ""

    def __init__(
        self,
        reason: str,
        *,
        source: str | None = None,
        url: str | None = None,
        status: int | None = None,
        hint: str | None = None,
    ) -> None:
        self.reason = reason
        self.source = source
        self.url = url
        self.status = status
        self.hint = hint if hint is not None else self.default_hint
        super().__init__(self._message())

    def _message(self) -> str:
        parts = []
        if self.source:
            parts.append(f"source {self.source!r}")
        if self.url:
            parts.append(shown_url(self.url))  # a user:password@ in it is not shown
        if self.status is not None:
            parts.append(f"HTTP {self.status}")
        where = ": ".join([", ".join(parts)]) if parts else ""
        return f"{where}: {self.reason}" if where else self.reason

    def __reduce__(self) -> tuple[object, ...]:
        """Pickle by fields (errors cross process boundaries when parsing runs in a pool)."""
        return (_rebuild, (type(self), self.reason, self.source, self.url, self.status, self.hint))

    def located(self, source: str, url: str) -> SourceError:
        """A copy of this error naming ``source`` and ``url`` (e.g. the page, not the bare
        endpoint), with the same reason, status and hint."""
        return type(self)(self.reason, source=source, url=url, status=self.status, hint=self.hint)

    def with_source(self, source: str) -> SourceError:
        """Return this error with the source name filled in (if it was not set)."""
        if self.source is None:
            self.source = source
            self.args = (self._message(),)
        return self


class FetchError(SourceError):
    default_hint = "Check the source URL and network access; the run will be retried next time."


class ParseError(SourceError):
    default_hint = (
        "The server answered with something unexpected; the API may have changed or returned "
        "an error page. Stored calls were left untouched."
    )


class SettingError(SourceError):
    default_hint = "Fix the value with `funding-monitor sources add ... --set KEY=VALUE`."


def _rebuild(
    cls: type[SourceError], reason: str, source: str | None, url: str | None,
    status: int | None, hint: str,
) -> SourceError:  # fmt: skip
    return cls(reason, source=source, url=url, status=status, hint=hint)
