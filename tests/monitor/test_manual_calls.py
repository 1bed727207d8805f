"""Calls entered by hand, through the command line and the use cases, on SQLite and PostgreSQL:
added, edited with typed changes, tagged, listed, searched, in a digest, imported from a CSV (a
bad row reported by its line, a second import updating), and a fetched call refused."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from monitor.app import App, search
from monitor.app import manual_calls as entered
from monitor.config import load_settings
from monitor.errors import ConfigError
from tests.conftest import FIXTURES

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)  # "now" for statuses, before the 2027 deadlines
UHR = FIXTURES / "manual" / "uhr-erasmus-2027.csv"
KA171 = ["--title", "Erasmus+ international credit mobility (KA171-HED), call 2027",
         "--funder", "Universitets- och högskolerådet (UHR)", "--programme", "Erasmus+ KA171",
         "--url", "https://uhr.se/internationella-mojligheter/samarbete-och-utbyte/sok-finansiering/erasmus-icm/",
         "--summary", "Student and staff mobility with partner countries outside Europe.",
         "--deadline", "2027-02-11 12:00", "--opens", "2026-11-17",
         "--budget", "1 200 000", "--currency", "EUR"]  # fmt: skip


@pytest.fixture
def pinned(cli, monkeypatch) -> Any:
    """The command line with the use cases' clock at NOW."""
    monkeypatch.setattr(App, "now", lambda self: NOW)
    return cli


def as_json(cli, *argv: str) -> Any:
    code, out, err = cli(*argv, "--json")
    assert code == 0, err
    return json.loads(out)


def test_a_call_added_by_hand_is_stored_tagged_listed_and_searched(pinned, db_url) -> None:
    saved = as_json(pinned, "calls", "add", "--identifier", "KA171-HED-2027", *KA171)
    assert saved["outcome"] == "added" and saved["identifier"] == "KA171-HED-2027"
    assert "erasmus-education" in saved["tags"]  # "credit mobility", programme "Erasmus"
    call = as_json(pinned, "calls", "show", str(saved["id"]))
    assert call["source"] == "manual" and call["funder"] == "Universitets- och högskolerådet (UHR)"
    assert call["deadlines"] == ["2027-02-11T12:00:00+01:00"]  # Stockholm in winter
    assert call["deadline_details"][0]["date_only"] is False
    assert (call["budget"], call["currency"], call["status"]) == (1_200_000, "EUR", "open")
    assert call["opens"] == "2026-11-16T23:00:00+00:00"  # 00:00 in Stockholm
    assert call["summary"] == "Student and staff mobility with partner countries outside Europe."
    assert [c["kind"] for c in call["changes"]] == ["new"]
    assert set(call["tags"]) == set(saved["tags"])
    tagged = as_json(pinned, "calls", "list", "--tag", "erasmus-education")
    assert [c["id"] for c in tagged] == [saved["id"]]
    found = as_json(pinned, "calls", "list", "--search", "partner countries outside")
    assert [c["identifier"] for c in found] == ["KA171-HED-2027"]
    code, out, _ = pinned("calls", "show", "ka171-hed-2027")  # by identifier, any case
    assert code == 0 and "KA171-HED-2027" in out
    app = App(load_settings(None, database_url=db_url))
    hits = search.search(app, search.checked_query(text="credit mobility"))
    assert [c.id for c in hits.calls] == [saved["id"]]
    assert {f.value for f in hits.facets["source"]} == {"manual"}
    app.close()


def test_without_an_identifier_each_call_gets_the_next_manual_number(pinned) -> None:
    first = as_json(pinned, "calls", "add", *KA171)
    second = as_json(pinned, "calls", "add", *KA171)
    assert (first["identifier"], second["identifier"]) == ("manual-1", "manual-2")
    code, out, _ = pinned("calls", "add", *KA171)
    assert code == 0 and out.startswith("added call ") and "(manual-3)" in out
    code, _, err = pinned("calls", "add", "--identifier", "MANUAL-2", *KA171)
    assert code == 2 and "already has the identifier 'MANUAL-2'" in err
    assert f"call {second['id']}" in err
    listed = as_json(pinned, "calls", "list", "--source", "manual")
    assert sorted(c["identifier"] for c in listed) == ["manual-1", "manual-2", "manual-3"]
    assert all(c["unseen_since"] is None for c in listed)  # each add leaves the others be


