"""Tagging stored calls end to end through the command line, on SQLite and PostgreSQL: classify,
filter by tag, explain, label, train, evaluate, review, the taxonomy commands, and a broken
model that must not stop tagging."""

from __future__ import annotations

import json
from pathlib import Path

import joblib
import pytest
from sqlmodel import select

from monitor.store import sources as source_store
from monitor.store import tags as tag_store
from monitor.store.calls import upsert_calls
from monitor.store.db import open_store
from monitor.store.tables import Call
from sources.eu_ft.parse import parse
from sources.records import FetchResult, Page

SHIPPED_LABELS = Path(__file__).resolve().parents[2] / "classifiers" / "data" / "labels.jsonl"


@pytest.fixture
def stored(db_url, search_2026, now) -> dict[str, int]:
    """The recorded portal calls, stored; identifier -> call id."""
    store = open_store(db_url)
    source = source_store.add_source(store, "eu", "eu-ft", "http://127.0.0.1:9/x", {})
    assert source.id is not None
    upsert_calls(store, source.id, parse(FetchResult("eu", (Page("u", 1, search_2026),)), now), now)
    with store.session() as session:
        ids = {c.identifier: c.id for c in session.exec(select(Call)) if c.id is not None}
    store.dispose()
    return ids


EDCTP = "HORIZON-JU-GH-EDCTP3-2026-03-SERP-01"
UNIV = "ERASMUS-EDU-2024-EUR-UNIV-1"


def _tags(cli, *args: str) -> dict[str, dict[str, float]]:
    code, out, _ = cli("calls", "list", "--json", *args)
    assert code == 0
    return {c["identifier"]: c["tags"] for c in json.loads(out)}


def test_classify_trains_the_first_model_and_tags_every_call(cli, stored) -> None:
    code, out, _ = cli("classify")
    assert code == 0 and "the first model was trained from the shipped labels" in out
    assert f"tagged {len(stored)} calls with model1-" in out
    tags = _tags(cli)
    assert {"global-health-lmic", "eu-research-policy", "global-actor"} <= set(tags[EDCTP])
    assert "erasmus-education" in tags[UNIV]
    assert all(0.5 <= s <= 1 for t in tags.values() for s in t.values())
    lmic = _tags(cli, "--tag", "global-health-lmic")
    assert EDCTP in lmic and UNIV not in lmic
    code, out, _ = cli("classify")  # nothing new or changed
    assert code == 0 and "tagged 0 calls" in out
    code, out, _ = cli("classify", "--all")
    assert f"tagged {len(stored)} calls" in out


def test_a_changed_call_is_tagged_again(cli, stored, db_url) -> None:
    cli("classify")
    store = open_store(db_url)
    with store.session() as session:
        call = session.get(Call, stored[UNIV])
        assert call is not None
        from datetime import UTC, datetime

        call.last_changed = datetime.now(UTC)
        session.add(call)
    code, out, _ = cli("classify")
    assert "tagged 1 calls" in out


def test_explain_gives_rules_model_terms_and_decision(cli, stored) -> None:
    cli("classify")
    code, out, _ = cli("tags", "explain", str(stored[EDCTP]))
    assert code == 0
    assert "global-health-lmic: given" in out and 'rule: phrase "EDCTP"' in out
    assert "strongest terms:" in out and "global-actor: given" in out
    code, out, _ = cli("tags", "explain", str(stored[EDCTP]), "--json")
    data = json.loads(out)
    assert data["tags"]["global-health-lmic"]["model_terms"]
    code, _, err = cli("tags", "explain", "999999")
    assert code == 2 and "no call with id 999999" in err


def test_a_label_overrides_at_once_and_becomes_training_data(cli, stored, db_url) -> None:
    cli("classify")
    univ = str(stored[UNIV])
    assert "erasmus-education" in _tags(cli)[UNIV]
    code, out, _ = cli("label", univ, "erasmus-education", "--not")
    assert code == 0 and "does not have tag erasmus-education" in out
    assert "erasmus-education" not in _tags(cli)[UNIV]
    cli("label", univ, "visibility")
    assert _tags(cli)[UNIV]["visibility"] == 1.0
    cli("classify", "--all")  # re-tagging keeps the admin's word
    tags = _tags(cli)[UNIV]
    assert "erasmus-education" not in tags and tags["visibility"] == 1.0
    cli("label", univ, "global-actor", "--not")  # a parent's "not" takes its sub-tags
    assert not ({"global-actor", "eu-research-policy"} & set(_tags(cli)[UNIV]))
    code, out, _ = cli("train", "--force")
    shipped = len(SHIPPED_LABELS.read_text("utf-8").splitlines())
    assert code == 0 and f"{shipped + 1} labels" in out  # the shipped calls and the one judged here
    code, _, err = cli("label", univ, "no-such-tag")
    assert code == 2 and "unknown tag 'no-such-tag'" in err


