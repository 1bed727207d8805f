"""The admins' review queue: which call to judge next, a call as the queue shows it (its text,
each tag's score and evidence, the labels it has), and readers' feedback turned into labels.

The queue puts first the calls with a reader's 👎 or "not relevant" still undecided (the
latest first), then the calls the model is least sure about (``model.uncertain``: a score nearest
0.5 on a tag no admin has judged). That ranking scores every stored call, so it is kept on the
``App`` for the active model and refreshed every ``FRESH`` seconds, when another model becomes
active, or when every call in it has been judged (at most every ``RETRY`` seconds: a model that
cannot be loaded ranks nothing); labels given since are left out as they come.

Accepting feedback makes labels (``model.label``, in force at once), by what was said:
  wrong-tag            the call lacks that tag;
  👎, not relevant     the call lacks the tags that put it in that reader's digest: the tags
                       it carries that the reader's subscription follows (a followed sub-tag
                       rather than its followed parent, when the call has both);
  👍                   the call has those tags.
Feedback that names no tag (a reader who follows no tag, or feedback from no subscriber)
cannot be accepted: its call is judged in the queue, and the feedback rejected (dismissed).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from monitor.app import audit
from monitor.app.calls import show
from monitor.app.context import App
from monitor.errors import ConfigError
from monitor.store import feedback as feedback_store
from monitor.store import subscribers as subscriber_store
from monitor.store import tags as tag_store
from monitor.store.tables import Feedback
from monitor.store.views import CallView

FRESH = 600.0  # seconds a ranking of the model's uncertain calls is kept
RANKED = 500  # calls kept in that ranking
RETRY = 30.0  # seconds before a ranking judged through (or empty) is made again
_KEY = "review.queue"


@dataclass(frozen=True)
class Next:
    """The call to judge next: ``why`` "feedback" (a reader's 👎) or "uncertain" (the
    model's ``score`` on ``tag``); ``waiting``: the calls in the queue after it."""

    call_id: int
    why: str
    tag: str | None
    score: float | None
    waiting: int


@dataclass(frozen=True)
class TagCheck:
    """One tag of a call in the queue: whether it is given (``score`` as stored), the model's
    own score, the rules that fired or vetoed it, the model's strongest terms, and an admin's
    label (True: has it, False: lacks it, None: not judged)."""

    tag: str
    labels: dict[str, str]  # language -> the tag's name
    parent: str | None
    given: bool
    score: float | None
    model_score: float | None
    rules: list[str]
    vetoed_by: str | None
    terms: list[str]
    label: bool | None
    asked: bool  # the tag the queue asks about


@dataclass(frozen=True)
class Said:
    """A reader's feedback on a call, and the labels accepting it would record."""

    id: int
    call_id: int
    title: str
    identifier: str
    kind: str  # wrong-tag | not-relevant | up | down
    tag: str | None
    via: str
    at: datetime
    status: str
    follows: list[str]  # the tags the reader's subscription follows
    becomes: list[tuple[str, bool]]  # (tag, has it) labels; empty: none can be made


@dataclass(frozen=True)
class Card:
    call: CallView
    tags: list[TagCheck]  # the asked tag first, then those with evidence, then the rest
    feedback: list[Said]  # its readers' undecided feedback
    tagger: str
    warning: str | None


class _Kept:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.model_id: int | None = None
        self.built = float("-inf")
        self.ranked: list[dict[str, Any]] = []


def _ranked(app: App, judged: dict[int, dict[str, bool]]) -> list[dict[str, Any]]:
    """The model's uncertain calls whose asked tag no one has judged yet."""
    from monitor.app import model

    with app._opening:
        kept = app.kept.setdefault(_KEY, _Kept())
    assert isinstance(kept, _Kept)
    active = tag_store.active_model(app.store())
    with kept.lock:
        wanted = active.id if active else None
        open_ = [r for r in kept.ranked if r["tag"] not in judged.get(r["call"], {})]
        age = time.monotonic() - kept.built
        if kept.model_id != wanted or age > FRESH or (not open_ and age > RETRY):
            kept.ranked = model.uncertain(app, RANKED) if active else []
            kept.model_id, kept.built = wanted, time.monotonic()
            open_ = [r for r in kept.ranked if r["tag"] not in judged.get(r["call"], {})]
        return open_


def next_call(app: App, skipped: Sequence[int] = ()) -> Next | None:
    """The call to judge next, leaving out ``skipped``; None when the queue is empty."""
    store = app.store()
    passed = set(skipped)
    said = feedback_store.calls_said(store, feedback_store.DOUBTED)
    doubted = [c for c in said if c not in passed]
    ranked = [r for r in _ranked(app, tag_store.labels(store))
              if r["call"] not in passed and r["call"] not in doubted]  # fmt: skip
    waiting = len(doubted) + len(ranked) - 1
    if doubted:
        return Next(doubted[0], "feedback", None, None, waiting)
    if ranked:
        first = ranked[0]
        return Next(first["call"], "uncertain", first["tag"], first["score"], waiting)
    return None


def card(app: App, call_id: int, asked: str | None = None) -> Card:
    """A call as the queue shows it, every tag in force with its evidence (``asked`` first).
    ConfigError when there is no such call."""
    from monitor.app import model

    call = show(app, call_id, now=app.now())
    explained = model.explain(app, call_id)
    taxonomy = tag_store.active_taxonomy(app.store())
    checks = []
    for tag_id, tag in taxonomy.tags.items():
        found = explained["tags"].get(tag_id, {})
        checks.append(TagCheck(
            tag_id, {"en": tag.label_en, "sv": tag.label_sv}, tag.parent,
            bool(found.get("given")), found.get("score"), found.get("model_score"),
            list(found.get("rules", [])), found.get("vetoed_by"),
            list(found.get("model_terms", []))[:8], found.get("label"), tag_id == asked,
        ))  # fmt: skip
    checks.sort(key=lambda c: (not c.asked, not (c.given or c.rules or c.model_score)))
    said = _said(app, feedback_store.list_feedback(app.store(), call_id=call_id))
    return Card(call, checks, said, explained["tagger"], explained["warning"])


def feedback(app: App, limit: int = 200) -> list[Said]:
    """Readers' feedback no admin has decided on, newest first."""
    return _said(app, feedback_store.list_feedback(app.store(), limit=max(1, min(limit, 500))))


def _said(app: App, rows: list[Feedback]) -> list[Said]:
    store = app.store()
    call_ids = {r.call_id for r in rows}
    calls = tag_store.calls_by_id(store, call_ids)
    given = tag_store.call_tags(store, list(call_ids))
    readers = {s.id: s for s in subscriber_store.list_subscribers(
        store, ids={r.subscriber_id for r in rows if r.subscriber_id is not None})}  # fmt: skip
    taxonomy = tag_store.active_taxonomy(store)
    out = []
    for row in rows:
        call = calls.get(row.call_id)
        reader = readers.get(row.subscriber_id) if row.subscriber_id is not None else None
        follows = [str(t) for t in (reader.filters.get("tags", []) if reader else [])]
        if row.kind == "wrong-tag":
            becomes = [(row.tag_id, False)] if row.tag_id else []
        else:
            theirs = [t for t in follows if t in given.get(row.call_id, {})]
            sub_tags = {t for t in theirs if t in taxonomy.tags and taxonomy.tags[t].parent}
            parents = {taxonomy.tags[t].parent for t in sub_tags}
            becomes = [(t, row.kind == "up") for t in theirs if t not in parents]
        out.append(Said(
            row.id or 0, row.call_id, call.title if call else "", call.identifier if call else "",
            row.kind, row.tag_id, row.via, row.at or datetime.min, row.status, follows, becomes,
        ))  # fmt: skip
    return out


def _one(app: App, feedback_id: int) -> Said:
    row = feedback_store.get_feedback(app.store(), feedback_id)
    if row is None:
        raise ConfigError(f"no feedback {feedback_id}", hint="")
    said = _said(app, [row])[0]
    if said.status != "new":
        raise ConfigError(f"feedback {feedback_id} was {said.status} already", hint="")
    return said


def accept(app: App, feedback_id: int) -> Said:
    """Turn a reader's feedback into labels (see the module's docstring) and mark it
    accepted. ConfigError when it was decided already, or names no tag to label."""
    from monitor.app import model

    said = _one(app, feedback_id)
    if not said.becomes:
        raise ConfigError(f"feedback {feedback_id} names no tag to label",
                          hint="Judge the call's tags in the review queue, then reject the "
                          "feedback.")  # fmt: skip
    if not feedback_store.set_status(app.store(), feedback_id, "accepted"):
        raise ConfigError(f"feedback {feedback_id} was decided already", hint="")
    try:
        for tag, positive in said.becomes:
            model.label(app, said.call_id, tag, positive)
    except ConfigError:  # a tag retired since: the feedback stays to be decided
        feedback_store.set_status(app.store(), feedback_id, "new", was="accepted")
        raise
    made = ", ".join(f"{'has' if yes else 'lacks'} {tag}" for tag, yes in said.becomes)
    audit.record(app, "feedback.accept", _target(said), {"status": "new"},
                 {"status": "accepted", "labels": made})  # fmt: skip
    return said


def reject(app: App, feedback_id: int) -> Said:
    """Dismiss a reader's feedback (no label). ConfigError when it was decided already."""
    said = _one(app, feedback_id)
    if not feedback_store.set_status(app.store(), feedback_id, "dismissed"):
        raise ConfigError(f"feedback {feedback_id} was decided already")
    audit.record(app, "feedback.reject", _target(said), {"status": "new"},
                 {"status": "dismissed"})  # fmt: skip
    return said


def _target(said: Said) -> str:
    return f"feedback {said.id} ({said.kind}) on call {said.call_id} ({said.identifier})"
