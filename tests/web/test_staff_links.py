"""The admins' linked-calls page (issue #15): calls merged across sources, each group with its
members and why each copy is linked, filtered and paged; splitting a wrong link after a
confirmation (and ``calls unlink``), which makes two calls that a re-fetch, or the source
listing the call anew under another external id, does not merge again; roles, CSRF, the audit
log; and the page in Chromium (axe, screenshots)."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest

from monitor.app import audit, links
from tests.conftest import CAPTURE_TIME
from tests.web.conftest import axe, csrf_of, shoot, sign_in_staff

EDCTP = "HORIZON-JU-GH-EDCTP3-2026-03-SERP-01"
COVE = "ERASMUS-EDU-2026-PEX-COVE"
UNIV = "ERASMUS-EDU-2024-EUR-UNIV-1"


def _portal_records(search_2026: Any) -> dict[str, Any]:
    from sources.eu_ft.parse import parse
    from sources.records import FetchResult, Page

    found = parse(FetchResult("eu", (Page("u", 1, search_2026),)), CAPTURE_TIME)
    return {r.identifier: r for r in found}


def _copy(record: Any, prefix: str, **changes: Any) -> Any:
    return replace(record, external_id=f"{prefix}-{record.external_id}",
                   title=f"{record.title} ({prefix})", **changes)  # fmt: skip


@pytest.fixture
def linked(portal, search_2026, bare_app) -> dict[str, Any]:
    """The portal's calls, a feed listing copies of three of them (linked by their EU
    identifier) and a third source listing a copy of one, which makes a group of three."""
    from monitor.store import sources as source_store
    from monitor.store.calls import upsert_calls

    store = bare_app.store()
    records = _portal_records(search_2026)
    feed = source_store.add_source(store, "edctp-feed", "feed", "http://127.0.0.1:9/rss", {})
    third = source_store.add_source(store, "uhr", "feed", "http://127.0.0.1:9/uhr", {})
    listing = [_copy(records[i], "feed") for i in (EDCTP, COVE, UNIV)]
    later = CAPTURE_TIME + timedelta(days=1)
    upsert_calls(store, feed.id, listing, later)
    upsert_calls(store, third.id, [_copy(records[COVE], "uhr")], later)
    return {"records": records, "feed": feed.id, "third": third.id, "listing": listing,
            "later": later}  # fmt: skip


def _rows(app: Any) -> list[tuple[str, str, int, int | None]]:
    """(source, identifier, call id, the call it is linked to) of every call, in id order."""
    from sqlmodel import col, select

    from monitor.store.tables import Call, Source

    with app.store().session() as session:
        rows = session.exec(
            select(Source.name, Call.identifier, Call.id, Call.same_as_id)
            .join(Source, Source.id == Call.source_id)
            .order_by(col(Call.id))
        )
        return [(name, ident, cid or 0, same) for name, ident, cid, same in rows]  # fmt: skip


def _ids(app: Any) -> dict[tuple[str, str], tuple[int, int | None]]:
    """(source, identifier) -> (call id, the call it is linked to), the first of each."""
    found: dict[tuple[str, str], tuple[int, int | None]] = {}
    for name, ident, cid, same in _rows(app):
        found.setdefault((name, ident), (cid, same))
    return found


def test_links_pages_are_for_admins_and_splitting_needs_its_csrf_token(linked, client, bare_app):
    call = _ids(bare_app)[("edctp-feed", EDCTP)][0]
    assert client.get("/staff/links").status_code == 403
    assert client.post("/staff/links/split", data={"call": call}).status_code == 403
    sign_in_staff(client, bare_app, "cura@ki.se", "curator")
    answer = client.get("/staff/links")
    assert answer.status_code == 403 and "for admins" in answer.text
    token = csrf_of(client.get("/staff").text)
    refused = client.post("/staff/links/split",
                          data={"csrf_token": token, "call": call, "confirm": "yes"})  # fmt: skip
    assert refused.status_code == 403
    sign_in_staff(client, bare_app, "boss@ki.se", "admin")
    refused = client.post("/staff/links/split", data={"call": call, "confirm": "yes"})
    assert refused.status_code == 403 and "did not come from this site" in refused.text
    assert _ids(bare_app)[("edctp-feed", EDCTP)][1] is not None  # still linked
    assert audit.events(bare_app, action="call") == []


def test_each_group_shows_its_members_and_why_they_are_linked(linked, admin_client, bare_app):
    ids = _ids(bare_app)
    page = admin_client.get("/staff/links")
    assert page.status_code == 200
    assert "3 calls known from several sources" in page.text
    groups = page.text.split('<tbody class="group">')[1:]
    assert len(groups) == 3
    cove = next(g for g in groups if COVE in g)
    rows = cove.split("<tr")[1:]
    assert [re.search(r"<td[^>]*>([\w-]+)</td>", r).group(1) for r in rows] == ["eu", "edctp-feed",
                                                                          "uhr"]  # fmt: skip
    assert f'href="/calls/{ids[("eu", COVE)][0]}"' in rows[0] and "first listed" in rows[0]
    assert all("the same EU topic identifier" in r for r in rows[1:])
    record = linked["records"][COVE]
    assert record.title in rows[0] and f"{record.title} (uhr)" in rows[2]
    deadline = max(d.at for d in record.deadlines).date().isoformat()
    assert f'datetime="{deadline}' in rows[0]
    # filters: a source, text, the rule; and pages
    only = admin_client.get("/staff/links?source=uhr").text
    assert only.count('<tbody class="group">') == 1 and COVE in only
    found = admin_client.get("/staff/links?q=excellence").text
    assert found.count('<tbody class="group">') == 1 and COVE in found
    assert "No linked call matches" in admin_client.get("/staff/links?why=url").text
    assert admin_client.get("/staff/links?why=identifier").text.count('class="group"') == 3
    first, second = (links.groups(bare_app, page=n, per_page=2) for n in (1, 2))
    assert (first.total, first.pages, len(first.groups), len(second.groups)) == (3, 2, 2, 1)
    assert {g.id for g in first.groups} | {g.id for g in second.groups} == {
        ids[("eu", i)][0] for i in (EDCTP, COVE, UNIV)}  # fmt: skip
    links.PER_PAGE, kept = 2, links.PER_PAGE
    try:
        paged = admin_client.get("/staff/links?page=2").text
    finally:
        links.PER_PAGE = kept
    assert "Page 2 of 2" in paged and paged.count('class="group"') == 1
    assert 'href="/staff/links?page=1"' in paged
    # why a copy matches is remembered per pair of calls as they are: a copy whose identifier
    # changes since is judged again (no rule matches it now), not shown as before
    from sqlalchemy import update

    from monitor.store.tables import Call

    uhr = ids[("uhr", COVE)][0]
    with bare_app.store().session() as session:
        session.execute(update(Call).where(Call.id == uhr).values(identifier="ERASMUS-2027-X"))
        session.commit()
    cove = next(g for g in admin_client.get("/staff/links").text.split('<tbody class="group">')
                if COVE in g)  # fmt: skip
    changed = next(r for r in cove.split("<tr")[1:] if "ERASMUS-2027-X" in r)
    assert "no rule any more" in changed and "the same EU topic identifier" not in changed


def test_the_store_pages_groups_as_reading_every_linked_call_would(linked, bare_app):
    """Unfiltered (or by source) the store counts and cuts the groups; with a reason every
    linked call is read: both give the same groups, newest link first, firsts first."""
    cut = links.groups(bare_app)  # all three groups are linked by their identifier
    read = links.groups(bare_app, why="identifier")
    assert cut == read and cut.total == 3
    assert [g.id for g in cut.groups] == sorted((g.id for g in cut.groups), key=lambda head: -max(
        m.id for g in cut.groups if g.id == head for m in g.members))  # fmt: skip
    assert all(g.members[0].first and g.members[0].id == g.id for g in cut.groups)
    assert links.groups(bare_app, page=9, per_page=2).groups == links.groups(
        bare_app, page=2, per_page=2).groups  # beyond the last page: the last  # fmt: skip
    assert links.groups(bare_app, source="uhr") == links.groups(bare_app, source="uhr",
                                                                why="identifier")  # fmt: skip
    assert links.groups(bare_app, source="no-such-source").total == 0
    assert cut.sources == ["edctp-feed", "eu", "uhr"]
    copy = _ids(bare_app)[("uhr", COVE)][0]
    group = links.group_of(bare_app, copy)
    assert group is not None and [m.source for m in group.members] == ["eu", "edctp-feed", "uhr"]
    assert links.group_of(bare_app, 10**9) is None


def test_a_split_asks_first_then_makes_two_calls_that_stay_apart(linked, admin_client, bare_app):
    from monitor.store.calls import upsert_calls
    from monitor.store.sources import list_sources
    from monitor.store.views import list_calls

    store = bare_app.store()
    ids = _ids(bare_app)
    copy, head = ids[("edctp-feed", EDCTP)][0], ids[("eu", EDCTP)][0]
    assert ids[("edctp-feed", EDCTP)][1] == head
    token = csrf_of(admin_client.get("/staff/links").text)
    asked = admin_client.post("/staff/links/split", data={"csrf_token": token, "call": copy})
    assert asked.status_code == 200 and "Split this call" in asked.text
    assert f"{linked['records'][EDCTP].title} (feed) (edctp-feed) becomes its own" in asked.text
    assert _ids(bare_app)[("edctp-feed", EDCTP)][1] == head  # asked, nothing done
    done = admin_client.post("/staff/links/split",
                             data={"csrf_token": token, "call": copy, "confirm": "yes"},
                             follow_redirects=False)  # fmt: skip
    assert done.status_code == 303
    assert "is its own call again" in admin_client.get(done.headers["location"]).text
    shown = [v.id for v in list_calls(store, now=CAPTURE_TIME) if v.identifier == EDCTP]
    assert sorted(shown) == sorted([head, copy])  # two calls now
    [event] = audit.events(bare_app, action="call.unlink")
    assert event.actor == "boss@ki.se" and event.before == {"linked_with": [head], "first": head}
    # a re-fetch of both sources does not merge them again ...
    later = linked["later"] + timedelta(days=1)
    upsert_calls(store, linked["feed"], linked["listing"], later)
    eu = next(s.id for s in list_sources(store) if s.name == "eu")
    upsert_calls(store, eu, list(linked["records"].values()), later)
    assert _ids(bare_app)[("edctp-feed", EDCTP)] == (copy, None)
    # ... nor does the feed listing it anew under another external id, which a copy that was
    # never split would be linked by
    anew = [replace(r, external_id=f"new-{r.external_id}") for r in linked["listing"]]
    upsert_calls(store, linked["feed"], anew, later + timedelta(days=1))
    found = [row for row in _rows(bare_app) if row[0] == "edctp-feed"]
    reborn = [same for _, ident, cid, same in found if ident == EDCTP and cid != copy]
    assert reborn == [None]
    twin = [same for _, ident, _, same in found if ident == UNIV]
    assert twin == [ids[("eu", UNIV)][0]] * 2
    assert (
        "not linked to another call"
        in admin_client.post(
            "/staff/links/split", data={"csrf_token": token, "call": copy, "confirm": "yes"}
        ).text
    )


def test_splitting_the_first_of_a_group_leaves_its_copies_together(linked, admin_client, bare_app):
    ids = _ids(bare_app)
    head, feed, uhr = (ids[(s, COVE)][0] for s in ("eu", "edctp-feed", "uhr"))
    token = csrf_of(admin_client.get("/staff/links").text)
    asked = admin_client.post("/staff/links/split", data={"csrf_token": token, "call": head})
    assert "It is the first listed" in asked.text
    admin_client.post("/staff/links/split",
                      data={"csrf_token": token, "call": head, "confirm": "yes"})  # fmt: skip
    after = _ids(bare_app)
    assert after[("eu", COVE)] == (head, None)
    assert after[("edctp-feed", COVE)] == (feed, None) and after[("uhr", COVE)] == (uhr, feed)
    group = links.group_of(bare_app, uhr)
    assert group is not None and [m.id for m in group.members] == [feed, uhr]
    assert links.group_of(bare_app, head) is None


def test_calls_unlink_splits_on_the_same_use_case(linked, bare_app, cli):
    ids = _ids(bare_app)
    copy, head = ids[("edctp-feed", UNIV)][0], ids[("eu", UNIV)][0]
    code, out, err = cli("calls", "unlink", str(copy))
    assert code == 0, err
    assert f"call {copy} is its own call again; it will not be linked to {head} again" in out
    assert _ids(bare_app)[("edctp-feed", UNIV)] == (copy, None)
    [event] = audit.events(bare_app, action="call.unlink")
    assert event.actor.startswith("cli:") and event.target.startswith(f"call {copy} ")
    code, _, err = cli("calls", "unlink", str(copy))
    assert code == 2 and "not linked to another call" in err
    code, _, err = cli("calls", "unlink", "999999")
    assert code == 2 and "no call with id 999999" in err


def test_the_linked_calls_page_in_a_browser(linked, bare_app, chromium):
    from tests.web.test_staff_tags import admin_in_browser

    with admin_in_browser(bare_app, chromium) as (page, url):
        page.get_by_role("link", name="Linked calls").first.click()
        page.wait_for_url(f"{url}/staff/links")
        axe(page)
        shoot(page, "staff-links")
        title = linked["records"][EDCTP].title
        page.get_by_role("button", name=f"Split {title} (feed) (edctp-feed) from the calls "
                         "linked with it").click()  # fmt: skip
        page.wait_for_selector("text=Split it")
        axe(page)
        shoot(page, "staff-links-split")
        page.get_by_role("button", name="Split it").click()
        page.wait_for_selector("p.thanks")
        assert page.locator("tbody.group").count() == 2
        axe(page)
