"""How log lines look: key=value text (the default) or one JSON object a line, and the filter
that blanks every secret (``monitor.redaction``) before a record reaches any handler."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterable
from datetime import UTC, datetime

from monitor import redaction
from monitor.redaction import Redactor

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s"
PAIR = re.compile(r"""(\w+)=("(?:[^"\\]|\\.)*"|\S+)""")


class JsonFormatter(logging.Formatter):
    """``{"time", "level", "logger", "message", …}``: the message's key=value pairs become
    fields of their own (``source``, ``job``, ``outcome``…), for log collectors."""

    def format(self, record: logging.LogRecord) -> str:
        message = record.getMessage()
        data: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": message,
        }
        for key, value in PAIR.findall(message):
            if key not in data:
                data[key] = value[1:-1] if value.startswith('"') else value
        if record.exc_text:  # as the secret filter left it
            data["exception"] = record.exc_text
        elif record.exc_info:
            data["exception"] = self.formatException(record.exc_info)
        return json.dumps(data, ensure_ascii=False)


class SecretFilter(logging.Filter):
    """Replaces each secret by ***, in the message and in any exception text: the values given,
    those the process has met (``monitor.redaction``) and credential-shaped text."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        self.redact = Redactor(secrets)

    def _blank(self, text: str) -> str:
        return redaction.redact(self.redact(text))

    def filter(self, record: logging.LogRecord) -> bool:
        message = self._blank(record.getMessage())
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self._blank(record.exc_text)
        record.msg, record.args = message, None
        return True


CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f-\x9f\u2028\u2029]")


def one_line(text: str) -> str:
    """``text`` with line breaks and other control characters written as escapes (``\\n``,
    ``\\x1b``): a value from outside (a name, a title, a server's message) can neither start a
    forged log line nor move a terminal's cursor."""
    return CONTROL.sub(lambda match: repr(match.group())[1:-1], text)


class TextFormatter(logging.Formatter):
    """The text lines: one line per message, whatever it quotes (a traceback still follows
    on lines of its own, as Python writes it)."""

    def formatMessage(self, record: logging.LogRecord) -> str:  # noqa: N802
        record.message = one_line(record.message)
        return super().formatMessage(record)


def formatter(kind: str) -> logging.Formatter:
    return JsonFormatter() if kind == "json" else TextFormatter(TEXT_FORMAT)