def test_train_refuses_a_worse_model_unless_forced(cli, stored, db_url) -> None:
    cli("classify")
    store = open_store(db_url)
    row = tag_store.active_model(store)
    assert row is not None
    with store.session() as session:
        row.metrics = {**row.metrics, "chosen_macro_f1": 0.999}
        session.add(row)
    code, out, _ = cli("train")
    assert code == 1 and "NOT activated" in out and "0.999" in out
    assert tag_store.active_model(store).id == row.id
    code, out, _ = cli("train", "--force")
    assert code == 0 and "activated" in out
    assert tag_store.active_model(store).id != row.id
    assert len(tag_store.models(store)) == 3
    assert all(Path(m.file).exists() and Path(m.file).with_suffix(".json").exists()
               for m in tag_store.models(store))  # fmt: skip


@pytest.mark.parametrize("damage", ["corrupt", "other-version"])
def test_a_broken_model_falls_back_to_the_rules(cli, stored, db_url, damage) -> None:
    cli("classify")
    store = open_store(db_url)
    path = Path(tag_store.active_model(store).file)
    if damage == "corrupt":
        path.write_bytes(b"\x00garbage")
    else:
        data = joblib.load(path)
        data["meta"]["versions"]["scikit-learn"] = "0.9.9"
        joblib.dump(data, path)
    code, out, err = cli("classify")
    assert code == 0 and f"tagged {len(stored)} calls with rules-" in out
    assert "tagging with the rules only" in err and "funding-monitor train" in err
    assert "global-health-lmic" in _tags(cli)[EDCTP]
    code, out, _ = cli("train")
    assert code == 0 and "activated" in out


def test_evaluate_and_review(cli, stored) -> None:
    cli("classify")
    code, out, _ = cli("evaluate")
    assert code == 0 and "labelled calls, 5-fold cross-validation" in out
    assert "with 95% bootstrap intervals" in out and "confusion per tag" in out
    assert "macro F1" in out and "global-health-lmic" in out and "active model 1" in out
    code, out, _ = cli("evaluate", "--json")
    data = json.loads(out)
    assert set(data["macro_f1"]) == {"rules", "model", "union"}
    assert data["active_model"]["chosen_macro_f1"] > 0.5
    code, out, _ = cli("review", "--limit", "3", "--json")
    items = json.loads(out)
    assert len(items) == 3 and all(0 <= i["score"] <= 1 for i in items)
    assert {i["why"] for i in items} == {"uncertain"}
    distances = [abs(i["score"] - 0.5) for i in items]
    assert distances == sorted(distances)


def test_review_puts_readers_thumbs_down_first(cli, stored, db_url, now) -> None:
    from datetime import timedelta

    from monitor.store import feedback as feedback_store

    cli("classify")
    store = open_store(db_url)
    first, second = sorted(stored.values())[:2]
    feedback_store.add_feedback(store, first, "down", now - timedelta(hours=2))
    feedback_store.add_feedback(store, second, "not-relevant", now - timedelta(hours=1))
    feedback_store.add_feedback(store, first, "up", now)  # a 👍 puts nothing first
    code, out, _ = cli("review", "--limit", "4", "--json")
    items = json.loads(out)
    assert code == 0 and [i["call"] for i in items[:2]] == [second, first]  # latest first
    assert [i["why"] for i in items] == ["feedback", "feedback", "uncertain", "uncertain"]
    assert first not in {i["call"] for i in items[2:]} and len(items) == 4
    code, out, _ = cli("review", "--limit", "4")
    assert code == 0 and out.splitlines()[0].split()[0] == str(second)
    assert "a reader said 👎" in out.splitlines()[1]
    store.dispose()


def test_taxonomy_commands_keep_history(cli, stored) -> None:
    code, out, _ = cli("tags", "list")
    assert code == 0 and "  north-america" in out and "Nordamerika" in out
    code, out, _ = cli("tags", "add", "one-health", "--label-en", "One Health", "--label-sv",
                       "En hälsa", "--phrase", "one health", "--phrase", "zoonos*")  # fmt: skip
    assert code == 0
    code, _, err = cli("tags", "add", "one-health", "--label-en", "X", "--label-sv", "Y")
    assert code == 2 and "exists" in err
    cli("tags", "rename", "one-health", "--label-en", "One Health approach")
    cli("tags", "edit", "one-health", "--add", "phrases=antimicrobial resistance",
        "--set", "parent=global-actor")  # fmt: skip
    code, out, _ = cli("tags", "show", "one-health")
    assert "antimicrobial resistance" in out and 'parent = "global-actor"' in out
    code, _, err = cli("tags", "edit", "one-health", "--remove", "phrases=nothing like it")
    assert code == 2 and "has no phrases rule 'nothing like it'" in err
    code, out, _ = cli("tags", "history", "one-health")
    assert [line.split()[3] for line in out.splitlines()] == ["added", "renamed", "edited"]
    cli("classify")
    code, out, err = cli("tags", "retire", "global-health-lmic")
    assert code == 1 and "is on" in err and "--force" in err
    code, out, _ = cli("tags", "retire", "global-health-lmic", "--force")
    assert code == 0 and "retired" in out
    assert "global-health-lmic" not in _tags(cli)[EDCTP]
    code, _, err = cli("tags", "retire", "global-actor")
    assert code == 2 and "has sub-tags" in err
    code, out, _ = cli("tags", "list", "--all")
    assert "global-health-lmic" in out and "(retired)" in out
    cli("tags", "restore", "global-health-lmic")
    cli("classify", "--all")
    assert "global-health-lmic" in _tags(cli)[EDCTP]


