"""My digests: each sent digest links to its web copy while it is kept; one sent before
WEB_COPY_DAYS is listed without a link, and its old address says it is gone."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from monitor.digests import tokens, web_copies
from monitor.store.subscribers import get_subscriber
from monitor.store.tables import Delivery

NOW = datetime(2026, 12, 4, 9, 0, tzinfo=UTC)


def _sent(store, subscriber_id: int, period: str, at: datetime) -> int:
    with store.session() as session:
        copy = f"<!DOCTYPE html><h1>Digest {period}</h1>"
        row = Delivery(subscriber_id=subscriber_id, period=period, status="sent", items=2,
                       planned_at=at, sent_at=at, payload={web_copies.WEB: copy})  # fmt: skip
        session.add(row)
        session.flush()
        return row.id or 0


def test_a_digest_past_its_days_is_listed_without_its_copy(client, bare_app, store,
                                                           subscriber) -> None:  # fmt: skip
    number, _ = subscriber
    bare_app.clock = lambda: NOW
    token = tokens.token_for(bare_app.settings, get_subscriber(store, number), tokens.PAGES_SALT)
    old = _sent(store, number, "2025-W40", NOW - timedelta(days=401))
    recent = _sent(store, number, "2026-W48", NOW - timedelta(days=4))
    assert web_copies.prune(store, NOW - timedelta(days=bare_app.settings.web_copy_days)) == 1
    assert client.get(f"/preferences?token={token}").status_code == 200  # signed in
    page = client.get("/digests").text
    assert f'<a href="/digests/{recent}"' in page and f'href="/digests/{old}"' not in page
    assert '2025-W40 <span class="note">(its web copy is no longer kept)</span>' in page
    assert "kept for 400 days" in page
    assert "<h1>Digest 2026-W48</h1>" in client.get(f"/digests/{recent}").text
    gone = client.get(f"/digests/{old}")
    assert gone.status_code == 404 and "Digest 2025-W40" not in gone.text
    sv = client.get("/digests?lang=sv").text
    assert "webbkopian sparas inte längre" in sv