def test_an_edit_records_typed_changes_old_to_new(pinned) -> None:
    saved = as_json(pinned, "calls", "add", "--identifier", "KA171-HED-2027", *KA171)
    edited = as_json(pinned, "calls", "edit", "KA171-HED-2027", "--deadline", "2027-02-18 12:00",
                     "--budget", "1 500 000", "--title", "KA171-HED, call 2027")  # fmt: skip
    assert edited["outcome"] == "updated" and edited["id"] == saved["id"]
    kinds = {c["kind"]: c for c in edited["changes"]}
    assert kinds["deadline_changed"]["old"] == ["2027-02-11T12:00:00+01:00"]
    assert kinds["deadline_changed"]["new"] == ["2027-02-18T12:00:00+01:00"]
    assert kinds["budget_changed"]["old"] == {"amount": 1_200_000, "currency": "EUR"}
    assert kinds["budget_changed"]["new"] == {"amount": 1_500_000, "currency": "EUR"}
    assert kinds["title_changed"]["new"] == "KA171-HED, call 2027"
    history = as_json(pinned, "calls", "show", str(saved["id"]))["changes"]
    assert [c["kind"] for c in history] == ["new", *(c["kind"] for c in edited["changes"])]
    call = as_json(pinned, "calls", "show", str(saved["id"]))
    assert call["funder"] == "Universitets- och högskolerådet (UHR)"  # what was not given stays
    again = as_json(pinned, "calls", "edit", str(saved["id"]), "--budget", "1500000")
    assert again["outcome"] == "unchanged" and again["changes"] == []
    assert len(as_json(pinned, "calls", "show", str(saved["id"]))["changes"]) == len(history)
    code, out, _ = pinned("calls", "edit", str(saved["id"]), "--no-deadlines", "--status", "open")
    assert code == 0 and "deadline_changed" in out and "-> []" in out
    logged = as_json(pinned, "audit", "--action", "call")  # the staff's changes, newest first
    assert [e["action"] for e in logged] == ["call.edit", "call.edit", "call.add"]
    assert logged[1]["target"] == f"call {saved['id']} (KA171-HED-2027)"
    assert logged[1]["before"]["deadlines"] == ["2027-02-11 12:00"]
    assert logged[1]["after"]["deadlines"] == ["2027-02-18 12:00"]
    assert logged[1]["after"]["budget"] == 1_500_000 and "funder" not in logged[1]["after"]
    assert logged[2]["actor"].startswith("cli:") and logged[2]["before"] == {}


def test_an_edit_tags_the_call_again(pinned) -> None:
    plain = ["--title", "Seed grants for new collaborations", "--funder", "Karolinska Institutet",
             "--url", "https://staff.ki.se/seed", "--deadline", "2027-03-01"]  # fmt: skip
    saved = as_json(pinned, "calls", "add", *plain)
    assert "erasmus-education" not in saved["tags"]
    edited = as_json(pinned, "calls", "edit", saved["identifier"], "--summary",
                     "Seed money for staff mobility and joint degrees with partners.")  # fmt: skip
    assert "erasmus-education" in edited["tags"]
    assert [c["kind"] for c in edited["changes"]] == ["details_changed"]
    listed = as_json(pinned, "calls", "list", "--tag", "erasmus-education")
    assert [c["id"] for c in listed] == [saved["id"]]


def test_a_fetched_call_belongs_to_its_source_and_is_not_edited(pinned, portal) -> None:
    some = next(iter(portal.values()))
    before = as_json(pinned, "calls", "show", str(some))
    code, _, err = pinned("calls", "edit", str(some), "--title", "Mine now")
    assert code == 2 and f"call {some} was fetched by source 'eu'" in err
    assert "owned by its source" in err
    assert as_json(pinned, "calls", "show", str(some)) == before
    code, _, err = pinned("calls", "edit", before["identifier"], "--title", "Mine now")
    assert code == 2 and "fetched by source 'eu'" in err
    code, _, err = pinned("calls", "edit", "NO-SUCH-CALL", "--title", "x")
    assert code == 2 and "no call with identifier 'NO-SUCH-CALL'" in err
    code, _, err = pinned("calls", "edit", str(some))
    assert code == 2 and "nothing to change" in err


def test_an_entered_call_sharing_a_fetched_identifier_is_the_one_edited(pinned, portal) -> None:
    shared = next(iter(portal))
    saved = as_json(pinned, "calls", "add", "--identifier", shared, *KA171)
    edited = as_json(pinned, "calls", "edit", shared, "--programme", "Erasmus+ KA171-HED")
    assert edited["id"] == saved["id"] != portal[shared] and edited["outcome"] == "updated"


