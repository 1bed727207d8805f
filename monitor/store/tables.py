"""SQLModel tables. Every datetime column is a UTCDateTime: aware values in, aware UTC out."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, Column, DateTime, Float, ForeignKey, Index, Integer, LargeBinary, Text
from sqlalchemy import UniqueConstraint as Unique
from sqlalchemy.types import TypeDecorator
from sqlmodel import Field, SQLModel


def utc(value: datetime | None) -> datetime | None:
    """A stored datetime as an aware UTC value (SQLite hands back naive ones)."""
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Aware datetimes in, aware UTC datetimes out, on every backend (SQLite keeps no offset:
    values are written in UTC and read back as UTC)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r} given to the store; use UTC-aware values")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        return utc(value)


def _when(nullable: bool = True, index: bool = False) -> Any:
    return Field(
        default=None,
        sa_column=Column(UTCDateTime(), nullable=nullable, index=index),
    )


def _ref(target: str, *, required: bool = True, index: bool = True) -> Any:
    """An integer foreign key: required ones cascade deletes, optional ones become NULL."""
    ondelete = "CASCADE" if required else "SET NULL"
    column = Column(Integer, ForeignKey(target, ondelete=ondelete), nullable=not required,
                    index=index)  # fmt: skip
    return Field(default=None, sa_column=column) if not required else Field(sa_column=column)


def _json(default: Any) -> Any:
    return Field(default_factory=default, sa_column=Column(JSON, nullable=False))


class Source(SQLModel, table=True):
    """A configured source: its kind, URL and settings, and its health."""

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=100, unique=True, index=True)
    kind: str = Field(max_length=50)
    url: str = Field(sa_column=Column(Text, nullable=False))
    settings: dict[str, Any] = _json(dict)
    info: dict[str, Any] = _json(dict)  # curator's notes: funder, regions, countries, verified
    state: dict[str, Any] = _json(dict)
    enabled: bool = True
    every: int | None = None  # seconds between scheduled fetches; None: the FETCH_EVERY setting
    created_at: datetime | None = _when(nullable=False)
    last_run_at: datetime | None = _when()
    last_success_at: datetime | None = _when()
    last_outcome: str | None = Field(default=None, max_length=20)
    last_error: str | None = Field(default=None, sa_column=Column(Text))
    consecutive_failures: int = 0
    healthy: bool = True
    health_reason: str | None = Field(default=None, sa_column=Column(Text))


class SourceEvent(SQLModel, table=True):
    """A change in a source's health: ``unhealthy`` (with the reason) or ``healthy`` again."""

    __tablename__ = "source_event"

    id: int | None = Field(default=None, primary_key=True)
    source_id: int = _ref("source.id")
    kind: str = Field(max_length=20)
    reason: str = Field(default="", sa_column=Column(Text, nullable=False))
    at: datetime | None = _when(nullable=False, index=True)


class Call(SQLModel, table=True):
    """One funding call as last seen, plus presence and change bookkeeping."""

    __table_args__ = (Unique("source_id", "external_id", name="uq_call_source_external"),)

    id: int | None = Field(default=None, primary_key=True)
    source_id: int = _ref("source.id", index=False)
    external_id: str = Field(max_length=300)
    identifier: str = Field(max_length=300, index=True)
    title: str = Field(sa_column=Column(Text, nullable=False))
    summary: str = Field(default="", sa_column=Column(Text, nullable=False))
    description: str = Field(default="", sa_column=Column(Text, nullable=False))
    url: str = Field(sa_column=Column(Text, nullable=False))
    funder: str = Field(max_length=300)
    programme: str = Field(max_length=300, index=True)
    call_identifier: str = Field(default="", max_length=300)
    call_title: str = Field(default="", sa_column=Column(Text, nullable=False))
    action_types: list[str] = _json(list)
    opens: datetime | None = _when()
    deadlines: list[dict[str, Any]] = _json(list)
    last_deadline: datetime | None = _when(index=True)
    status: str = Field(max_length=20, index=True)
    source_status: str | None = Field(default=None, max_length=20)
    budget: float | None = Field(default=None, sa_column=Column(Float))
    currency: str | None = Field(default=None, max_length=10)
    keywords: list[str] = _json(list)
    flags: list[str] = _json(list)
    content_hash: str = Field(max_length=64)
    first_seen: datetime | None = _when(nullable=False)
    last_seen: datetime | None = _when(nullable=False)
    last_changed: datetime | None = _when(nullable=False)
    unseen_since: datetime | None = _when()
    # The same call as published by another source, which came first (monitor/store/matching.py);
    # never one that staff split it from (``CallApart``).
    same_as_id: int | None = _ref("call.id", required=False)
    # When the call was last tagged, and by what (model id or "rules"): a changed call or a new
    # model makes it due again.
    tagged_at: datetime | None = _when()
    tagged_with: str | None = Field(default=None, max_length=64)


