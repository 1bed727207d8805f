"""The admins' review queue (issue #15): the call the model is least sure about, with its text
and each tag's score and evidence; yes/no per tag stored as a label that changes the call's
tags at once; skip and next; calls a reader gave 👎 first; readers' feedback accepted as labels
(wrong tag, 👎 and not relevant by the reader's followed tags, 👍) or rejected; roles, CSRF and
the audit log, from the page and from the `label` command."""

from __future__ import annotations

import re
from typing import Any

import pytest
from markupsafe import escape

from monitor.app import audit
from monitor.app import model as model_cases
from monitor.app.context import App
from monitor.store import tags as tag_store
from monitor.store.feedback import add_feedback, list_feedback
from tests.web.conftest import csrf_of, sign_in_staff
from tests.web.test_staff_model import fitted, models_in_tmp, register  # noqa: F401  (fixtures)

EDCTP = "HORIZON-JU-GH-EDCTP3-2026-03-SERP-01"
PAGES = ("/staff/review", "/staff/review/feedback")


@pytest.fixture
def modelled(portal: dict[str, int], bare_app: App, fitted: Any) -> dict[str, int]:  # noqa: F811
    """The recorded portal calls (tagged) with an active model: identifier -> call id."""
    register(bare_app, fitted, [0.8])
    return portal


def _shown(page: str) -> int:
    """The call a review page shows."""
    found = re.search(r'<input type="hidden" name="call" value="(\d+)">', page)
    assert found, "no call on the page"
    return int(found.group(1))


def _row(page: str, tag: str) -> str:
    """What a review page says of one tag."""
    return page.split(f'id="tag-{tag}"', 1)[1].split('<li class="review-tag', 1)[0]


def _tags(app: App, call: int) -> dict[str, Any]:
    return tag_store.call_tags(app.store(), [call]).get(call, {})


def _answer(client: Any, page: str, tag: str, answer: str) -> Any:
    form = page.split(f'name="tag" value="{tag}"', 1)[0].rsplit("<form", 1)[1]
    skip = re.search(r'name="skip" value="([^"]*)"', page.split(f'value="{tag}"', 1)[1])
    asked = re.search(r'name="asked" value="([^"]*)"', page.split(f'value="{tag}"', 1)[1])
    assert 'action="/staff/review/label"' in form and skip and asked
    return client.post("/staff/review/label", data={
        "csrf_token": csrf_of(page), "call": str(_shown(page)), "tag": tag, "answer": answer,
        "skip": skip.group(1), "asked": asked.group(1),
    })  # fmt: skip


def test_review_pages_are_for_admins_and_every_post_needs_its_csrf_token(client, bare_app,
                                                                         modelled):  # fmt: skip
    call = modelled[EDCTP]
    said = add_feedback(bare_app.store(), call, "wrong-tag", bare_app.now(), tag_id="visibility")
    posts = {"/staff/review/label": {"call": str(call), "tag": "visibility", "answer": "no"},
             f"/staff/review/feedback/{said.id}": {"do": "accept"}}  # fmt: skip
    for path in PAGES:
        assert client.get(path).status_code == 403, path
    for path, data in posts.items():
        assert client.post(path, data=data).status_code == 403, path
    sign_in_staff(client, bare_app, "cura@ki.se", "curator")
    for path in PAGES:
        answer = client.get(path)
        assert answer.status_code == 403 and "for admins" in answer.text, path
    token = csrf_of(client.get("/staff").text)
    for path, data in posts.items():
        assert client.post(path, data={**data, "csrf_token": token}).status_code == 403, path
    sign_in_staff(client, bare_app, "boss@ki.se", "admin")
    assert 'href="/staff/review"' in client.get("/staff").text  # in the admin's menu
    for path, data in posts.items():  # an admin's form without its token changes nothing
        answer = client.post(path, data=data)
        assert answer.status_code == 403 and "did not come from this site" in answer.text
    assert tag_store.labels(bare_app.store()) == {}
    assert [f.status for f in list_feedback(bare_app.store(), status=None)] == ["new"]
    assert audit.events(bare_app) == [e for e in audit.events(bare_app)
                                      if e.action.startswith("user.")]  # fmt: skip


