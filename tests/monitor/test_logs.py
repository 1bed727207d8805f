"""Log lines: key=value words become JSON fields, and no secret survives, even in a traceback."""

from __future__ import annotations

import io
import json
import logging

from monitor.config import load_settings
from monitor.log_format import HIDDEN, JsonFormatter, SecretFilter


def capture(secrets: list[str]) -> tuple[logging.Logger, io.StringIO]:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(SecretFilter(secrets))
    logger = logging.getLogger(f"test.logs.{id(stream)}")
    logger.propagate = False
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    return logger, stream


def test_json_lines_carry_the_key_value_words_as_fields() -> None:
    logger, stream = capture([])
    logger.info("job done job=%s outcome=%s seconds=%.1f error=%s", "fetch:eu", "failed", 2.5,
                '"HTTP 503 from portal"')  # fmt: skip
    line = json.loads(stream.getvalue())
    assert line["level"] == "INFO" and line["job"] == "fetch:eu" and line["outcome"] == "failed"
    assert line["seconds"] == "2.5" and line["error"] == "HTTP 503 from portal"
    assert line["message"].startswith("job done job=fetch:eu")


def test_every_secret_is_blanked_in_messages_arguments_and_tracebacks(monkeypatch) -> None:
    monkeypatch.setenv("FUNDING_MONITOR_SMTP_PASSWORD", "hunter2-smtp")
    monkeypatch.setenv("FUNDING_MONITOR_SLACK_TOKEN", "xoxb-1234-secret")
    monkeypatch.setenv("FUNDING_MONITOR_DATABASE_URL", "postgresql+psycopg://u:dbpass99@h/db")
    settings = load_settings()
    assert set(settings.secrets) == {"hunter2-smtp", "xoxb-1234-secret", "dbpass99"}
    logger, stream = capture(settings.secrets)
    logger.warning("login failed with %s", "hunter2-smtp")
    try:
        raise RuntimeError("token xoxb-1234-secret refused; url postgresql://u:dbpass99@h/db")
    except RuntimeError:
        logger.exception("job crashed job=%s", "digest:weekly")
    text = stream.getvalue()
    for secret in settings.secrets:
        assert secret not in text
    first, second = (json.loads(line) for line in text.splitlines())
    assert first["message"] == f"login failed with {HIDDEN}"
    assert "RuntimeError: token *** refused" in second["exception"]