@pytest.mark.parametrize(
    ("flags", "named"),
    [
        (["--deadline", "2027-02-30"], "deadline '2027-02-30' is not usable"),
        (["--deadline", "3027-02-12"], "more than 10 years"),
        (["--budget", "-400", "--currency", "EUR"], "budget '-400' is not usable: it is negative"),
        (["--budget", "inf", "--currency", "EUR"], "not a finite number"),
        (["--currency", ""], "needs its currency"),
        (["--title", "  "], "title '  ' is not usable: it is empty"),
        (["--title", "T" * 400], "400 characters long; at most 300"),
        (["--url", "javascript:alert(1)"], "url 'javascript:alert(1)' is not usable"),
        (["--status", "closed"], "takes its status from its dates"),
        (["--identifier", "12345"], "only digits"),
    ],
)
def test_a_bad_value_is_refused_naming_the_field_and_the_value(pinned, flags, named) -> None:
    argv = [*KA171]
    for flag, value in zip(flags[::2], flags[1::2], strict=True):
        if flag in argv:
            argv[argv.index(flag) + 1] = value
        else:
            argv += [flag, value]
    code, out, err = pinned("calls", "add", *argv)
    assert code == 2 and named in err and out == ""
    assert "hint:" in err
    assert pinned("calls", "list", "--source", "manual")[0] == 2  # no source made for nothing


def test_the_uhr_csv_imports_and_imports_again_as_updates(pinned, tmp_path) -> None:
    rows = UHR.read_text(encoding="utf-8")
    done = as_json(pinned, "calls", "import", str(UHR))
    identifiers = [row["identifier"] for row in csv.DictReader(io.StringIO(rows))]
    assert done["added"] == len(identifiers) == 5 and done["failed"] == 0
    stored = {c["identifier"]: c for c in as_json(pinned, "calls", "list", "--source", "manual")}
    assert sorted(stored) == sorted(identifiers)
    internal = as_json(pinned, "calls", "show", "KI-BIP-INTERNAL-2027")
    assert internal["deadline_model"] == "two-stage" and len(internal["deadlines"]) == 2
    assert stored["KA220-HED-2027"]["budget"] == 400_000
    assert "at-home" in stored["BIP-2027"]["tags"]  # "blended intensive programmes"
    again = as_json(pinned, "calls", "import", str(UHR))
    assert (again["added"], again["updated"], again["unchanged"]) == (0, 0, 5)
    moved = tmp_path / "moved.csv"
    moved.write_text(rows.replace("2027-03-04 12:00", "2027-03-11 12:00"), encoding="utf-8")
    third = as_json(pinned, "calls", "import", str(moved))
    assert (third["added"], third["updated"], third["unchanged"]) == (0, 1, 4)
    [change] = next(c for c in third["calls"] if c["outcome"] == "updated")["changes"]
    assert change == {"kind": "deadline_changed", "old": ["2027-03-04T12:00:00+01:00"],
                      "new": ["2027-03-11T12:00:00+01:00"]}  # fmt: skip
    assert len(as_json(pinned, "calls", "list", "--source", "manual")) == 5


def test_a_bad_row_is_reported_by_its_line_and_the_others_are_saved(pinned, tmp_path) -> None:
    rows = UHR.read_text(encoding="utf-8")
    bad = "BAD-DATE-2027,A call with a wrong date,UHR,,https://uhr.se/x,,2027-02-30,,,,\n"
    dupe = "ka131-hed-2027,The same identifier again,UHR,,https://uhr.se/y,,,,,,\n"
    broken = tmp_path / "broken.csv"
    broken.write_text(rows + bad + dupe, encoding="utf-8")
    bad_line = rows.count("\n") + 1  # the KA131 summary spans lines: physical lines count
    code, out, err = pinned("calls", "import", str(broken))
    assert code == 1 and "added 5, updated 0, unchanged 0, failed 2" in out
    assert f"{broken} line {bad_line}: deadline '2027-02-30' is not usable" in err
    assert f"line {bad_line + 1}: identifier 'ka131-hed-2027' is already on line 2" in err
    listed = as_json(pinned, "calls", "list", "--source", "manual")
    assert "BAD-DATE-2027" not in {c["identifier"] for c in listed} and len(listed) == 5


def test_a_file_that_is_not_such_a_csv_saves_nothing(pinned, tmp_path) -> None:
    wrong = tmp_path / "wrong.csv"
    wrong.write_text("identifier,title,colour\nX-1,A title,blue\n", encoding="utf-8")
    code, _, err = pinned("calls", "import", str(wrong))
    assert code == 2 and "line 1: unknown column 'colour'" in err
    wrong.write_bytes(b"identifier,title\nX-1,\xff\n")
    assert "is not UTF-8" in pinned("calls", "import", str(wrong))[2]
    semicolons = tmp_path / "excel.csv"  # Swedish Excel: ';' between cells, a BOM
    semicolons.write_text("\ufeffIdentifier;Title;Funder;Link;Deadlines\n"
                          'X-1;Mobility grants;KI;https://ki.se/x;"2027-02-01; 2027-06-01"\n',
                          encoding="utf-8")  # fmt: skip
    done = as_json(pinned, "calls", "import", str(semicolons))
    assert done["added"] == 1
    assert len(as_json(pinned, "calls", "show", "X-1")["deadlines"]) == 2