class CallApart(SQLModel, table=True):
    """Two calls staff split apart (``calls unlink``, the linked-calls page): matching never
    links them as one call again. Each end is a source and the call's identity there
    (``matching.identity``: its identifier, else its link), which a re-listing of the call
    under a new external id keeps; ends are stored in order (the smaller first)."""

    __tablename__ = "call_apart"
    __table_args__ = (
        Unique("source_id", "key", "other_source_id", "other_key", name="uq_call_apart"),
    )

    id: int | None = Field(default=None, primary_key=True)
    source_id: int = _ref("source.id")
    key: str = Field(max_length=300)
    other_source_id: int = _ref("source.id")
    other_key: str = Field(max_length=300)
    at: datetime | None = _when(nullable=False)


class CallChange(SQLModel, table=True):
    """A typed change event: new, status_changed, reopened, deadline_changed, budget_changed,
    title_changed, opening_changed, details_changed, unseen, reappeared."""

    __tablename__ = "call_change"

    id: int | None = Field(default=None, primary_key=True)
    call_id: int = _ref("call.id")
    run_id: int | None = _ref("fetch_run.id", required=False)
    kind: str = Field(max_length=40, index=True)
    old: Any = Field(default=None, sa_column=Column(JSON))
    new: Any = Field(default=None, sa_column=Column(JSON))
    at: datetime | None = _when(nullable=False, index=True)


class FetchRun(SQLModel, table=True):
    """One run of one source: when, how it ended, what it counted, and why it failed."""

    __tablename__ = "fetch_run"
    # a source's latest runs and its recent figures: found through this index, not a scan
    __table_args__ = (Index("ix_fetch_run_source_id_started_at", "source_id", "started_at"),)

    id: int | None = Field(default=None, primary_key=True)
    source_id: int = _ref("source.id")
    started_at: datetime | None = _when(nullable=False)
    finished_at: datetime | None = _when()
    outcome: str = Field(default="running", max_length=20)
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    unseen: int = 0
    items: int = 0
    error: str | None = Field(default=None, sa_column=Column(Text))
    warnings: list[str] = _json(list)


class HttpCacheEntry(SQLModel, table=True):
    """A body kept for conditional GETs (ETag / Last-Modified), keyed by URL."""

    __tablename__ = "http_cache"

    url: str = Field(sa_column=Column(Text, primary_key=True))
    etag: str | None = Field(default=None, sa_column=Column(Text))
    last_modified: str | None = Field(default=None, sa_column=Column(Text))
    content_type: str = Field(default="", max_length=200)
    content: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    stored_at: datetime | None = _when(nullable=False)


class TagRow(SQLModel, table=True):
    """A tag of the active taxonomy (or a retired one), with its seed rules."""

    __tablename__ = "tag"

    id: str = Field(max_length=40, primary_key=True)
    label_en: str = Field(max_length=200)
    label_sv: str = Field(max_length=200)
    description: str = Field(default="", sa_column=Column(Text, nullable=False))
    parent: str | None = Field(default=None, max_length=40)
    rules: dict[str, Any] = _json(dict)
    position: int = 0
    retired_at: datetime | None = _when()
    updated_at: datetime | None = _when(nullable=False)


class TagEvent(SQLModel, table=True):
    """The taxonomy's history: seeded, added, renamed, edited, retired, restored."""

    __tablename__ = "tag_event"

    id: int | None = Field(default=None, primary_key=True)
    tag_id: str = Field(max_length=40, index=True)
    kind: str = Field(max_length=20)
    detail: dict[str, Any] = _json(dict)
    at: datetime | None = _when(nullable=False)


