"""Settings: the ONLY place that reads environment variables or the config file.

Precedence: environment (``FUNDING_MONITOR_*``) over the TOML file (``--config FILE``, else
``funding-monitor.toml`` in the working directory if present) over the defaults below.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from monitor import redaction
from monitor.errors import ConfigError
from monitor.log_format import SecretFilter, formatter

DEFAULT_CONFIG_FILE = "funding-monitor.toml"
EVERY_PATTERN = r"^\s*(\d+\s*[smhd]\s*)+$"
UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
MAX_EVERY = 365 * 86400  # a source fetched less than once a year is not being monitored
ENV_PREFIX = "FUNDING_MONITOR_"


class Settings(BaseSettings):
    """Every setting, with its default and a one-line description (listed in README.md)."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX, extra="forbid", frozen=True, allow_inf_nan=False
    )

    database_url: str = Field(
        "sqlite:///funding-monitor.db",
        description="SQLAlchemy URL of the store: sqlite:///FILE or postgresql+psycopg://…",
    )
    user_agent: str = Field(
        "funding-monitor/0.1 (+https://github.com/funding-monitor/funding-monitor)",
        description="User-Agent sent to every source; put a contact address in it",
    )
    http_timeout: float = Field(
        30.0,
        gt=0,
        le=600,
        description="seconds a connection or a read may wait before the attempt times out",
    )
    http_request_deadline: float = Field(
        60.0, gt=0, le=3600,
        description="seconds one request may take in all (every attempt, retry wait and the "
        "whole body): a server that stalls or trickles is cut off then",
    )  # fmt: skip
    http_attempts: int = Field(4, ge=1, le=10, description="tries per request (retries + 1)")
    http_backoff: float = Field(
        1.0, ge=0, le=300, description="first retry wait in seconds; doubles each time"
    )
    http_max_wait: float = Field(
        60.0,
        ge=0,
        le=3600,
        description="longest wait between retries, even if Retry-After asks more",
    )
    http_max_bytes: int = Field(
        50_000_000, gt=0, le=2_000_000_000, description="largest response body accepted, in bytes"
    )
    fetch_workers: int = Field(64, ge=1, le=256, description="sources fetched at the same time")
    fetch_per_origin: int = Field(
        2, ge=1, le=16, description="requests at the same time to one origin (scheme, host, port)"
    )
    fetch_origin_interval: float = Field(
        0.2, ge=0, le=60, description="seconds between the starts of two requests to one origin"
    )
    fetch_budget: float = Field(
        600.0,
        gt=0,
        le=86400,
        description="seconds one source may spend in a run before it is cut off",
    )
    fetch_parse_processes: int | None = Field(
        None, ge=0, le=64,
        description="processes of the pool that parses a run's payloads (default: one per "
        "core, at most 8; 0: each payload in a short-lived process of its own)",
    )  # fmt: skip
    unhealthy_after: int = Field(
        2, ge=1, le=1000, description="failed runs in a row after which a source is unhealthy"
    )
    model_dir: str = Field(
        "",
        description="directory of trained tag models (default: `models` beside the SQLite "
        "file, else ./funding-monitor-models)",
    )
    smtp_host: str = Field("localhost", description="SMTP server that sends the email digests")
    smtp_port: int = Field(587, ge=1, le=65535, description="SMTP port (587 STARTTLS, 465 SSL)")
    smtp_security: Literal["starttls", "ssl", "none"] = Field(
        "starttls", description="starttls, ssl (implicit TLS) or none (loopback relays only)"
    )
    smtp_username: str = Field("", description="SMTP login; empty sends without logging in")
    smtp_password: SecretStr = Field(
        SecretStr(""), description="SMTP password (never logged or shown)"
    )
    mail_from: str = Field(
        "funding-monitor@localhost", description="From address of digests and notices"
    )
    slack_token: SecretStr = Field(
        SecretStr(""), description="Slack bot token (xoxb-…, scope chat:write) for channels"
    )
    slack_base_url: str = Field(
        "https://slack.com/api/", description="Slack Web API base URL (tests point it at loopback)"
    )
    slack_webhook_hosts: str = Field(
        "hooks.slack.com",
        description="hosts a reader's own Slack webhook (set on the web "
        "preferences page) may point at, comma-separated",
    )
    public_url: str = Field(
        "", description="public base URL for links in digests (unsubscribe: PUBLIC_URL/unsubscribe)"
    )
    secret_key: SecretStr = Field(
        SecretStr(""), description="key that signs unsubscribe tokens; keep it secret and stable"
    )
    send_connections: int = Field(
        2, ge=1, le=16, description="SMTP connections a run sends over at once"
    )
    delivery_max_attempts: int = Field(
        5, ge=1, le=100,
        description="tries (one a run) of a digest or notice that fails by itself (cannot be "
        "built, rendered or sent) before it is given up on; a transport outage does not count",
    )  # fmt: skip
    digest_weekday: Literal[
        "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"
    ] = Field("monday", description="day on which weekly digests are due")
    digest_time: str = Field(
        "08:00", pattern=r"^([01]\d|2[0-3]):[0-5]\d$",
        description="local time (in TIMEZONE) from which digests are due, HH:MM",
    )  # fmt: skip
    digest_lookback_days: int = Field(
        7, ge=1, le=90,
        description="a first digest, and each next one, look this many days further back for "
        "calls not yet announced (late tagging)",
    )  # fmt: skip
    web_copy_days: int = Field(
        400, ge=1, le=3650,
        description="days the web copy of a sent digest (view in browser, My digests) is "
        "kept; `digest send` drops older ones, the deliveries stay in the log",
    )  # fmt: skip
    reminder_days: tuple[int, ...] = Field(
        (28, 7), description="default reminder windows before a deadline, in days (JSON list)"
    )
    fetch_every: str = Field(
        "1d", pattern=EVERY_PATTERN,
        description="how often `serve` fetches a source without its own interval (30m, 6h, 1d)",
    )  # fmt: skip
    health_time: str = Field(
        "07:30", pattern=r"^([01]\d|2[0-3]):[0-5]\d$",
        description="local time (in TIMEZONE) of `serve`'s daily health check, HH:MM",
    )  # fmt: skip
    misfire_grace: int = Field(
        3600, ge=1, le=7 * 86400,
        description="seconds late a scheduled fetch may still start (else it waits "
        "for its next run); missed runs are coalesced into one",
    )  # fmt: skip
    leader_poll: float = Field(
        15.0, gt=0, le=60,
        description="seconds between a standby `serve`'s tries of the leader lock",
    )  # fmt: skip
    log_level: str = Field("INFO", description="DEBUG, INFO, WARNING or ERROR")
    log_format: Literal["text", "json"] = Field(
        "text", description="text (key=value lines) or json (one object a line)"
    )
    timezone: str = Field(
        "Europe/Stockholm", description="IANA time zone in which dates are shown on screen"
    )

    @field_validator("reminder_days")
    @classmethod
    def _windows(cls, days: tuple[int, ...]) -> tuple[int, ...]:
        if any(not 1 <= day <= 365 for day in days):
            raise ValueError("each reminder window is 1 to 365 days")
        return days

    @field_validator("fetch_every")
    @classmethod
    def _interval(cls, every: str) -> str:
        try:
            seconds_of(every)
        except ConfigError as exc:
            raise ValueError(str(exc)) from None
        return every

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def fetch_every_seconds(self) -> int:
        return seconds_of(self.fetch_every)

    @property
    def secrets(self) -> list[str]:
        """The secret values among the settings, for the log filter that blanks them."""
        values = [self.smtp_password, self.slack_token, self.secret_key]
        found = [v.get_secret_value() for v in values if v.get_secret_value()]
        password = _url_password(self.database_url)
        return found + ([password] if password else [])

    @property
    def models_path(self) -> Path:
        """Where trained models are kept: beside the database when it is a SQLite file."""
        if self.model_dir:
            return Path(self.model_dir)
        if self.database_url.startswith("sqlite:///") and ":memory:" not in self.database_url:
            return Path(self.database_url.removeprefix("sqlite:///")).parent / "models"
        return Path("funding-monitor-models")

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        if settings_cls.model_config.get("toml_file"):
            sources.append(TomlConfigSettingsSource(settings_cls))
        return tuple(sources)


