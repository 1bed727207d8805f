"""How a source is shown and named, for every source use case: on pages (``masked``: secrets
blanked), in the audit log (``target``, ``logged``), an operator's ``hint`` for its stored
error; and the refusal of a built-in kind (``refuse_built_in``)."""

from __future__ import annotations

from typing import Any

from monitor.config import every_text
from monitor.errors import ConfigError
from monitor.store.tables import Source
from sources.registry import BUILT_IN


def masked(text: str) -> str:
    """A URL or setting as pages show it: passwords, keys and tokens in it blanked."""
    from monitor.redaction import redact

    return redact(text)


def target(source: Source) -> str:
    """A source as the audit log names it."""
    return f"source {source.id} ({source.name})"


def logged(source: Source) -> dict[str, Any]:
    """A source's fields as the audit log keeps them (one entry per setting)."""
    return {"kind": source.kind, "url": source.url, "enabled": source.enabled,
            "every": every_text(source.every) if source.every else "default",
            **{f"settings.{k}": v for k, v in sorted(source.settings.items())}}  # fmt: skip


def refuse_built_in(kind: str, done: str) -> None:
    """ConfigError when ``kind`` is built in (its calls are entered by hand, never fetched)."""
    if kind in BUILT_IN:
        raise ConfigError(
            f"a source of kind {kind!r} is built in and is never {done}: its calls are entered "
            "by hand", hint="Use `funding-monitor calls add|edit|import`.",
        )  # fmt: skip


def hint(error: str | None, health_reason: str | None = None) -> str | None:
    """What an operator can do about a source's last error (or, failing none, about its being
    unhealthy), read from the error as stored: the run records the message, not the hint the
    error carried."""
    text = (error or health_reason or "").lower()
    if not text:
        return None
    for needles, advice in HINTS:
        if any(n in text for n in needles):
            return advice
    return HINTS[-1][1]


HINTS: tuple[tuple[tuple[str, ...], str], ...] = (
    (("process fetching this source died",),
     "The process running it was killed or crashed (out of memory?): see the service's log. "
     "The next run tries again."),
    (("internal error",),
     "This is a bug in funding-monitor: report it with the service's log."),
    (("busy:",),
     "Another process was running this source: wait for it to finish."),
    (("http 404", "http 410"),
     "The address no longer answers: the funder may have moved the page or feed. Find its "
     "new address and change the URL in the settings."),
    (("http 401", "http 403"),
     "The server refuses us: the page may now need signing in, or it blocks automated "
     "clients. Open the URL in a browser and check the funder's terms."),
    (("http 429", "http 5", "timed out", "the request's deadline", "time budget",
      "connection failed"),
     "The server was slow, busy or unreachable: if it passes, nothing needs changing (the "
     "next run tries again); if it lasts, check the URL and the network."),
    (("redirected",),
     "The address now redirects to another host or scheme: change the URL to where it "
     "leads."),
    (("byte limit",),
     "The answer is larger than HTTP_MAX_BYTES allows: check that the URL is the list of "
     "calls, not a whole site or archive."),
    (("setting",),
     "A setting is not valid for this kind: correct it in the settings below."),
    (("no items",),
     "The page or feed changed, or is empty for now: run the source now to see what it "
     "finds, then adjust its settings (a web page's selectors)."),
    ((),
     "The server answered with something unexpected (an error page, a changed format): open "
     "the URL in a browser; the stored calls were left untouched."),
)  # fmt: skip