def test_entered_calls_are_never_fetched_and_are_in_digests(pinned, db_url) -> None:
    saved = as_json(pinned, "calls", "add", "--identifier", "KA171-HED-2027", *KA171)
    code, _, err = pinned("fetch", "--source", "manual")
    assert code == 2 and "never fetched" in err
    code, _, err = pinned("sources", "enable", "manual")
    assert code == 2 and "never enabled" in err
    code, _, err = pinned("sources", "add", "mine", "--kind", "manual")
    assert code == 2 and "never added" in err
    assert pinned("fetch")[0] == 0  # no enabled source: the entered call is left alone
    assert as_json(pinned, "calls", "show", str(saved["id"]))["unseen_since"] is None
    pinned("subscribers", "add", "researcher@ki.se", "--tag", "erasmus-education")
    code, out, _ = pinned("digest", "preview", "1", "--format", "text")
    assert code == 0 and "international credit mobility (KA171-HED)" in out


def test_the_use_cases_take_plain_values(db_url) -> None:
    app = App(load_settings(None, database_url=db_url), clock=lambda: NOW)
    fields = {"title": "Internal call: BIP proposals", "funder": "Karolinska Institutet",
              "url": "https://staff.ki.se/bip",
              "deadlines": ["2026-12-10 stage 1", "2027-01-14 12:00 stage 2"]}  # fmt: skip
    saved = entered.add(app, fields)
    assert saved.outcome == "added" and entered.identifiers(app) == [saved.identifier]
    with pytest.raises(ConfigError, match="identifier is its identity"):
        entered.edit(app, saved.id, {"identifier": "OTHER"})
    moved = entered.edit(app, saved.identifier, {"deadlines": "2026-12-17 stage 1; "
                                                 "2027-01-14 12:00 stage 2"})  # fmt: skip
    assert [(c.kind, c.old[0][:10], c.new[0][:10]) for c in moved.changes] == [
        ("deadline_changed", "2026-12-10", "2026-12-17")]  # fmt: skip
    imported = entered.import_csv(app, Path(UHR).read_bytes(), "uhr.csv")
    assert imported.counts() == {"added": 5, "updated": 0, "unchanged": 0, "failed": 0}
    assert [line for line, _ in imported.saved][:2] == [2, 5]  # KA131's summary: 3 lines
    app.close()


def test_calls_edit_completes_the_identifiers_of_entered_calls(pinned, db_url, tmp_path) -> None:
    from tests.monitor.test_completion import complete

    for ident in ("KA171-HED-2027", "KA131-HED-2027", "BIP-2027"):
        assert pinned("calls", "add", "--identifier", ident, *KA171)[0] == 0
    env = {"FUNDING_MONITOR_DATABASE_URL": db_url}
    offered, _ = complete("funding-monitor calls edit KA1", tmp_path, env)
    assert sorted(offered) == ["KA131-HED-2027", "KA171-HED-2027"]


def test_the_tables_say_what_a_curator_entered(pinned) -> None:
    """`calls list` shows a two-stage call past its first stage by that stage (its second is
    still to come, for those who passed), `calls show` names a date-only deadline's convention
    without a zone it may not be in, and `sources list` says the manual source is never
    fetched rather than giving it the default interval."""
    stages = ["--deadline", "2026-11-20 stage 1", "--deadline", "2027-03-01 12:00 stage 2"]
    pinned("calls", "add", "--identifier", "KI-SEED-2027", "--title", "Internal seed call",
           "--funder", "Karolinska Institutet", "--url", "https://ki.se/seed", *stages)  # fmt: skip
    code, out, _ = pinned("calls", "list", "--source", "manual")
    assert code == 0
    [row] = [line for line in out.splitlines() if "KI-SEED-2027" in line]
    assert "2026-11-20 (stage 1 passed)" in row and "2027-03-01" not in row
    code, out, _ = pinned("calls", "show", "KI-SEED-2027")
    assert "(a date only: 17:00 by convention)" in out and "Brussels" not in out
    code, out, _ = pinned("sources", "list")
    [row] = [line for line in out.splitlines() if line.startswith("manual")]
    assert "never (by hand)" in row and "(default)" not in row
