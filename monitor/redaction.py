"""Blanking secrets in every text the program writes: log lines, stored errors (a delivery's, a
fetch run's) and the errors commands print.

Two kinds of secret are blanked. The values the process knows: those of the settings
(``configure``: SMTP and database passwords, the Slack token, the secret key) and the
subscribers' webhook URLs, added as a run meets them (``remember``). And anything shaped like a
credential, whoever echoed it: Slack tokens (``xoxb-…``), ``Bearer`` tokens, ``Authorization``
values, the password in a URL (``scheme://user:password@host``) and Slack webhook paths.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable
from urllib.parse import urlsplit

HIDDEN = "***"
SHORTEST = 4  # a shorter "secret" would blank ordinary words
_SHAPES = (
    (re.compile(r"\b(?:xox[a-z]|xapp)-[A-Za-z0-9-]+"), HIDDEN),
    (
        re.compile(r"(authorization[\"']?\s*[:=]\s*[\"']?)[^\"'\r\n,}]+", re.IGNORECASE),
        rf"\1{HIDDEN}",
    ),
    (re.compile(r"\bBearer\s+[A-Za-z0-9._~+/=-]{8,}"), f"Bearer {HIDDEN}"),
    (re.compile(r"(://[^/\s:@]*:)[^/\s@]+@"), rf"\1{HIDDEN}@"),
    (re.compile(r"(hooks\.slack\.com/)[^\s'\"<>]+"), rf"\1{HIDDEN}"),
    # Credentials in a query string: a Teams workflow's sig=, an API key or token in a URL.
    (
        re.compile(
            r"([?&](?:sig|signature|token|access_token|api_?key|key|secret|password)=)"
            r"[^&\s'\"<>]+",
            re.IGNORECASE,
        ),
        rf"\1{HIDDEN}",
    ),  # fmt: skip
)


class Redactor:
    """Replaces each known secret, then each credential-shaped text, by ``***``."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        self._lock = threading.Lock()
        self._known: frozenset[str] = frozenset()
        self._met: frozenset[str] = frozenset()
        self._order: tuple[str, ...] = ()
        self.configure(secrets)

    def configure(self, secrets: Iterable[str]) -> None:
        """The secrets of the settings in force (replacing those of earlier settings)."""
        with self._lock:
            self._known = frozenset(_worth_hiding(secrets))
            self._sort()

    def remember(self, *secrets: str) -> None:
        """Secrets met on the way (a webhook URL and its path), kept for the process' life."""
        new = _worth_hiding(secrets) - self._met
        if new:
            with self._lock:
                self._met = self._met | new
                self._sort()

    def _sort(self) -> None:
        self._order = tuple(sorted(self._known | self._met, key=len, reverse=True))

    def __call__(self, text: str) -> str:
        for secret in self._order:
            if secret in text:
                text = text.replace(secret, HIDDEN)
        for shape, replacement in _SHAPES:
            text = shape.sub(replacement, text)
        return text


def _worth_hiding(values: Iterable[str]) -> set[str]:
    return {v for v in values if v and len(v) >= SHORTEST}


def webhook_secrets(url: str) -> tuple[str, ...]:
    """A webhook URL's secret parts: the whole URL and its path (the part that authorises)."""
    path = urlsplit(url).path
    return (url, path) if len(path) > 1 else (url,)


# The process' one redactor: `configure_logging` gives it the settings' secrets, the sending
# run the webhook URLs; the log filter, the ledger and the error printer all read it.
PROCESS = Redactor()


def redact(text: str) -> str:
    """``text`` with every secret this process knows, and every credential-shaped text,
    blanked."""
    return PROCESS(text)


def remember(*secrets: str) -> None:
    PROCESS.remember(*secrets)
