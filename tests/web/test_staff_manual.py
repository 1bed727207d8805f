"""The curators' calls entered by hand (/staff/calls), on the use cases of `calls add|edit|
import`: the list linked to the public pages, the entry form (deadline rows with stages; an
unusable value shown next to its field, nothing saved), an edit recorded as typed changes and
shown in the call's timeline, a CSV upload with its report; 403 and CSRF refusals."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import pytest

from monitor.app import audit, calls, manual_calls
from tests.conftest import FIXTURES
from tests.web.conftest import axe_problems, csrf_of

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)  # before the 2027 deadlines
UHR = FIXTURES / "manual" / "uhr-erasmus-2027.csv"
FORM = {
    "identifier": "BIP-KI-2027", "title": "Blended intensive programme in global health, 2027",
    "funder": "Universitets- och högskolerådet (UHR)", "programme": "Erasmus+ BIP",
    "url": "https://uhr.se/bip", "summary": "Short blended mobility in global health.\n\nKI hosts.",
    "opens": "2026-11-17", "budget": "400 000", "currency": "eur", "status": "",
    "deadline_date": ["2027-02-12", "2027-05-01", ""], "deadline_time": ["", "12:00", ""],
    "deadline_stage": ["1", "2", ""],
}  # fmt: skip


@pytest.fixture
def curator(curator_client, bare_app) -> Any:
    bare_app.clock = lambda: NOW
    return curator_client


def _post(client: Any, path: str, form: dict[str, Any], **more: Any) -> Any:
    page = client.get("/staff/calls/new")
    return client.post(path, data={"csrf_token": csrf_of(page.text), **form}, **more)


def test_signed_out_visitors_get_403_on_every_calls_route(client) -> None:
    token = csrf_of(client.get("/staff/sign-in").text)
    for path in ("/staff/calls", "/staff/calls/new", "/staff/calls/1", "/staff/calls/import"):
        assert client.get(path).status_code == 403, path
        assert client.post(path, data={"csrf_token": token}).status_code in (403, 405), path


def test_a_call_entered_with_two_stages_is_saved_tagged_public_and_audited(
    curator, bare_app
) -> None:
    assert "No call has been entered by hand yet" in curator.get("/staff/calls").text
    done = _post(curator, "/staff/calls/new", FORM, follow_redirects=False)
    assert done.status_code == 303, done.text
    number = int(re.search(r"/staff/calls/(\d+)\?done=added", done.headers["location"])[1])
    call = calls.show(bare_app, number, now=NOW)
    assert (call.source, call.identifier, call.programme) == ("manual", "BIP-KI-2027",
                                                              "Erasmus+ BIP")  # fmt: skip
    assert call.deadline_model == "two-stage" and len(call.deadlines) == 2
    assert [d["date_only"] for d in call.deadlines] == [True, False]
    assert (call.budget, call.currency, call.status) == (400_000, "EUR", "open")
    assert call.tags  # tagged as it was saved
    shown = curator.get(done.headers["location"])
    assert "The call is saved and tagged" in shown.text
    assert 'value="2027-02-12"' in shown.text and 'value="12:00"' in shown.text
    listing = curator.get("/staff/calls")
    assert f'<a href="/calls/{number}">Blended intensive programme' in listing.text
    assert curator.get(f"/calls/{number}").status_code == 200
    [event] = audit.events(bare_app, action="call.add")
    assert event.actor == "cura@ki.se" and event.target == f"call {number} (BIP-KI-2027)"


@pytest.mark.parametrize(
    ("change", "field", "says"),
    [
        ({"title": " "}, "title", "title"),
        ({"url": "ftp://uhr.se/x"}, "url", "url"),
        ({"deadline_stage": ["2", "", ""]}, "deadlines", "stage"),
        ({"deadline_date": ["2027-02-30", "", ""]}, "deadlines", "2027-02-30"),
        ({"currency": ""}, "currency", "a budget needs its currency"),
        ({"status": "open"}, "status", "takes its status from its dates"),
        ({"identifier": "12345"}, "identifier", "only digits"),
    ],
)
def test_an_unusable_value_is_shown_next_to_its_field_and_nothing_is_saved(
    curator, bare_app, change, field, says
) -> None:
    answer = _post(curator, "/staff/calls/new", {**FORM, **change})
    assert answer.status_code == 400
    error = re.search(rf'<p class="man-error" id="f-{field}-error">(.*?)</p>', answer.text, re.S)
    assert error and says in error[1], answer.text[:3000]
    assert f'href="#f-{field if field != "deadlines" else "deadline-date-1"}"' in answer.text
    assert "Nothing was saved" in answer.text
    assert 'value="Short blended' not in answer.text  # the summary is a textarea
    assert "Short blended mobility in global health." in answer.text  # kept as typed
    assert manual_calls.identifiers(bare_app) == []


def test_a_second_identifier_the_same_is_refused_on_its_field(curator, bare_app) -> None:
    assert _post(curator, "/staff/calls/new", FORM, follow_redirects=False).status_code == 303
    again = _post(curator, "/staff/calls/new", FORM)
    assert again.status_code == 400 and 'id="f-identifier-error"' in again.text
    assert manual_calls.identifiers(bare_app) == ["BIP-KI-2027"]


def test_another_deadline_row_saves_nothing(curator, bare_app) -> None:
    answer = _post(curator, "/staff/calls/new", {**FORM, "do": "more"})
    assert answer.status_code == 200 and 'id="f-deadline-date-4"' in answer.text
    assert 'value="2027-05-01"' in answer.text
    assert manual_calls.identifiers(bare_app) == []


def test_an_edit_is_recorded_as_typed_changes_and_shown_in_the_timeline(curator, bare_app) -> None:
    done = _post(curator, "/staff/calls/new", FORM, follow_redirects=False)
    path = done.headers["location"].split("?")[0]
    edited = {**FORM, "deadline_date": ["2027-02-19", "2027-05-01"],
              "deadline_time": ["", "12:00"], "deadline_stage": ["1", "2"],
              "budget": "450000"}  # fmt: skip
    edited.pop("identifier")
    saved = _post(curator, path, edited, follow_redirects=False)
    assert saved.status_code == 303 and saved.headers["location"].endswith("?done=updated")
    call = calls.show(bare_app, int(path.rsplit("/", 1)[1]), now=NOW)
    assert {c.kind for c in call.changes} >= {"deadline_changed", "budget_changed"}
    page = curator.get(saved.headers["location"])
    timeline = page.text.split('id="h-changes"')[1]
    assert "19 Feb 2027" in timeline and "450,000" in timeline
    again = _post(curator, path, edited, follow_redirects=False)
    assert again.headers["location"].endswith("?done=unchanged")
    assert [e.action for e in audit.events(bare_app, action="call")] == ["call.edit", "call.add"]
    wrong = _post(curator, path, {**edited, "title": ""})
    assert wrong.status_code == 400 and 'id="f-title-error"' in wrong.text


def test_a_fetched_call_has_no_edit_page(curator, portal) -> None:
    number = min(portal.values())
    assert curator.get(f"/staff/calls/{number}").status_code == 404
    assert _post(curator, f"/staff/calls/{number}", {"title": "x"}).status_code == 404


def test_a_csv_upload_reports_each_row_and_a_second_upload_updates(curator, bare_app) -> None:
    content = UHR.read_bytes()
    bad = content + b"BAD-ROW,No funder,,,https://x.example/,,,,,,\n"

    def upload(body: bytes) -> Any:
        page = curator.get("/staff/calls/import")
        return curator.post("/staff/calls/import", data={"csrf_token": csrf_of(page.text)},
                            files={"file": ("uhr.csv", body, "text/csv")})  # fmt: skip

    first = upload(bad)
    assert first.status_code == 200
    rows = len(manual_calls.identifiers(bare_app))
    assert rows >= 4
    assert f"<b>added</b>: {rows}" in first.text and "<b>failed</b>: 1" in first.text
    line = content.decode().count("\n") + 1
    assert re.search(rf'data-label="Line">{line}</td><td[^>]*>funder', first.text), first.text
    second = upload(content)
    assert f"<b>unchanged</b>: {rows}" in second.text and "<b>added</b>: 0" in second.text
    refused = upload(b"title,funder\nx,y\n")
    assert refused.status_code == 400 and "no identifier column" in refused.text
    assert len(manual_calls.identifiers(bare_app)) == rows


def test_the_entry_form_without_its_csrf_token_is_refused(curator, bare_app) -> None:
    answer = curator.post("/staff/calls/new", data=FORM)
    assert answer.status_code == 403 and "did not come from this site" in answer.text
    assert manual_calls.identifiers(bare_app) == []


def test_the_form_in_swedish(curator) -> None:
    page = curator.get("/staff/calls/new?lang=sv")
    assert "För in en utlysning" in page.text and "Sista dag 1: datum" in page.text


def test_in_the_browser_a_curator_enters_a_two_stage_call_and_finds_it_in_search(
    bare_app, chromium
) -> None:
    from monitor.web.app import running
    from tests.web.conftest import browse_as
    from tests.web.conftest import checked as _check

    bare_app.clock = lambda: NOW
    with running(bare_app) as url:
        page = browse_as(chromium, url, bare_app, "cura@ki.se", "curator")
        page.get_by_role("link", name="Calls entered by hand").first.click()
        page.get_by_role("link", name="Enter a call").click()
        page.wait_for_url(re.compile(r"/staff/calls/new$"))
        page.get_by_label("Identifier").fill("KA220-KI-2027")
        page.get_by_label("Title").fill("Cooperation partnerships in higher education, 2027")
        page.get_by_label("Funder").fill("Universitets- och högskolerådet (UHR)")
        page.get_by_label("Programme").fill("Erasmus+ KA220-HED")
        page.get_by_label("Link").fill("https://uhr.se/ka220")
        page.get_by_label("Summary").fill("Partnerships between universities on curricula.")
        page.get_by_label("Deadline 1: date").fill("2027-03-05")
        page.get_by_label("Deadline 1: stage").select_option("1")
        page.get_by_label("Deadline 2: date").fill("2027-06-04")
        page.get_by_label("Deadline 2: time").fill("12:00")
        page.get_by_label("Deadline 2: stage").select_option("2")
        page.get_by_label("Budget").fill("250 000")
        page.get_by_label("Currency").fill("EUR")
        _check(page, "staff-call-new")
        page.get_by_role("button", name="Save the call").click()
        page.wait_for_selector("text=The call is saved and tagged.")
        number = int(re.search(r"/staff/calls/(\d+)", page.url)[1])
        _check(page, "staff-call")
        page.get_by_role("link", name="Calls entered by hand").first.click()
        page.wait_for_url(re.compile(r"/staff/calls$"))
        _check(page, "staff-calls")
        page.goto(url + "/?q=cooperation+partnerships+curricula")
        page.get_by_role("link", name="Cooperation partnerships in higher education, 2027").click()
        page.wait_for_url(re.compile(rf"/calls/{number}$"))
        text = page.locator("main").inner_text()
        assert "KA220-KI-2027" in text and "Stage 1" in text and "Stage 2" in text
        assert axe_problems(page) == []
        page.context.close()
