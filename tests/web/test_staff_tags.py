"""The admins' tags pages (issue #15): the taxonomy tree with both languages, rule summaries,
calls and followers; a rule edit previewed over the stored calls (exactly the calls a direct
classification says gain or lose the tag, nothing saved) and then saved (the stored tags
change); adding, renaming, retiring (naming the followers, a webhook's secret never) and
restoring; roles, CSRF and the audit log; and, in Chromium, an admin editing a rule with the
preview then saving (axe on every page, screenshots)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from monitor.app import audit
from monitor.app import tags as tag_cases
from tests.web.conftest import axe, csrf_of, shoot, sign_in_staff

TAG = "global-health-lmic"
# an edit that takes the tag from a stored call and gives it to others, one of which gets
# its parent (global-actor) only through it
EDIT = {
    "add": ["vocational", "social dialogue"],
    "remove": ["Africa", "African", "EDCTP", "global health", "sub-Saharan"],
}
WEBHOOK = "https://hooks.slack.com/services/T0001/B0001/sEcReTsEcReT"


def _direct(app: Any, taxonomy: Any) -> dict[int, set[str]]:
    """Every stored call's tags as classification gives them with ``taxonomy`` (the tagger
    in force otherwise), over the whole taxonomy, labels overriding."""
    from classifiers.document import document_from
    from classifiers.tagger import Tagger
    from monitor.store import tags as tag_store
    from monitor.tagging.classify import active_tagger, given_tags

    store = app.store()
    active = active_tagger(store, app.settings, bootstrap=False)
    row = tag_store.active_model(store)
    tagger = Tagger(taxonomy, active.tagger.model, dict(row.combination) if row else "union")
    calls = tag_store.calls_page(store, 0, 100_000)
    labels = tag_store.labels(store)
    results = tagger.tag([document_from(c) for c in calls])
    return {c.id: set(given_tags(r, labels.get(c.id, {}), taxonomy))
            for c, r in zip(calls, results, strict=True)}  # fmt: skip


def _expected(app: Any, tag: Any) -> dict[str, tuple[set[int], set[int]]]:
    """tag id -> (calls gained, calls lost) when ``tag`` replaces its stored version."""
    from monitor.store import tags as tag_store

    before = tag_store.active_taxonomy(app.store())
    was, now = _direct(app, before), _direct(app, before.with_tag(tag))
    out: dict[str, tuple[set[int], set[int]]] = {}
    for call in was:
        for t in now[call] - was[call]:
            out.setdefault(t, (set(), set()))[0].add(call)
        for t in was[call] - now[call]:
            out.setdefault(t, (set(), set()))[1].add(call)
    return out


def _form(tag: Any, **changes: list[str]) -> dict[str, str]:
    from classifiers.taxonomy import RULE_FIELDS

    data = {name: "\n".join(getattr(tag, name)) for name in RULE_FIELDS}
    data.update({name: "\n".join(items) for name, items in changes.items()})
    return {"description": tag.description, "parent": tag.parent or "", **data}


def _edited_phrases(tag: Any) -> list[str]:
    return [p for p in tag.phrases if p not in EDIT["remove"]] + EDIT["add"]


def _shown(page: str) -> dict[str, tuple[set[int], set[int]]]:
    """What a preview lists: tag id -> (calls gained, calls lost), from its headings."""
    section = page.split('id="preview"', 1)[1].split("</section>", 1)[0]
    out: dict[str, tuple[set[int], set[int]]] = {}
    for part in section.split("<h3>")[1:]:
        heading, _, rest = part.partition("</h3>")
        found = re.search(r"would (gain|lose) ([a-z-]+) \((\d+)\)", heading)
        assert found, heading
        ids = {int(i) for i in re.findall(r'href="/calls/(\d+)"', rest.split("<h3>")[0])}
        assert len(ids) == int(found.group(3))  # the count first, then every call
        entry = out.setdefault(found.group(2), (set(), set()))
        entry[0 if found.group(1) == "gain" else 1].update(ids)
    return out


def _stored(app: Any) -> dict[int, set[str]]:
    from monitor.store import tags as tag_store

    return {c: set(t) for c, t in tag_store.call_tags(app.store()).items()}


def test_tags_pages_are_for_admins_and_every_post_needs_its_csrf_token(client, bare_app):
    paths = ("/staff/tags", f"/staff/tags/{TAG}", "/staff/tags/_new")
    posts = (f"/staff/tags/{TAG}/rules", f"/staff/tags/{TAG}/rename",
             f"/staff/tags/{TAG}/retire", f"/staff/tags/{TAG}/restore",
             "/staff/tags/_new")  # fmt: skip
    for path in paths:
        assert client.get(path).status_code == 403, path
    for path in posts:
        assert client.post(path, data={"label_en": "X"}).status_code == 403, path
    sign_in_staff(client, bare_app, "cura@ki.se", "curator")
    for path in paths:
        answer = client.get(path)
        assert answer.status_code == 403 and "for admins" in answer.text, path
    token = csrf_of(client.get("/staff").text)
    for path in posts:
        answer = client.post(path, data={"csrf_token": token, "label_en": "X", "confirm": "yes"})
        assert answer.status_code == 403, path
    sign_in_staff(client, bare_app, "boss@ki.se", "admin")
    assert 'href="/staff/tags"' in client.get("/staff").text  # in the admin's menu
    before = tag_cases.get(bare_app, TAG)
    for path in posts:  # an admin's form without its token changes nothing
        answer = client.post(path, data={"label_en": "Changed", "confirm": "yes"})
        assert answer.status_code == 403 and "did not come from this site" in answer.text
    assert tag_cases.get(bare_app, TAG) == before
    assert audit.events(bare_app, action="tag") == []


def test_the_tree_shows_both_languages_rules_calls_and_followers(portal, admin_client, bare_app):
    from monitor.store.subscribers import add_subscriber

    store = bare_app.store()
    add_subscriber(store, "email", "r@ki.se", filters={"tags": [TAG, "visibility"]})
    add_subscriber(store, "email", "s@ki.se", filters={"tags": [TAG]})
    page = admin_client.get("/staff/tags")
    assert page.status_code == 200
    overview = tag_cases.overview(bare_app)
    rows = {i.tag.id: i for top, subs in overview.tree for i in (top, *subs)}
    assert rows[TAG].followers == 2 and rows["visibility"].followers == 1
    carried = sum(1 for tags in _stored(bare_app).values() if TAG in tags)
    assert rows[TAG].calls == carried > 0
    tag = rows[TAG].tag
    row = page.text.split(f'href="/staff/tags/{TAG}"', 1)[1].split("</tr>", 1)[0]
    assert tag.label_en in row and tag.label_sv in row
    cells = re.findall(r'<td class="num"[^>]*>(\d+)</td>', row)
    assert cells == [str(carried), "2"]
    assert f"{len(tag.phrases)} phrases" in row and f"{len(tag.countries)} countries" in row
    assert 'class="sub"' in page.text.split(f'href="/staff/tags/{TAG}"', 1)[0][-200:]
    assert "Retired tags" not in page.text
    one = admin_client.get(f"/staff/tags/{TAG}?lang=sv").text  # its followers, kind in words
    assert ": e-post r@ki.se" in one and ": e-post s@ki.se" in one and "email r@" not in one
    tag_cases.retire(bare_app, "visibility", force=True)
    page = admin_client.get("/staff/tags?lang=sv")
    assert "Avvecklade taggar" in page.text
    retired = page.text.split("Avvecklade taggar", 1)[1]
    assert 'href="/staff/tags/visibility"' in retired
    assert TAG not in retired


def test_the_preview_lists_exactly_the_calls_that_gain_or_lose_and_saves_nothing(
    portal, admin_client, bare_app
):
    from monitor.store import tags as tag_store

    old = tag_cases.get(bare_app, TAG)
    page = admin_client.get(f"/staff/tags/{TAG}")
    assert page.status_code == 200 and old.label_en in page.text
    stored, history = _stored(bare_app), tag_cases.history(bare_app, TAG)
    answer = admin_client.post(f"/staff/tags/{TAG}/rules", data={
        "csrf_token": csrf_of(page.text), "do": "preview",
        **_form(old, phrases=_edited_phrases(old)),
    })  # fmt: skip
    assert answer.status_code == 200
    edited = tag_cases.edited(old, tag_cases.Edit(
        adds=[f"phrases={p}" for p in EDIT["add"]],
        removes=[f"phrases={p}" for p in EDIT["remove"]]))  # fmt: skip
    expected = _expected(bare_app, edited)
    assert expected[TAG][0] and expected[TAG][1]  # the edit both gives and takes the tag
    assert expected["global-actor"][0]  # and gives the parent through it
    assert _shown(answer.text) == expected
    counts = re.findall(r"<code>([a-z-]+)</code></th><td class=\"num\">(\d+)</td><td "
                        r"class=\"num\">(\d+)</td>", answer.text)  # fmt: skip
    assert counts[0] == (TAG, str(len(expected[TAG][0])), str(len(expected[TAG][1])))
    assert f"{len(portal)} stored calls" in answer.text
    assert "vocational\nsocial dialogue" in answer.text  # the form keeps the edited rules
    # nothing saved: the rules, the calls' tags, the history, the audit log
    assert tag_cases.get(bare_app, TAG) == old
    assert tag_store.active_taxonomy(bare_app.store()).get(TAG) == old
    assert _stored(bare_app) == stored
    assert tag_cases.history(bare_app, TAG) == history
    assert audit.events(bare_app, action="tag") == []


def test_saving_the_previewed_rules_changes_the_stored_tags_and_is_audited(
    portal, admin_client, bare_app
):
    old = tag_cases.get(bare_app, TAG)
    data = {"csrf_token": csrf_of(admin_client.get(f"/staff/tags/{TAG}").text),
            **_form(old, phrases=_edited_phrases(old))}  # fmt: skip
    shown = admin_client.post(f"/staff/tags/{TAG}/rules", data={**data, "do": "preview"})
    key = re.search(r'name="previewed" value="([0-9a-f]+)"', shown.text)
    assert key
    # other rules than those previewed are previewed again, not saved
    other = {**data, "phrases": data["phrases"] + "\nmalaria", "do": "save",
             "previewed": key.group(1)}  # fmt: skip
    stale = admin_client.post(f"/staff/tags/{TAG}/rules", data=other)
    assert stale.status_code == 409 and "nothing was saved" in stale.text
    assert tag_cases.get(bare_app, TAG) == old
    expected = _shown(shown.text)
    saved = admin_client.post(f"/staff/tags/{TAG}/rules", data={
        **data, "do": "save", "previewed": key.group(1)}, follow_redirects=False)  # fmt: skip
    assert saved.status_code == 303, saved.text
    new = tag_cases.get(bare_app, TAG)
    assert set(new.phrases) == set(_edited_phrases(old)) and new.countries == old.countries
    stored = _stored(bare_app)
    gained, lost = expected[TAG]
    assert all(TAG in stored.get(c, set()) for c in gained)
    assert all(TAG not in stored.get(c, set()) for c in lost)
    assert all("global-actor" in stored[c] for c in expected["global-actor"][0])
    page = admin_client.get(saved.headers["location"])
    assert f"Saved. {len(set().union(*(g | lo for g, lo in expected.values())))} calls" in page.text
    assert "rules edited" in page.text and "+ phrases=social dialogue" in page.text
    [event] = audit.events(bare_app, action="tag.edit")
    assert event.actor == "boss@ki.se" and event.target == f"tag {TAG} ({old.label_en})"
    assert set(event.before) == set(event.after) == {"phrases"}
    assert "social dialogue" in event.after["phrases"]
    assert "EDCTP" in event.before["phrases"] and "EDCTP" not in event.after["phrases"]


def test_a_rule_form_that_is_not_valid_says_why_and_saves_nothing(portal, admin_client, bare_app):
    old = tag_cases.get(bare_app, TAG)
    token = csrf_of(admin_client.get(f"/staff/tags/{TAG}").text)
    answer = admin_client.post(f"/staff/tags/{TAG}/rules", data={
        "csrf_token": token, "do": "preview", **_form(old),
        "parent": "eu-research-policy"})  # fmt: skip
    assert answer.status_code == 400 and "Nothing was saved" in answer.text
    assert tag_cases.get(bare_app, TAG) == old
    assert admin_client.get("/staff/tags/no-such-tag").status_code == 404


def test_rename_retire_naming_the_followers_and_restore(portal, admin_client, bare_app):
    from monitor.store.subscribers import add_subscriber

    store = bare_app.store()
    add_subscriber(store, "email", "follower@ki.se", filters={"tags": [TAG]})
    add_subscriber(store, "slack-webhook", WEBHOOK, filters={"tags": [TAG]})
    page = admin_client.get(f"/staff/tags/{TAG}")
    token = csrf_of(page.text)
    assert "follower@ki.se" in page.text and "sEcReT" not in page.text
    renamed = admin_client.post(f"/staff/tags/{TAG}/rename", data={
        "csrf_token": token, "label_en": "Global health", "label_sv": "Global hälsa",
    })  # fmt: skip
    assert renamed.status_code == 200 and "Renamed: Global health / Global hälsa" in renamed.text
    assert tag_cases.get(bare_app, TAG).label_sv == "Global hälsa"
    asked = admin_client.post(f"/staff/tags/{TAG}/retire", data={"csrf_token": token})
    assert asked.status_code == 200 and "Retire Global health?" in asked.text
    assert "follower@ki.se" in asked.text and "hooks.slack.com/…" in asked.text
    assert "sEcReT" not in asked.text and "T0001" not in asked.text
    assert TAG in {r.id for r in tag_cases.rows(bare_app)}  # asked, not done
    carried = sum(1 for tags in _stored(bare_app).values() if TAG in tags)
    done = admin_client.post(f"/staff/tags/{TAG}/retire",
                             data={"csrf_token": token, "confirm": "yes"})  # fmt: skip
    assert done.status_code == 200 and f"taken off {carried} calls" in done.text
    assert TAG not in {r.id for r in tag_cases.rows(bare_app)}
    assert not any(TAG in tags for tags in _stored(bare_app).values())
    assert 'action="/staff/tags/global-health-lmic/restore"' in done.text
    back = admin_client.post(f"/staff/tags/{TAG}/restore", data={"csrf_token": token})
    assert back.status_code == 200 and "is back in force" in back.text
    assert TAG in {r.id for r in tag_cases.rows(bare_app)}
    kinds = [e.kind for e in tag_cases.history(bare_app, TAG)]
    assert kinds[-3:] == ["renamed", "retired", "restored"]
    events = {e.action: e for e in audit.events(bare_app, action="tag")}
    assert set(events) == {"tag.rename", "tag.retire", "tag.restore"}
    assert events["tag.rename"].after == {"label_en": "Global health", "label_sv": "Global hälsa"}
    retire = events["tag.retire"]
    assert retire.after["calls"] == carried and len(retire.after["followers"]) == 2
    assert "sEcReT" not in str([e.before | e.after for e in events.values()])


def test_adding_a_tag_previews_the_calls_it_would_get_then_gives_it(portal, admin_client, bare_app):
    token = csrf_of(admin_client.get("/staff/tags/_new").text)
    data = {"csrf_token": token, "id": "climate", "label_en": "Climate", "label_sv": "Klimat",
            "parent": "", "phrases": "climate\nemission*",
            "description": "Climate action"}  # fmt: skip
    bad = admin_client.post("/staff/tags/_new", data={**data, "id": "Not An Id", "do": "save"})
    assert bad.status_code == 400 and "invalid tag id" in bad.text
    shown = admin_client.post("/staff/tags/_new", data={**data, "do": "preview"})
    assert shown.status_code == 200
    from classifiers.taxonomy import Tag

    expected = _expected(bare_app, Tag("climate", "Climate", "Klimat", "Climate action",
                                       phrases=("climate", "emission*")))  # fmt: skip
    assert expected["climate"][0] and _shown(shown.text) == expected
    assert "climate" not in {r.id for r in tag_cases.rows(bare_app)}  # not yet
    made = admin_client.post("/staff/tags/_new", data={**data, "do": "save"},
                             follow_redirects=False)  # fmt: skip
    assert made.status_code == 303 and made.headers["location"].startswith("/staff/tags/climate")
    stored = _stored(bare_app)
    assert {c for c, tags in stored.items() if "climate" in tags} == expected["climate"][0]
    assert "Added Climate" in admin_client.get(made.headers["location"]).text
    [event] = audit.events(bare_app, action="tag.add")
    assert event.after["phrases"] == ["climate", "emission*"] and event.before == {}


def test_the_tags_commands_are_audited_as_their_user(portal, cli, bare_app):
    code, _, err = cli("tags", "rename", TAG, "--label-en", "Health")
    assert code == 0, err
    code, _, err = cli("tags", "edit", TAG, "--add", "phrases=malaria")
    assert code == 0, err
    code, _, err = cli("tags", "retire", "at-home")
    assert code == 0, err
    code, _, err = cli("tags", "restore", "at-home")
    assert code == 0, err
    events = audit.events(bare_app, action="tag")
    assert [e.action for e in events] == ["tag.restore", "tag.retire", "tag.edit", "tag.rename"]
    assert all(e.actor.startswith("cli:") for e in events)
    assert events[2].after["phrases"][-1] == "malaria"


def test_a_preview_with_the_model_in_force_matches_classification(portal, bare_app, db_url):
    """With a trained model (its per-tag combination), for a rules edit and for a move to
    another parent (where the model's scores decide too)."""
    if not db_url.startswith("sqlite"):
        pytest.skip("training once is enough: the store's part is tested on both backends")
    from monitor.tagging import training

    training.train_and_register(bare_app.store(), bare_app.settings, force=True)
    old = tag_cases.get(bare_app, "erasmus-education")
    edits = [
        tag_cases.Edit(adds=["phrases=SME*", "phrases=carcass"], removes=["phrases=Erasmus+"]),
        tag_cases.Edit(sets=["parent="]),  # moves to the top: global-actor may lose calls
    ]
    for change in edits:
        found = tag_cases.preview(bare_app, old.id, change)
        expected = _expected(bare_app, tag_cases.edited(old, change))
        assert found.tagger.startswith("model")
        shown = {s.tag_id: ({c.id for c in s.gained}, {c.id for c in s.lost})
                 for s in found.shifts}  # fmt: skip
        assert shown == expected
    assert expected["global-actor"][1]  # the move takes the parent from some calls


@contextmanager
def admin_in_browser(app: Any, chromium: Any) -> Iterator[tuple[Any, str]]:
    """(a Chromium page at 1280 px signed in as an admin by the emailed link's page, the
    base URL of the web face of ``app`` it is on)."""
    from monitor.app import staff
    from monitor.web.app import running
    from tests.web.conftest import staff_link

    staff.add(app, "boss@ki.se", "admin")
    with running(app) as url:
        context = chromium.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB")
        page = context.new_page()
        page.set_default_timeout(10_000)
        page.goto(f"{url}/staff/sign-in?token={staff_link(app, 'boss@ki.se', 'admin')}")
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(f"{url}/staff")
        try:
            yield page, url
        finally:
            context.close()


def test_an_admin_edits_a_rule_with_the_preview_then_saves(portal, bare_app, chromium):
    """In Chromium: the tags tree, a tag, its rules edited and previewed, then saved; the
    retire step naming a follower."""
    from monitor.store.subscribers import add_subscriber

    add_subscriber(bare_app.store(), "email", "follower@ki.se", filters={"tags": [TAG]})
    with admin_in_browser(bare_app, chromium) as (page, url):
        page.get_by_role("link", name="Tags").first.click()
        page.wait_for_url(f"{url}/staff/tags")
        axe(page)
        shoot(page, "staff-tags")
        old = tag_cases.get(bare_app, TAG)
        page.get_by_role("link", name=old.label_en).click()
        page.wait_for_url(f"{url}/staff/tags/{TAG}")
        axe(page)
        shoot(page, "staff-tag")
        phrases = page.get_by_label("Phrases", exact=True)
        phrases.fill("\n".join(_edited_phrases(old)))
        page.get_by_role("button", name="Preview the change").click()
        page.wait_for_selector("#preview")
        heading = page.locator("#preview h3").first.inner_text()
        assert re.search(rf"would (gain|lose) {TAG} \(\d+\)", heading), heading
        axe(page)
        shoot(page, "staff-tag-preview")
        assert tag_cases.get(bare_app, TAG) == old  # previewed, not saved
        page.locator("#preview").get_by_role("button", name="Save these rules").click()
        page.wait_for_selector("p.thanks")
        assert "Saved." in page.locator("p.thanks").inner_text()
        assert set(tag_cases.get(bare_app, TAG).phrases) == set(_edited_phrases(old))
        axe(page)
        page.goto(f"{url}/staff/tags/_new")
        axe(page)
        page.goto(f"{url}/staff/tags/{TAG}")
        page.get_by_role("button", name="Retire this tag").click()
        page.wait_for_selector("text=Retire it anyway")
        axe(page)
        shoot(page, "staff-tag-retire")
