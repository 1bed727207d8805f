"""Log lines: key=value words become JSON fields, and no secret survives, even in a traceback;
nor in what a command prints, whether the settings hold the secret or a server echoed it."""

from __future__ import annotations

import io
import json
import logging

import pytest

from monitor.config import load_settings
from monitor.log_format import JsonFormatter, SecretFilter, formatter
from monitor.redaction import HIDDEN, redact, remember, webhook_secrets


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


ECHOED = [
    ("Slack said: Authorization: Bearer xoxb-9999-echoed-back", "xoxb-9999"),
    ("{'ok': False, 'provided': 'xoxp-1-2-3-user-token'}", "xoxp-1-2-3"),
    ("cannot connect to postgresql+psycopg://monitor:pw-in-url@db/fm", "pw-in-url"),
    ("posted to https://hooks.slack.com/services/T0/B0/hooksecret", "hooksecret"),
    ("header authorization='Basic dXNlcjpwYXNz'", "dXNlcjpwYXNz"),
    (
        "POST https://prod-12.westeurope.logic.azure.com/workflows/1/invoke?api-version=1&sig=S1gn4"
        "tureXYZ failed",
        "S1gn4tureXYZ",
    ),
    ("GET https://api.example.org/calls?format=json&api_key=k3y-in-url answered 500", "k3y-in-url"),
]


@pytest.mark.parametrize(("text", "secret"), ECHOED)
def test_credentials_nobody_configured_are_blanked_too(text: str, secret: str) -> None:
    logger, stream = capture([])  # no secret given: blanked by its shape
    logger.warning("delivery deferred error=%s", text)
    assert secret not in stream.getvalue() and HIDDEN in stream.getvalue()
    assert secret not in redact(text)


def test_ordinary_words_and_urls_are_left_alone() -> None:
    for text in ("Basic research and Bearer bonds", "http://127.0.0.1:8080/feed?page=2",
                 "https://ec.europa.eu/search?keywords=health&sortBy=deadline",
                 "HORIZON-JU-GH-EDCTP3-2026-01 has no deadline"):  # fmt: skip
        assert redact(text) == text


def test_a_webhook_url_met_by_a_run_is_blanked_in_logs_from_then_on() -> None:
    logger, stream = capture([])
    url = "http://127.0.0.1:8099/services/T0/B0/runsecret42"
    remember(*webhook_secrets(url))
    logger.warning("posting to %s failed; path %s", url, "/services/T0/B0/runsecret42")
    assert "runsecret42" not in stream.getvalue()


def test_a_command_prints_no_secret_that_an_error_quotes(cli) -> None:
    token = "xoxb-1234-5678-pasted-in-the-wrong-flag"
    code, out, err = cli("subscribers", "add", "--slack-channel", token)
    assert code == 2 and "is not a Slack channel id" in err and token not in out + err


def test_a_fetch_error_is_stored_without_the_credentials_it_quotes(store) -> None:
    from datetime import UTC, datetime

    from monitor.store import sources as source_store

    source = source_store.add_source(store, "feed", "feed", "https://example.org/rss", {})
    run = source_store.start_run(store, source, datetime.now(UTC))
    echoed = "HTTP 401 from https://example.org/rss: Bearer eyJhbGciOiJIUzI1NiJ9.payload.sig"
    source_store.finish_run(store, run, error=echoed, unhealthy_after=1)
    [stored] = source_store.list_sources(store)
    last = source_store.last_runs(store)[stored.id or 0]
    for text in (stored.last_error or "", last.error or "", stored.health_reason or ""):
        assert "eyJhbGci" not in text and "HTTP 401" in text


def test_a_value_with_line_breaks_cannot_forge_a_text_log_line() -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(formatter("text"))
    logger = logging.getLogger(f"test.logs.text.{id(stream)}")
    logger.propagate, logger.level = False, logging.INFO
    logger.addHandler(handler)
    forged = "eu\n2026-12-03 08:00:00,000 INFO monitor.service.scheduler job done outcome=ok\x1b[2J"
    logger.warning("fetch failed source=%s", forged)
    try:
        raise ValueError("boom")
    except ValueError:
        logger.exception("crash source=%s", "x\ry")
    lines = stream.getvalue().splitlines()
    assert lines[0].endswith("source=eu\\n2026-12-03 08:00:00,000 INFO monitor.service.scheduler "
                             "job done outcome=ok\\x1b[2J")  # fmt: skip
    assert (
        lines[1].endswith("crash source=x\\ry") and lines[2] == "Traceback (most recent call last):"
    )
