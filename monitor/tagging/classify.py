"""Tagging stored calls: the active taxonomy and model, classification, labels as overrides,
and explanations, and the calls to review next. Training and evaluation live in
``monitor/tagging/training.py``, which this module calls (never the other way round).

The tagger in force is the stored taxonomy plus the active model. When no model was ever
trained, the first classification trains one from the labels shipped with the package. A model
that cannot be loaded (another scikit-learn, a corrupt file) is reported with the retrain hint
and tagging carries on with the rules alone.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from classifiers.document import COUNTRY
from classifiers.errors import ClassifierError, ModelError
from classifiers.model import TagModel, load_model
from classifiers.tagger import Tagger, TagResult
from classifiers.taxonomy import Taxonomy, dump_taxonomy
from monitor.config import Settings
from monitor.errors import ConfigError
from monitor.store import tags as tag_store
from monitor.store.db import Store
from monitor.store.tables import Call
from monitor.tagging import training
from monitor.tagging.documents import documents

logger = logging.getLogger(__name__)
BATCH = 2000
LABEL_SCORE = 1.0


@dataclass(frozen=True)
class ActiveTagger:
    """The tagger in force and the name stored on the calls it tagged."""

    tagger: Tagger
    name: str
    model_id: int | None = None
    warning: str | None = None


@dataclass(frozen=True)
class ClassifyReport:
    tagged: int
    tagger: str
    warning: str | None = None
    trained: str | None = None  # set when the first model was trained on the way


def taxonomy_key(taxonomy: Taxonomy) -> str:
    return hashlib.sha256(dump_taxonomy(taxonomy).encode()).hexdigest()[:10]


def active_tagger(store: Store, settings: Settings, *, bootstrap: bool = True) -> ActiveTagger:
    """The stored taxonomy with the active model (training the first one if none exists and
    ``bootstrap``); rules alone, with a warning, when the model cannot be loaded."""
    taxonomy = tag_store.active_taxonomy(store)
    key = taxonomy_key(taxonomy)
    row = tag_store.active_model(store)
    if row is None and bootstrap and not tag_store.models(store):
        training.train_and_register(store, settings, force=True)
        row = tag_store.active_model(store)
    if row is None:
        return ActiveTagger(Tagger(taxonomy), f"rules-{key}")
    try:
        model = load_model(Path(row.file))
    except ModelError as exc:
        warning = f"{exc} — tagging with the rules only. {exc.hint}"
        logger.warning("model unusable model=%s error=%s", row.id, exc)
        return ActiveTagger(Tagger(taxonomy), f"rules-{key}", warning=warning)
    tagger = Tagger(taxonomy, model, dict(row.combination) or "union")
    return ActiveTagger(tagger, f"model{row.id}-{key}", model_id=row.id)


def given_tags(
    result: TagResult, labels: Mapping[str, bool], taxonomy: Taxonomy
) -> dict[str, tuple[float, str, list[str]]]:
    """The tags to store for one call: the tagger's, overridden by its labels (a positive
    label gives the tag, a negative one takes it away, a negative on a parent takes its
    sub-tags too); parents then follow from their sub-tags. tag -> (score, origin, reasons)."""
    leaves = {t: (s, _origin(result.reasons.get(t, [])), result.reasons.get(t, []))
              for t, s in result.scores.items() if not taxonomy.children(t)}  # fmt: skip
    for tag, positive in labels.items():
        if tag not in taxonomy.tags:
            continue
        targets = taxonomy.children(tag) if taxonomy.children(tag) and not positive else [tag]
        for target in targets:
            leaves.pop(target, None)
        if positive and not taxonomy.children(tag):
            leaves[tag] = (LABEL_SCORE, "label", ["labelled by an admin"])
    out = dict(leaves)
    for tag, (score, _, _) in leaves.items():
        parent = taxonomy.tags[tag].parent
        if parent and labels.get(parent) is not False:
            best = max(score, out[parent][0]) if parent in out else score
            why = (out[parent][2] if parent in out else []) + [f"sub-tag {tag}"]
            out[parent] = (best, "sub-tag", why)
    for tag, positive in labels.items():
        if positive and tag in taxonomy.tags and taxonomy.children(tag) and tag not in out:
            out[tag] = (LABEL_SCORE, "label", ["labelled by an admin"])
    return out


def _origin(reasons: list[str]) -> str:
    model = any(r.startswith("model ") for r in reasons)
    rules = any(not r.startswith(("model ", "sub-tag ")) for r in reasons)
    return "both" if model and rules else "model" if model else "rules"


def classify_stored(
    store: Store,
    settings: Settings,
    *,
    all_calls: bool = False,
    now: datetime | None = None,
    stop: threading.Event | None = None,
) -> ClassifyReport:
    """Tag every new or changed call (or every call), in batches, each its own transaction;
    labels override. Once ``stop`` is set no further batch starts (the rest stay due)."""
    now = now or datetime.now(UTC)
    had_models = bool(tag_store.models(store))
    active = active_tagger(store, settings)
    trained = None if had_models else "the first model was trained from the shipped labels"
    tagged, last_id = 0, 0
    while stop is None or not stop.is_set():
        calls = tag_store.calls_page(store, last_id, BATCH,
                                     due_for=None if all_calls else active.name)  # fmt: skip
        if not calls:
            break
        tagged += _tag(store, active, calls, now)
        last_id = calls[-1].id or last_id
    logger.info("classified calls=%d tagger=%s", tagged, active.name)
    return ClassifyReport(tagged, active.name, active.warning, trained)


def classify_calls(
    store: Store, settings: Settings, call_ids: Iterable[int], *, now: datetime | None = None
) -> ClassifyReport:
    """Tag these calls now (a call entered by hand, as it is saved) with the tagger in force;
    labels override. No model is trained on the way: before the first one exists the rules
    alone tag them, and the first `classify` (which trains it) tags them again."""
    active = active_tagger(store, settings, bootstrap=False)
    calls = list(tag_store.calls_by_id(store, call_ids).values())
    tagged = _tag(store, active, calls, now or datetime.now(UTC)) if calls else 0
    return ClassifyReport(tagged, active.name, active.warning)


def _tag(store: Store, active: ActiveTagger, calls: list[Call], now: datetime) -> int:
    """Tag one batch of stored calls in one transaction; how many."""
    ids = [c.id for c in calls if c.id is not None]
    results = active.tagger.tag(documents(store, calls))
    labels = tag_store.labels(store, ids)
    taxonomy = active.tagger.taxonomy
    given = {cid: given_tags(r, labels.get(cid, {}), taxonomy)
             for cid, r in zip(ids, results, strict=True)}  # fmt: skip
    tag_store.replace_call_tags(store, given, active.name, now)
    return len(ids)


def classify_lines(lines: Iterable[str], tagger: Tagger) -> Iterator[tuple[int, str | None, str]]:
    """Tag JSON lines: yields (line number, output line or None, error). Each input object
    (``title`` required; ``summary``, ``programme``, ``funder``, ``identifier`` optional, and
    ``countries``: the funder's, as ISO codes) comes back with ``tags``: tag id -> score, for
    the tags given."""
    batch: list[tuple[int, dict[str, Any]]] = []
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
        except json.JSONDecodeError as exc:
            yield number, None, f"line {number}: not JSON: {exc.msg}"
            continue
        problem = _check(data)
        if problem:
            yield number, None, f"line {number}: {problem}"
            continue
        batch.append((number, data))
        if len(batch) >= BATCH:
            yield from _tag_batch(batch, tagger)
            batch = []
    yield from _tag_batch(batch, tagger)


def _check(data: Any) -> str | None:
    if not isinstance(data, dict):
        return "expected a JSON object"
    if not isinstance(data.get("title"), str) or not data["title"].strip():
        return "missing or empty 'title'"
    for key in ("summary", "programme", "funder", "identifier"):
        if data.get(key) is not None and not isinstance(data[key], str):
            return f"{key!r} must be a string"
    countries = data.get("countries")
    if countries is not None and not (
        isinstance(countries, list)
        and all(isinstance(c, str) and COUNTRY.fullmatch(c) for c in countries)
    ):
        return "'countries' must be a list of two-letter country codes (ISO 3166), e.g. [\"US\"]"
    return None


def _tag_batch(batch: list[tuple[int, dict[str, Any]]], tagger: Tagger
               ) -> Iterator[tuple[int, str | None, str]]:  # fmt: skip
    results = tagger.tag_mappings([data for _, data in batch])
    for (number, data), result in zip(batch, results, strict=True):
        out = {**data, "tags": {t: round(s, 4) for t, s in sorted(result.scores.items())}}
        yield number, json.dumps(out, ensure_ascii=False), ""


def offline_tagger(model_file: str | None, taxonomy_file: str | None) -> Tagger:
    """A tagger without a database: the given (or default) taxonomy, and the given model or
    one trained now from the shipped labels."""
    from classifiers.taxonomy import load_taxonomy

    try:
        taxonomy = load_taxonomy(taxonomy_file)
        if model_file:
            model: TagModel = load_model(Path(model_file))
            return Tagger(taxonomy, model, model.meta.get("combination") or "union")
        model, combination = training.fit_shipped(taxonomy)
        return Tagger(taxonomy, model, combination)
    except ClassifierError as exc:
        raise ConfigError(str(exc), hint=exc.hint) from exc


def explain(store: Store, settings: Settings, call_id: int) -> dict[str, Any]:
    """Per tag with any evidence: given or not, score, the rules that fired (and vetoes), the
    model's score and strongest terms, and the admin's label."""
    call = tag_store.calls_by_id(store, [call_id]).get(call_id)
    if call is None:
        raise ConfigError(f"no call with id {call_id}", hint="See `funding-monitor calls list`.")
    active = active_tagger(store, settings, bootstrap=False)
    tagger, doc = active.tagger, documents(store, [call])[0]
    hits, vetoes = tagger.rules.hits(doc), tagger.rules.vetoes(doc)
    model = tagger.model
    learned = model.scores([doc])[0] if model else {}
    labels = tag_store.labels(store, [call_id]).get(call_id, {})
    stored = tag_store.call_tags(store, [call_id]).get(call_id, {})
    out: dict[str, Any] = {"call": call_id, "title": call.title, "tagger": active.name,
                           "warning": active.warning, "tags": {}}  # fmt: skip
    for tag in tagger.taxonomy.ids:
        if not (tag in hits or tag in vetoes or learned.get(tag, 0) >= 0.25 or tag in labels
                or tag in stored):  # fmt: skip
            continue
        out["tags"][tag] = {
            "given": tag in stored,
            "score": stored[tag].score if tag in stored else None,
            "rules": hits.get(tag, []),
            "vetoed_by": vetoes.get(tag),
            "model_score": round(learned[tag], 4) if tag in learned else None,
            "model_terms": [t for t, _ in model.strongest_terms(doc, tag)] if model else [],
            "combination": tagger.combination.get(tag),
            "label": labels.get(tag),
        }
    return out


def set_label(store: Store, call_id: int, tag: str, positive: bool) -> None:
    """Record an admin's label; it overrides the tagger at once (the call is re-tagged)."""
    taxonomy = tag_store.active_taxonomy(store)
    taxonomy.get(tag)
    call = tag_store.calls_by_id(store, [call_id]).get(call_id)
    if call is None:
        raise ConfigError(f"no call with id {call_id}", hint="See `funding-monitor calls list`.")
    tag_store.put_label(store, call_id, tag, positive)
    stored = tag_store.call_tags(store, [call_id]).get(call_id, {})
    result = TagResult({t: r.score for t, r in stored.items() if r.origin != "label"},
                       {t: list(r.reasons) for t, r in stored.items()})  # fmt: skip
    labels = tag_store.labels(store, [call_id]).get(call_id, {})
    given = given_tags(result, labels, taxonomy)
    tagged_with = call.tagged_with or "labels"
    tag_store.replace_call_tags(store, {call_id: given}, tagged_with, datetime.now(UTC))


def review(store: Store, settings: Settings, limit: int = 20) -> list[dict[str, Any]]:
    """The stored calls the model is least sure about (a score nearest 0.5 on a tag no admin
    has judged for that call), most uncertain first: what to label next."""
    active = active_tagger(store, settings, bootstrap=False)
    model = active.tagger.model
    if model is None:
        return []
    labels = tag_store.labels(store)
    candidates: list[dict[str, Any]] = []
    last_id = 0
    while True:
        calls = tag_store.calls_page(store, last_id, 2000)
        if not calls:
            break
        last_id = calls[-1].id or last_id
        for call, scores in zip(calls, model.scores(documents(store, calls)), strict=True):
            judged = labels.get(call.id or 0, {})
            open_tags = {t: s for t, s in scores.items() if t not in judged}
            if open_tags:
                tag, score = min(open_tags.items(), key=lambda item: abs(item[1] - 0.5))
                candidates.append({"call": call.id, "title": call.title, "tag": tag,
                                   "score": round(score, 3)})  # fmt: skip
    candidates.sort(key=lambda c: abs(c["score"] - 0.5))
    return candidates[:limit]