class CallTag(SQLModel, table=True):
    """A tag given to a call: its score (0.5 = threshold), where it came from, and why."""

    __tablename__ = "call_tag"

    call_id: int = Field(sa_column=Column(Integer, ForeignKey("call.id", ondelete="CASCADE"),
                                          primary_key=True))  # fmt: skip
    tag_id: str = Field(max_length=40, primary_key=True, index=True)
    score: float = Field(sa_column=Column(Float, nullable=False))
    origin: str = Field(max_length=10)  # rules | model | both | label
    reasons: list[str] = _json(list)


class Label(SQLModel, table=True):
    """An admin's judgement: this call has (positive) or has not this tag. Overrides the
    tagger at once and is training data."""

    __table_args__ = (Unique("call_id", "tag_id", name="uq_label_call_tag"),)

    id: int | None = Field(default=None, primary_key=True)
    call_id: int = _ref("call.id")
    tag_id: str = Field(max_length=40)
    positive: bool
    at: datetime | None = _when(nullable=False)


class TagModelRow(SQLModel, table=True):
    """A trained model file and what is known of it; at most one is active."""

    __tablename__ = "tag_model"

    id: int | None = Field(default=None, primary_key=True)
    file: str = Field(sa_column=Column(Text, nullable=False))
    created_at: datetime | None = _when(nullable=False)
    data_hash: str = Field(max_length=64)
    labels: int = 0
    metrics: dict[str, Any] = _json(dict)
    combination: dict[str, Any] = _json(dict)
    versions: dict[str, Any] = _json(dict)
    active: bool = False


class Subscriber(SQLModel, table=True):
    """Who receives digests (role ``digest``) or source notices (role ``curator``), where
    (an email address, a Slack channel, or a Slack incoming webhook) and what."""

    __table_args__ = (Unique("kind", "address", name="uq_subscriber_kind_address"),)

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=20)  # email | slack-channel | slack-webhook
    address: str = Field(sa_column=Column(Text, nullable=False))  # a webhook URL is a secret
    name: str = Field(default="", max_length=200)
    role: str = Field(default="digest", max_length=10)  # digest | curator
    language: str = Field(default="en", max_length=5)
    frequency: str = Field(default="weekly", max_length=10)  # weekly | daily
    # tags, programmes, places, keywords (lists) and min_days_left (int)
    filters: dict[str, Any] = _json(dict)
    reminder_days: list[int] = _json(list)
    active: bool = True
    token_nonce: str = Field(max_length=32)  # in signed unsubscribe tokens; rotate to revoke
    # the secret of the subscriber's calendar feed URL; a new one revokes the old URL
    calendar_key: str | None = Field(default=None, max_length=64, unique=True)
    # a destination a researcher chose on the web (their Slack webhook) belongs to their email
    # row, the one they sign in with
    owner_id: int | None = Field(
        default=None,
        sa_column=Column(
            Integer, ForeignKey("subscriber.id", ondelete="CASCADE"), nullable=True, index=True
        ),
    )
    created_at: datetime | None = _when(nullable=False)
    unsubscribed_at: datetime | None = _when()


class Delivery(SQLModel, table=True):
    """The ledger: one digest (or notice) per subscriber and period, planned then sent.

    ``pending`` → ``sent``; ``failed`` when the recipient was refused for good; ``empty`` when
    nothing was due (the period is settled and nothing is sent). ``parts_sent`` counts the Slack
    messages already posted, so that a resumed delivery posts only the rest."""

    __table_args__ = (Unique("subscriber_id", "kind", "period", name="uq_delivery_period"),)

    id: int | None = Field(default=None, primary_key=True)
    subscriber_id: int = _ref("subscriber.id")
    kind: str = Field(default="digest", max_length=10)  # digest | notice
    period: str = Field(max_length=120)
    status: str = Field(default="pending", max_length=10, index=True)
    planned_at: datetime | None = _when(nullable=False)
    since: datetime | None = _when()
    items: int = 0
    payload: dict[str, Any] = _json(dict)  # a notice's content
    attempts: int = 0
    parts_sent: int = 0
    message_id: str | None = Field(default=None, max_length=300)
    sent_at: datetime | None = _when()
    error: str | None = Field(default=None, sa_column=Column(Text))