def test_the_queue_shows_the_least_sure_call_with_its_text_scores_and_evidence(
    admin_client, bare_app, modelled
):
    [first] = model_cases.review(bare_app, 1)
    page = admin_client.get("/staff/review")
    assert page.status_code == 200
    assert _shown(page.text) == first["call"]
    call = model_cases.explain(bare_app, first["call"])
    from monitor.app.calls import show

    view = show(bare_app, first["call"])
    assert view.title in page.text and view.identifier in page.text
    assert view.programme in page.text and view.summary.split("\n")[0][:60] in page.text
    if view.next_deadline:
        assert f'datetime="{view.next_deadline.isoformat()}"' in page.text
    # the asked tag first, marked, with the model's score; every tag with a yes and a no
    tags = re.findall(r'<li class="review-tag( asked)?" id="tag-([a-z-]+)"', page.text)
    assert tags[0] == (" asked", first["tag"]) and len(tags) == len(model_cases.tag_names(bare_app))
    assert page.text.count('data-answer="yes"') == page.text.count('data-answer="no"') == len(tags)
    asked = _row(page.text, first["tag"])
    assert f"model {call['tags'][first['tag']]['model_score']:.2f}" in asked
    edctp = modelled[EDCTP]
    other = admin_client.get(f"/staff/review?call={edctp}").text
    from monitor.web.present import Present

    words = Present("en", bare_app.settings.timezone, bare_app.now())
    labels = model_cases.tag_names(bare_app)
    for number, shown in ((first["call"], page.text), (edctp, other)):
        said = model_cases.explain(bare_app, number)["tags"]
        assert sum(len(f["rules"]) for f in said.values()) >= (5 if number == edctp else 0)
        for tag, found in said.items():  # the evidence: the rules, the model's terms
            row = _row(shown, tag)
            # each rule in plain words, as the call's page says it ('phrase "X"': the text
            # says "X"), never as stored
            assert all(str(escape(f"rule: {words.reason(r, labels)}")) in row
                       for r in found["rules"])  # fmt: skip
            assert not any(f"rule: {r}".replace('"', "&#34;") in row for r in found["rules"])
            assert all(str(escape(term)) in row for term in found["model_terms"][:8])
            assert ("given, score" in row) == found["given"]
    assert 'href="/static/review.js"' not in page.text and 'src="/static/review.js"' in page.text
    assert "<script>" not in page.text  # no inline script (the CSP forbids it)
    assert "Calls in the queue:" in page.text
    sv = admin_client.get("/staff/review?lang=sv").text
    assert "Granskningskö" in sv and "Dess taggar" in sv and ">Ja <kbd" in sv
    edctp_sv = admin_client.get(f"/staff/review?call={edctp}").text  # the language is kept
    assert "regel: texten säger ”" in edctp_sv and "regel: phrase" not in edctp_sv