def load_settings(config_file: str | Path | None = None, **overrides: Any) -> Settings:
    """Settings from the environment, the config file and ``overrides`` (highest).

    Raises ConfigError naming the file or variable when a value is invalid or unknown, or when
    an explicitly given config file is missing.
    """
    path = Path(config_file) if config_file else Path(DEFAULT_CONFIG_FILE)
    if config_file and not path.is_file():
        raise ConfigError(f"config file {path} not found", hint="Check the --config path.")
    settings_cls = Settings
    if path.is_file():

        class FileSettings(Settings):
            model_config = SettingsConfigDict(toml_file=path)

        settings_cls = FileSettings
    try:
        settings = settings_cls(**overrides)
    except ValidationError as exc:
        problems = "; ".join(_problem(err) for err in exc.errors())
        where = f"{path} or {ENV_PREFIX}* variables" if path.is_file() else "settings"
        raise ConfigError(f"invalid {where}: {problems}") from exc
    except ValueError as exc:  # e.g. a TOML syntax error
        raise ConfigError(f"cannot read {path}: {exc}") from exc
    try:
        settings.zone  # noqa: B018 - validate the name now, not at first display
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ConfigError(f"timezone {settings.timezone!r} is not an IANA time zone") from exc
    level = settings.log_level.upper()
    if level not in ("DEBUG", "INFO", "WARNING", "ERROR"):
        raise ConfigError(f"log_level {settings.log_level!r} is not DEBUG, INFO, WARNING or ERROR")
    return settings


