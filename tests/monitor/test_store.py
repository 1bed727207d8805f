"""The store on SQLite and PostgreSQL: idempotent upsert, typed change events, presence."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func
from sqlmodel import select

from monitor.errors import ConfigError
from monitor.store import sources as source_store
from monitor.store.calls import upsert_calls
from monitor.store.db import Store
from monitor.store.tables import Call, CallChange
from monitor.store.views import get_call, list_calls
from sources.deadlines import eu_deadline
from sources.eu_ft import parse
from sources.records import CallRecord, FetchResult, Page
from tests.conftest import CALL_JSON_FIELDS


def records_2026(search_2026, now) -> list[CallRecord]:
    return parse(FetchResult("eu", (Page("u", 1, search_2026),)), now)


def _source(store: Store, name: str = "eu") -> int:
    source = source_store.add_source(store, name, "eu-ft", "http://127.0.0.1:9/x", {})
    assert source.id is not None
    return source.id


def _count(store: Store, table) -> int:
    with store.session() as session:
        return session.exec(select(func.count()).select_from(table)).one()


def _snapshot(store: Store) -> list[tuple]:
    with store.session() as session:
        return [
            (c.id, c.content_hash, c.last_seen, c.last_changed, c.summary)
            for c in session.exec(select(Call).order_by(Call.id))
        ]


def test_first_run_stores_every_call_with_a_new_event(store, search_2026, now) -> None:
    source_id = _source(store)
    counts = upsert_calls(store, source_id, records_2026(search_2026, now), now)
    assert (counts.new, counts.updated, counts.unchanged, counts.unseen) == (11, 0, 0, 0)
    assert _count(store, Call) == 11
    with store.session() as session:
        kinds = session.exec(select(CallChange.kind)).all()
    assert kinds == ["new"] * 11


def test_an_unchanged_rerun_writes_nothing(store, search_2026, now) -> None:
    source_id = _source(store)
    upsert_calls(store, source_id, records_2026(search_2026, now), now)
    before = _snapshot(store)
    later = now + timedelta(hours=1)
    counts = upsert_calls(store, source_id, records_2026(search_2026, now), later)
    assert (counts.new, counts.updated, counts.unchanged, counts.unseen) == (0, 0, 11, 0)
    assert _snapshot(store) == before
    assert _count(store, CallChange) == 11


def test_changes_are_recorded_as_typed_events(store, search_2026, now) -> None:
    source_id = _source(store)
    records = records_2026(search_2026, now)
    upsert_calls(store, source_id, records, now)
    by_id = {r.identifier: r for r in records}
    life = by_id["LIFE-2026-STRAT-CLIMA-SIP-two-stage"]
    moved = replace(
        life,
        deadlines=(life.deadlines[0], eu_deadline(date(2027, 4, 1), "new")),
        budget=31_000_000.0,
        title="Strategic Integrated Projects – Climate",
    )
    univ = by_id["ERASMUS-EDU-2024-EUR-UNIV-1"]
    reopened = replace(univ, status="open", flags=())
    changed = [moved if r is life else reopened if r is univ else r for r in records]
    later = now + timedelta(days=1)
    counts = upsert_calls(store, source_id, changed, later)
    assert (counts.new, counts.updated, counts.unchanged) == (0, 2, 9)
    with store.session() as session:
        life_id = session.exec(select(Call.id).where(Call.identifier == life.identifier)).one()
    view = get_call(store, life_id, now=later)
    assert view is not None
    kinds = {c.kind: c for c in view.changes}
    assert set(kinds) == {"new", "deadline_changed", "budget_changed", "title_changed"}
    assert kinds["deadline_changed"].new[-1] == "2027-04-01T17:00:00+02:00"
    assert kinds["budget_changed"].old == {"amount": 30_000_000.0, "currency": "EUR"}
    assert kinds["title_changed"].new == "Strategic Integrated Projects – Climate"
    assert view.last_changed == later
    with store.session() as session:
        reopened_kinds = session.exec(
            select(CallChange.kind)
            .join(Call, Call.id == CallChange.call_id)
            .where(Call.identifier == univ.identifier)
        ).all()
    assert "reopened" in reopened_kinds


def test_vanished_calls_are_kept_and_marked_unseen_then_reappear(store, search_2026, now) -> None:
    source_id = _source(store)
    records = records_2026(search_2026, now)
    upsert_calls(store, source_id, records, now)
    later = now + timedelta(days=7)
    counts = upsert_calls(store, source_id, records[:-2], later)
    assert counts.unseen == 2 and counts.unchanged == 9
    assert _count(store, Call) == 11
    gone = list_calls(store, now=later, search=records[-1].identifier)[0]
    assert gone.unseen_since == later and gone.last_seen == now
    again = later + timedelta(days=7)
    counts = upsert_calls(store, source_id, records, again)
    assert counts.updated == 2 and counts.unseen == 0
    back = get_call(store, gone.id, now=again)
    assert back is not None and back.unseen_since is None
    assert [c.kind for c in back.changes] == ["new", "unseen", "reappeared"]


def test_sources_do_not_see_each_others_calls(store, search_2026, now) -> None:
    first, second = _source(store, "a"), _source(store, "b")
    records = records_2026(search_2026, now)
    upsert_calls(store, first, records, now)
    counts = upsert_calls(store, second, records[:3], now)
    assert counts.new == 3
    assert upsert_calls(store, first, records, now).unseen == 0


def test_listing_filters(store, search_2026, now) -> None:
    upsert_calls(store, _source(store), records_2026(search_2026, now), now)
    assert {c.identifier for c in list_calls(store, now=now, status="forthcoming")} == {
        "ERASMUS-SPORT-2026-EU-AWARDS-INCLUSION"
    }
    open_calls = list_calls(store, now=now, status="open")
    assert "EU4H-2024-OG" not in {c.identifier for c in open_calls}
    assert all(c.status == "open" for c in open_calls) and len(open_calls) == 6
    edctp3 = list_calls(store, now=now, programme="EDCTP3")
    assert [c.identifier for c in edctp3] == ["HORIZON-JU-GH-EDCTP3-2026-03-SERP-01"]
    assert len(list_calls(store, now=now, programme="erasmus")) == 5
    soon = list_calls(store, now=now, deadline_before=date(2026, 9, 2))
    assert [c.identifier for c in soon] == [
        "SOCPL-2026-SOC-DIALOG",
        "HORIZON-JU-GH-EDCTP3-2026-03-SERP-01",
    ]
    found = list_calls(store, now=now, search="pharmacovigilance")
    assert [c.identifier for c in found] == ["HORIZON-JU-GH-EDCTP3-2026-03-SERP-01"]
    assert list_calls(store, now=now, search="no such words anywhere") == []


def test_status_is_recomputed_when_read_later(store, search_2026, now) -> None:
    upsert_calls(store, _source(store), records_2026(search_2026, now), now)
    december = datetime(2026, 12, 1, tzinfo=UTC)
    still_open = {c.identifier for c in list_calls(store, now=december, status="open")}
    assert still_open == {"EuropeAid/173638/ID/ACT/RS"}  # it has no deadline
    # Two-stage: closed to new applicants since stage 1 (2026-09-03), stage 2 notwithstanding.
    [life] = list_calls(store, now=december, search="LIFE-2026")
    assert (life.status, life.next_deadline, life.deadline_model) == ("closed", None, "two-stage")


def test_json_view_has_the_contract_fields(store, search_2026, now) -> None:
    upsert_calls(store, _source(store), records_2026(search_2026, now), now)
    life = list_calls(store, now=now, search="LIFE-2026")[0].to_json()
    assert set(life) >= CALL_JSON_FIELDS
    assert life["deadlines"] == ["2026-09-03T17:00:00+02:00", "2027-03-04T17:00:00+01:00"]
    assert life["tags"] == {} and life["status"] == "open"  # not tagged yet
    assert life["deadline_model"] == "two-stage" and life["dates_from"] == "eu"
    assert datetime.fromisoformat(life["opens"]).utcoffset() is not None
    assert "<" not in life["summary"] and life["summary"]


def test_duplicate_source_names_are_refused(store) -> None:
    _source(store, "dup")
    with pytest.raises(ConfigError, match="already exists"):
        _source(store, "dup")


def test_removing_a_source_removes_its_calls(store, search_2026, now) -> None:
    upsert_calls(store, _source(store), records_2026(search_2026, now), now)
    assert source_store.remove_source(store, "eu") == 11
    assert _count(store, Call) == 0 and _count(store, CallChange) == 0


def test_search_takes_wildcards_literally(store, search_2026, now) -> None:
    upsert_calls(store, _source(store), records_2026(search_2026, now), now)
    assert list_calls(store, now=now, search="2026%STRAT") == []
    assert list_calls(store, now=now, search="LIFE_2026") == []
    assert [c.identifier for c in list_calls(store, now=now, search="life-2026")] == [
        "LIFE-2026-STRAT-CLIMA-SIP-two-stage"
    ]


def test_search_finds_non_ascii_keywords(store, search_2026, now) -> None:
    records = records_2026(search_2026, now)
    records[0] = replace(records[0], keywords=("Santé mondiale", "Afrique"))
    upsert_calls(store, _source(store), records, now)
    found = list_calls(store, now=now, search="santé mondiale")
    assert [c.identifier for c in found] == [records[0].identifier]


def test_long_programme_and_identifiers_fit_their_columns_on_every_backend(store, now) -> None:
    """A Grants.gov opportunity can list dozens of programmes: PostgreSQL refuses a value over
    VARCHAR(300), which used to fail the whole source there (SQLite took it)."""
    from monitor.store import sources as source_store
    from monitor.store.calls import upsert_calls
    from sources.records import CallRecord

    source = source_store.add_source(store, "gg", "grants-gov", "http://127.0.0.1:9/x", {})
    long_id = "OPP-" + "9" * 400
    record = CallRecord(external_id=long_id, identifier=long_id, title="Many programmes",
                        url="https://example.org/1", funder="F" * 350,
                        programme=" ; ".join(f"93.{n:03d} Programme" for n in range(40)),
                        status="open")  # fmt: skip
    first = upsert_calls(store, source.id, [record], now)  # type: ignore[arg-type]
    again = upsert_calls(store, source.id, [record], now)  # type: ignore[arg-type]
    assert (first.new, again.new, again.unchanged) == (1, 0, 1)
    from sqlmodel import select

    from monitor.store.tables import Call

    with store.session() as session:
        call = session.exec(select(Call)).one()
    assert len(call.programme) == len(call.funder) == len(call.external_id) == 300
    assert call.programme.endswith("…") and call.external_id.startswith("OPP-999")
