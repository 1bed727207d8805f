"""The demo uses its own database, in its output folder unless told otherwise, and never the
configured one (issue #12, 8)."""

from __future__ import annotations

import json

from monitor.store.db import open_store
from monitor.store.sources import list_sources


def test_the_demo_leaves_the_configured_database_alone(cli, db_url, tmp_path) -> None:
    code, out, _ = cli("demo", "--limit", "1")
    assert code == 0
    demo_db = tmp_path / "funding-monitor-demo" / "demo.db"
    assert f"database: sqlite:///{demo_db} (the demo's own" in out
    assert f"export FUNDING_MONITOR_DATABASE_URL='sqlite:///{demo_db}'" in out
    assert (tmp_path / "funding-monitor-demo" / "models").is_dir()  # its model, not ours
    demo = open_store(f"sqlite:///{demo_db}")
    assert [s.name for s in list_sources(demo)] == ["eu-ft-demo"]
    demo.dispose()
    # The configured database got no source, call or subscriber: on SQLite it was not even made.
    if db_url.startswith("sqlite"):
        assert not (tmp_path / "test.db").exists()
        assert cli("init")[0] == 0
    assert json.loads(cli("sources", "list", "--json")[1]) == []
    assert json.loads(cli("calls", "list", "--json")[1]) == []
    assert "demo-researcher" not in cli("subscribers", "list")[1]


def test_the_demo_database_can_be_chosen(cli, tmp_path) -> None:
    chosen = tmp_path / "elsewhere.db"
    code, out, _ = cli("demo", "--limit", "1", "--database-url", f"sqlite:///{chosen}")
    assert code == 0 and f"database: sqlite:///{chosen}" in out
    store = open_store(f"sqlite:///{chosen}")
    assert [s.name for s in list_sources(store)] == ["eu-ft-demo"]
    store.dispose()
    assert not (tmp_path / "funding-monitor-demo" / "demo.db").exists()