def _problem(error: Any) -> str:
    """One validation error: the setting and its variable, what is wrong, and (for a number or
    a list of them, never a text that might be a secret) the value given."""
    loc = error.get("loc") or ()
    name = str(loc[0]) if loc else ""
    field = Settings.model_fields.get(name)
    label = ".".join(str(p) for p in loc)
    if field is None:
        return f"{label}: {error['msg']}"
    given = ""
    if isinstance(field.default, (int, float, tuple)) and "input" in error:
        given = f" (got {str(error['input'])[:40]})"
    return f"{label} ({ENV_PREFIX}{name.upper()}): {error['msg']}{given}"


def seconds_of(every: str) -> int:
    """'90m', '6h', '1d12h' → seconds; ConfigError for anything else, under a minute or over
    MAX_EVERY."""
    if not re.match(EVERY_PATTERN, every) or len(every) > 40:
        raise ConfigError(f"{every[:40]!r} is not an interval like 30m, 6h, 1d or 1d12h")
    seconds = sum(int(n) * UNITS[u] for n, u in re.findall(r"(\d+)\s*([smhd])", every))
    if seconds < 60:
        raise ConfigError(f"interval {every!r} is under a minute; sources deserve more courtesy")
    if seconds > MAX_EVERY:
        raise ConfigError(f"interval {every!r} is more than a year: use at most 365d")
    return seconds


def every_text(seconds: int) -> str:
    """Seconds → the shortest of '1d', '6h', '90m', '1d12h'."""
    parts = []
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        count, seconds = divmod(seconds, size)
        if count:
            parts.append(f"{count}{unit}")
    return "".join(parts) or "0s"


def _url_password(url: str) -> str | None:
    try:
        return make_url(url).password
    except ArgumentError:
        return None


def describe() -> list[tuple[str, str, str]]:
    """(environment variable, default, description) for every setting, for docs and tests."""
    rows = []
    for name, field in Settings.model_fields.items():
        rows.append((ENV_PREFIX + name.upper(), repr(field.default), field.description or ""))
    return rows


def configure_logging(level: str, kind: str = "text", secrets: Iterable[str] = ()) -> None:
    """The one place handlers are set up: text or JSON lines on stderr, every secret blanked.
    httpx stays at WARNING (it would log every URL)."""
    root = logging.getLogger()
    if not root.handlers:
        stream = logging.StreamHandler()
        stream.setFormatter(formatter(kind))
        root.addHandler(stream)
    root.setLevel(level.upper())
    secrets = list(secrets)
    redaction.PROCESS.configure(secrets)  # stored and printed errors are blanked with the logs
    blank = SecretFilter(secrets)
    for handler in root.handlers:
        for old in [f for f in handler.filters if isinstance(f, SecretFilter)]:
            handler.removeFilter(old)
        handler.addFilter(blank)
    # slack_sdk logs webhook URLs (their path is the secret) and request bodies at DEBUG
    # apscheduler's INFO lines repeat what the job's own outcome line says
    for noisy in ("httpx", "httpcore", "alembic", "slack_sdk", "aiosmtpd", "mail.log",
                  "apscheduler"):  # fmt: skip
        logging.getLogger(noisy).setLevel(logging.WARNING)