def test_classify_input_needs_no_database(cli, tmp_path) -> None:
    lines = [
        {"title": "Erasmus+ virtual exchanges with Sub-Saharan Africa", "summary": "Intercultural "
         "dialogue for young people", "programme": "Erasmus+", "id": "keep-me"},
        "not json",
        {"summary": "no title"},
        {"title": "Research security training for US universities", "funder": 42},
        {"title": "Quantum sensors for submarines", "funder": "European Defence Fund"},
        {"title": "Grants for community health research", "countries": ["US"], "id": "us"},
        {"title": "Grants for community health research", "countries": "US"},
    ]  # fmt: skip
    path = tmp_path / "in.jsonl"
    path.write_text("\n".join(x if isinstance(x, str) else json.dumps(x) for x in lines) + "\n")
    code, out, err = cli("classify", "--input", str(path))
    assert code == 1
    rows = [json.loads(line) for line in out.splitlines()]
    assert [r.get("id") for r in rows] == ["keep-me", None, "us"]
    assert rows[2]["countries"] == ["US"]  # the funder's countries: evidence, kept in the output
    assert {"erasmus-education", "at-home", "global-health-lmic"} <= set(rows[0]["tags"])
    assert rows[1]["tags"] == {}
    assert "line 2: not JSON" in err and "line 3: missing or empty 'title'" in err
    assert "line 4: 'funder' must be a string" in err
    assert "line 7: 'countries' must be a list of two-letter country codes" in err
    assert not list(tmp_path.glob("*.db"))  # no database was created


def test_train_and_evaluate_tell_their_progress(stored, db_url, tmp_path) -> None:
    from monitor.config import load_settings
    from monitor.tagging.training import evaluate, train_and_register

    store = open_store(db_url)
    settings = load_settings(database_url=db_url, model_dir=str(tmp_path / "models"))
    told: list[tuple[str, int, int]] = []
    report = train_and_register(store, settings, on_progress=lambda *a: told.append(a))
    assert Path(report.file).exists()
    stages = [stage for stage, _, _ in told]
    assert stages.index("cross-validate") > stages.index("train")
    for stage in ("train", "cross-validate"):
        counts = [(done, total) for s, done, total in told if s == stage]
        total = counts[0][1]
        assert counts == [(n, total) for n in range(total + 1)] and total > 1
    told.clear()
    evaluate(store, on_progress=lambda *a: told.append(a))
    assert told == [("cross-validate", n, 5) for n in range(6)]
    store.dispose()


def test_stored_calls_carry_the_country_their_sources_funder_is_noted_in(store, now) -> None:
    """The catalogue's ``countries`` of a source reach the rules for its calls (tagging,
    explain, review, training and rule previews read calls the same way): a US funder's call
    shows north-america the evidence its text lacks; the same call from another source does
    not."""
    from classifiers.rules import Rules
    from classifiers.taxonomy import load_taxonomy
    from monitor.tagging.documents import documents
    from sources.records import CallRecord

    us = source_store.add_source(
        store,
        "kresge",
        "feed",
        "http://127.0.0.1:9/k",
        {},
        info={"funder": "The Kresge Foundation", "countries": ["US"]},
    )
    plain = source_store.add_source(
        store, "mirror", "feed", "http://127.0.0.1:9/m", {}, info={"countries": "US"}
    )  # not a list: no country
    record = CallRecord(external_id="k-1", identifier="", title="Grants for community health "
                        "research", url="https://kresge.example/k-1", funder="Kresge",
                        programme="", status="open")  # fmt: skip
    for source in (us, plain):
        assert source.id is not None
        upsert_calls(store, source.id, [record], now)
    calls = sorted(tag_store.calls_page(store, 0, 10), key=lambda c: c.source_id)
    docs = documents(store, calls)
    assert [d.countries for d in docs] == [("US",), ()]
    rules = Rules(load_taxonomy())
    assert ["north-america" in rules.lacking(d) for d in docs] == [False, True]
    texts = documents(store, tag_store.call_texts(store, 0, 10))  # the rule preview's reading
    assert sorted(d.countries for d in texts) == [(), ("US",)]