class Announcement(SQLModel, table=True):
    """A call announced to a subscriber: as new, one typed change (``change:ID``) or one
    reminder window of one deadline (``reminder:DAYS:DATE``). Never announced twice."""

    subscriber_id: int = Field(sa_column=Column(Integer, ForeignKey("subscriber.id",
                               ondelete="CASCADE"), primary_key=True))  # fmt: skip
    call_id: int = Field(sa_column=Column(Integer, ForeignKey("call.id", ondelete="CASCADE"),
                                          primary_key=True, index=True))  # fmt: skip
    key: str = Field(max_length=60, primary_key=True)
    delivery_id: int = _ref("delivery.id")
    part: str = Field(max_length=10)  # new | changed | reminders


class JobState(SQLModel, table=True):
    """A scheduled job as the leader last saw it: its trigger, next run and last outcome, for
    ``status`` (which runs in another process)."""

    __tablename__ = "job_state"

    id: str = Field(primary_key=True, max_length=150)  # fetch:eu-ft, digest:weekly, health
    trigger: str = Field(default="", max_length=200)
    next_run_at: datetime | None = _when()
    last_started_at: datetime | None = _when()
    last_finished_at: datetime | None = _when()
    last_outcome: str | None = Field(default=None, max_length=20)  # ok | failed | crashed | stopped
    last_summary: str | None = Field(default=None, sa_column=Column(Text))
    holder: str | None = Field(default=None, max_length=200)  # the leader that ran it


class Feedback(SQLModel, table=True):
    """A reader's word on a call, for the admins to review (and accept as a label): a tag that
    is wrong, a call not relevant to them, or 👍/👎 from a digest. ``subscriber_id`` when it came
    through a subscriber's own link; ``status`` new → accepted | dismissed."""

    id: int | None = Field(default=None, primary_key=True)
    call_id: int = _ref("call.id")
    tag_id: str | None = Field(default=None, max_length=40)  # the tag judged wrong
    kind: str = Field(max_length=20)  # wrong-tag | not-relevant | up | down
    via: str = Field(default="web", max_length=10)  # web | email | slack
    subscriber_id: int | None = _ref("subscriber.id", required=False)
    at: datetime | None = _when(nullable=False, index=True)
    status: str = Field(default="new", max_length=10, index=True)


class EmailLink(SQLModel, table=True):
    """A single-use link sent by email: ``confirm`` (double opt-in of a new subscription, with
    the filters it asked for) or ``sign-in`` (to one's preferences). Only a hash of the token
    is kept; a link is good once, until ``expires_at``."""

    __tablename__ = "email_link"

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(max_length=64, unique=True)
    kind: str = Field(max_length=10)  # confirm | sign-in | staff
    address: str = Field(sa_column=Column(Text, nullable=False, index=True))
    subscriber_id: int | None = _ref("subscriber.id", required=False)
    wanted: dict[str, Any] = _json(dict)  # a confirm link's filters and language
    created_at: datetime | None = _when(nullable=False, index=True)
    expires_at: datetime | None = _when(nullable=False)
    used_at: datetime | None = _when()


class StaffUser(SQLModel, table=True):
    """A member of staff: an address that signs in to the staff pages by magic link, with a
    role (``curator``: sources, deliveries, notices, calls entered by hand; ``admin``:
    everything). Rotating ``nonce`` ends every session of the user."""

    __tablename__ = "staff_user"

    id: int | None = Field(default=None, primary_key=True)
    address: str = Field(sa_column=Column(Text, nullable=False, unique=True))
    role: str = Field(max_length=10)  # curator | admin
    nonce: str = Field(max_length=32)
    created_at: datetime | None = _when(nullable=False)
    last_seen_at: datetime | None = _when()


class AuditEvent(SQLModel, table=True):
    """One change made by staff, on a staff page or by a command: who, when, what, and the
    values before and after."""

    __tablename__ = "audit_event"

    id: int | None = Field(default=None, primary_key=True)
    at: datetime | None = _when(nullable=False, index=True)
    actor: str = Field(max_length=320, index=True)  # a staff address, or cli:<login>
    action: str = Field(max_length=60, index=True)  # source.edit, tag.rename, user.add…
    target: str = Field(default="", max_length=300)  # "source 12 (eu-ft)"
    before: dict[str, Any] = _json(dict)
    after: dict[str, Any] = _json(dict)