def test_a_label_from_the_review_page_is_stored_and_changes_the_calls_tags(
    admin_client, bare_app, modelled
):
    call = modelled[EDCTP]
    page = admin_client.get(f"/staff/review?call={call}").text
    assert _shown(page) == call and "global-health-lmic" in _tags(bare_app, call)
    done = _answer(admin_client, page, "global-health-lmic", "no")
    assert done.status_code == 200 and _shown(done.text) == call  # back to the same call
    assert "Saved: your answer for global-health-lmic is in force." in done.text
    assert tag_store.labels(bare_app.store())[call] == {"global-health-lmic": False}
    assert "global-health-lmic" not in _tags(bare_app, call)  # at once
    row = _row(done.text, "global-health-lmic")
    assert "you said: lacks it" in row and 'data-judged="yes"' in done.text
    assert "visibility" not in _tags(bare_app, call)
    done = _answer(admin_client, done.text, "visibility", "yes")
    tags = _tags(bare_app, call)
    assert tags["visibility"].score == 1.0 and tags["visibility"].origin == "label"
    assert tag_store.labels(bare_app.store())[call] == {"global-health-lmic": False,
                                                        "visibility": True}  # fmt: skip
    events = audit.events(bare_app, action="model.label")
    assert [(e.actor, e.target, e.before, e.after) for e in events] == [
        ("boss@ki.se", f"call {call} ({EDCTP}), tag visibility", {}, {"label": "has the tag"}),
        ("boss@ki.se", f"call {call} ({EDCTP}), tag global-health-lmic", {},
         {"label": "lacks the tag"}),
    ]  # fmt: skip
    _answer(admin_client, done.text, "visibility", "no")  # changing one's mind is recorded too
    assert audit.events(bare_app, action="model.label")[0].before == {"label": "has the tag"}
    bad = _answer(admin_client, done.text, "visibility", "maybe")
    assert bad.status_code == 400
    token = csrf_of(done.text)
    gone = admin_client.post(
        "/staff/review/label",
        data={"csrf_token": token, "call": "999999", "tag": "visibility", "answer": "no"},
    )
    assert gone.status_code == 400 and "no call with id 999999" in gone.text


def test_skip_and_next_go_through_the_queue_until_it_is_empty(admin_client, bare_app, modelled):
    ranked = [r["call"] for r in model_cases.review(bare_app, 500)]
    assert len(ranked) == len(set(ranked)) == len(modelled)
    page = admin_client.get("/staff/review").text
    seen = []
    for _ in range(len(ranked)):
        seen.append(_shown(page))
        link = re.search(r'href="(/staff/review\?skip=[0-9,]+)" data-key="([sj])"', page)
        assert link and link.group(2) == "s"
        assert re.search(r'href="/staff/review\?skip=[0-9,]+" data-key="j"', page)
        page = admin_client.get(link.group(1).replace("&amp;", "&")).text
    assert seen == ranked  # most uncertain first, each call once
    assert "Nothing to review" in page and "Start the queue again" in page
    assert _shown(admin_client.get("/staff/review").text) == ranked[0]


def test_calls_a_reader_gave_a_thumbs_down_come_first(admin_client, bare_app, modelled):
    ranked = [r["call"] for r in model_cases.review(bare_app, 500)]
    last = ranked[-1]  # the call the model is surest of
    add_feedback(bare_app.store(), last, "down", bare_app.now(), via="digest")
    page = admin_client.get("/staff/review").text
    assert _shown(page) == last
    assert "What readers said" in page and "👎 Not useful" in page and "from a digest" in page
    skip = re.search(r'href="/staff/review\?skip=([0-9,]+)" data-key="s"', page)
    assert skip and skip.group(1) == str(last)
    assert _shown(admin_client.get(f"/staff/review?skip={last}").text) == ranked[0]


def _reader(app: App, tags: list[str]) -> int:
    from monitor.store.subscribers import add_subscriber

    row = add_subscriber(app.store(), "email", f"r{len(tags)}@ki.se", filters={"tags": tags})
    assert row.id is not None
    return row.id


def _decide(client: Any, page: str, feedback_id: int, do: str, back: str = "feedback") -> Any:
    return client.post(f"/staff/review/feedback/{feedback_id}",
                       data={"csrf_token": csrf_of(page), "do": do, "back": back})  # fmt: skip


