"""The built-in catalogue and a curator's list in and out (TOML, OPML)."""

from __future__ import annotations

import json

import pytest

from monitor.errors import ConfigError
from monitor.ingest.catalogue import load_catalogue, read_opml, read_toml
from sources.registry import get_kind
from sources.settings import validate


def test_the_catalogue_has_twenty_valid_sources_with_honest_labels() -> None:
    specs = load_catalogue()
    assert len(specs) >= 20
    assert len({s.name for s in specs}) == len(specs)
    for spec in specs:
        kind = get_kind(spec.kind)
        validate(kind.name, kind.settings, spec.settings)
        assert spec.url.startswith("https://")
        assert isinstance(spec.info.get("verified"), bool) and spec.info.get("funder")
        assert spec.enabled == spec.info["verified"]  # unverified ones come in disabled
    names = {s.name for s in specs}
    for wanted in (
        "edctp3-calls",
        "grants-gov-fogarty",
        "ukri-opportunities",
        "wellcome-schemes",
        "sida",
        "idrc",
        "vetenskapsradet",
        "science-for-africa",
        "nihr-global-health",
    ):
        assert wanted in names


def test_import_catalogue_export_and_import_round_trip(cli, tmp_path) -> None:
    code, out, _ = cli("sources", "import-catalogue")
    assert code == 0 and out.startswith(f"added {len(load_catalogue())} sources")
    before = json.loads(cli("sources", "list", "--json")[1])
    assert {s["name"]: s["enabled"] for s in before}["sida"] is False
    code, out, _ = cli("sources", "import-catalogue")
    assert "added 0 sources" in out and "exists (use --replace" in out
    exported = tmp_path / "sources.toml"
    assert cli("sources", "export", "--output", str(exported))[0] == 0
    for source in before:
        cli("sources", "remove", source["name"])
    assert cli("sources", "import", str(exported))[0] == 0
    after = json.loads(cli("sources", "list", "--json")[1])
    strip = [{k: v for k, v in s.items() if k != "calls"} for s in before]
    assert [{k: v for k, v in s.items() if k != "calls"} for s in after] == strip


def test_opml_round_trip_for_feeds(cli, tmp_path) -> None:
    cli("sources", "import-catalogue")
    code, out, _ = cli("sources", "export", "--format", "opml")
    assert code == 0 and 'xmlUrl="https://www.global-health-edctp3.europa.eu/node/93/rss_en"' in out
    feeds = read_opml(out.encode(), "export")
    assert {f.url for f in feeds} >= {"https://www.ukri.org/opportunity/feed/"}
    assert all(f.kind == "feed" for f in feeds)
    opml = tmp_path / "reader.opml"
    opml.write_text(out)
    for name in ("edctp3-calls", "ukri-opportunities", "cihr-researchnet", "vetenskapsradet"):
        cli("sources", "remove", name)
    code, out, _ = cli("sources", "import", str(opml))
    assert code == 0 and out.startswith("added 4 sources")


def test_bad_lists_are_refused_with_the_reason() -> None:
    with pytest.raises(ConfigError, match="not valid TOML"):
        read_toml("[[source]\nname=", "x.toml")
    with pytest.raises(ConfigError, match="source #1 lacks kind, url"):
        read_toml('[[source]]\nname = "a"\n', "x.toml")
    hostile = (
        b'<?xml version="1.0"?><!DOCTYPE o [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
        b'<opml><body><outline text="&e;" xmlUrl="https://x.example/f"/></body></opml>'
    )
    with pytest.raises(ConfigError, match="not valid OPML"):  # the entity is never read
        read_opml(hostile, "evil.opml")


def test_invalid_entries_are_skipped_and_reported(cli, tmp_path) -> None:
    listing = tmp_path / "mine.toml"
    listing.write_text('[[source]]\nname = "ok"\nkind = "feed"\nurl = "https://f.example/rss"\n'
                       '[[source]]\nname = "bad"\nkind = "feed"\nurl = "https://f.example/x"\n'
                       'settings = { deadline_time = "noon" }\n')  # fmt: skip
    code, out, _ = cli("sources", "import", str(listing))
    assert code == 0 and "added 1 sources" in out and "skipped bad:" in out