def test_accept_turns_feedback_into_labels_and_reject_dismisses_it(
    admin_client, bare_app, modelled
):
    store, call = bare_app.store(), modelled[EDCTP]
    given = set(_tags(bare_app, call))
    assert {"global-actor", "global-health-lmic", "eu-research-policy"} <= given
    wrong = add_feedback(store, call, "wrong-tag", bare_app.now(), tag_id="eu-research-policy")
    # the reader follows global-actor and its sub-tag global-health-lmic: the sub-tag is meant
    reader = _reader(bare_app, ["global-actor", "global-health-lmic", "visibility"])
    down = add_feedback(store, call, "down", bare_app.now(), via="digest", subscriber_id=reader)
    up_call = modelled["ERASMUS-EDU-2024-EUR-UNIV-1"]
    fan = _reader(bare_app, ["erasmus-education"])
    up = add_feedback(store, up_call, "up", bare_app.now(), via="digest", subscriber_id=fan)
    nobody = add_feedback(store, up_call, "not-relevant", bare_app.now())
    page = admin_client.get("/staff/review/feedback").text
    assert page.count('class="said-item"') == 4
    assert "Wrong tag: eu-research-policy" in page and "👍 Useful" in page
    assert "The reader follows: global-actor, global-health-lmic, visibility" in page
    assert "Accepting records: lacks global-health-lmic" in page
    assert "Accepting records: has erasmus-education" in page
    assert "names no tag to label" in page
    assert f'action="/staff/review/feedback/{nobody.id}"' in page
    assert f"Accept feedback {nobody.id}" not in page  # nothing it could become

    done = _decide(admin_client, page, wrong.id, "accept")
    assert done.status_code == 200 and "The feedback was accepted" in done.text
    done = _decide(admin_client, done.text, down.id, "accept")
    done = _decide(admin_client, done.text, up.id, "accept")
    labels = tag_store.labels(store)
    assert labels[call] == {"eu-research-policy": False, "global-health-lmic": False}
    assert labels[up_call] == {"erasmus-education": True}
    assert not {"eu-research-policy", "global-health-lmic"} & set(_tags(bare_app, call))
    assert _tags(bare_app, up_call)["erasmus-education"].origin == "label"
    refused = _decide(admin_client, done.text, nobody.id, "accept")
    assert refused.status_code == 400 and "names no tag to label" in refused.text
    again = _decide(admin_client, done.text, wrong.id, "reject")
    assert again.status_code == 400 and "was accepted already" in again.text
    assert "settings table in README" not in again.text  # no hint that does not apply
    done = _decide(admin_client, done.text, nobody.id, "reject")
    assert "The feedback was rejected" in done.text and "No feedback waits" in done.text
    status = {f.id: f.status for f in list_feedback(store, status=None)}
    assert status == {wrong.id: "accepted", down.id: "accepted", up.id: "accepted",
                      nobody.id: "dismissed"}  # fmt: skip
    assert tag_store.labels(store)[up_call] == {"erasmus-education": True}  # reject: no label
    events = {e.target.split(" (")[0]: e for e in audit.events(bare_app, action="feedback")}
    assert events[f"feedback {wrong.id}"].after == {
        "status": "accepted",
        "labels": "lacks eu-research-policy",
    }
    assert events[f"feedback {nobody.id}"].action == "feedback.reject"
    assert events[f"feedback {nobody.id}"].after == {"status": "dismissed"}
    assert all(e.actor == "boss@ki.se" for e in events.values())
    assert len(audit.events(bare_app, action="model.label")) == 3  # each label too


def test_feedback_decided_from_the_call_in_the_queue_goes_back_to_it(
    admin_client, bare_app, modelled
):
    call = modelled[EDCTP]
    down = add_feedback(bare_app.store(), call, "down", bare_app.now())
    page = admin_client.get("/staff/review").text
    assert _shown(page) == call
    done = _decide(admin_client, page, down.id, "reject", back="call")
    assert done.status_code == 200 and _shown(done.text) == call
    assert "The feedback was rejected." in done.text
    assert _shown(admin_client.get("/staff/review").text) != call  # no longer first


def test_the_label_command_is_audited_as_its_user(cli, bare_app, modelled):
    call = modelled[EDCTP]
    code, out, _ = cli("label", str(call), "visibility")
    assert code == 0 and "has tag visibility" in out
    [event] = audit.events(bare_app, action="model.label")
    assert event.actor.startswith("cli:") and event.after == {"label": "has the tag"}
    assert _tags(bare_app, call)["visibility"].origin == "label"
