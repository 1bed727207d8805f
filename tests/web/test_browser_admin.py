"""The admin's journey of issue #15 in Chromium: signed in by the emailed link's page, an admin
labels five calls from the review queue with the keyboard (and one with Tab and Enter alone),
accepts a reader's feedback, trains a model (its progress shown without reloading), sees the
metrics table and the model history change, and rolls back, confirming the worse model. axe on
every page; screenshots at 1280 and 390 px; nothing scrolls sideways at 390 px."""

from __future__ import annotations

import re
from typing import Any

from monitor.app import model as model_cases
from monitor.app.context import App
from monitor.store import tags as tag_store
from monitor.store.feedback import add_feedback, list_feedback
from monitor.store.subscribers import add_subscriber
from monitor.web.app import running
from tests.web.conftest import checked as _check
from tests.web.conftest import staff_link
from tests.web.test_staff_model import fitted, models_in_tmp, register  # noqa: F401  (fixtures)

EDCTP = "HORIZON-JU-GH-EDCTP3-2026-03-SERP-01"
LMIC = "global-health-lmic"


def _shown(page: Any) -> int:
    return int(page.locator("#review input[name='call']").first.get_attribute("value"))


def _rows(page: Any, table: str) -> list[str]:
    return [r.inner_text() for r in page.locator(f"#{table} tbody tr").all()]


def test_an_admin_labels_five_calls_trains_and_rolls_back(
    portal,
    bare_app: App,
    fitted: Any,  # noqa: F811
    chromium: Any,
) -> None:
    path, meta = fitted
    # the model in force scores a little less than the one trained today will
    [first_model] = register(bare_app, fitted, [round(meta["chosen_macro_f1"] - 0.05, 4)])
    store = bare_app.store()
    reader = add_subscriber(store, "email", "reader@ki.se", filters={"tags": [LMIC]})
    add_feedback(store, portal[EDCTP], "down", bare_app.now(), via="digest",
                 subscriber_id=reader.id)  # fmt: skip
    add_feedback(store, portal[EDCTP], "wrong-tag", bare_app.now(), tag_id="eu-research-policy")
    with running(bare_app) as url:
        context = chromium.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB")
        page = context.new_page()
        page.set_default_timeout(15_000)
        try:
            page.goto(f"{url}/staff/sign-in?token={staff_link(bare_app, 'boss@ki.se', 'admin')}")
            page.get_by_role("button", name="Sign in").click()
            page.wait_for_url(f"{url}/staff")

            # the review queue, reached from the staff menu (a boosted link: the keys still work)
            page.locator("nav.staff").get_by_role("link", name="Review queue").click()
            page.wait_for_url(f"{url}/staff/review")
            page.wait_for_selector("#review-keys:not([hidden])")
            assert _shown(page) == portal[EDCTP]  # the reader's 👎 first
            assert "👎 Not useful" in page.locator("#review").inner_text()
            _check(page, "staff-review")
            labelled: dict[int, tuple[str, bool]] = {}
            for turn in range(5):
                call = _shown(page)
                tag = page.locator("#review [data-tag-row]").first.get_attribute("id")[4:]
                answer = turn % 2 == 0
                page.keyboard.press("1")  # the first tag: the one the queue asks about
                assert page.evaluate("document.activeElement.dataset.answer") == "yes"
                with page.expect_navigation():
                    page.keyboard.press("y" if answer else "n")
                page.wait_for_selector("p.thanks")
                assert f"your answer for {tag} is in force" in page.locator("p.thanks").inner_text()
                assert _shown(page) == call
                labelled[call] = (tag, answer)
                with page.expect_navigation():
                    page.keyboard.press("j")
                assert _shown(page) not in labelled
            stored = tag_store.labels(store)
            assert {c: stored[c] for c in labelled} == {c: {t: a} for c, (t, a) in labelled.items()}
            for call, (tag, answer) in labelled.items():  # in force at once
                assert (tag in tag_store.call_tags(store, [call]).get(call, {})) == answer

            # Tab and Enter alone: from the top of the page to the first Yes
            call = _shown(page)
            page.locator("body").focus()
            for _ in range(80):
                page.keyboard.press("Tab")
                if page.evaluate("document.activeElement.dataset.answer") == "yes":
                    break
            tag = page.evaluate("document.activeElement.form.elements.tag.value")
            with page.expect_navigation():
                page.keyboard.press("Enter")
            assert tag_store.labels(store)[call] == {tag: True}

            # readers' feedback: accept the wrong tag
            page.get_by_role("link", name="Readers' feedback to accept or reject").click()
            page.wait_for_url(f"{url}/staff/review/feedback")
            _check(page, "staff-feedback")
            wrong = next(f for f in list_feedback(store) if f.kind == "wrong-tag")
            page.get_by_role("button", name=re.compile(f"Accept feedback {wrong.id} ")).click()
            page.wait_for_selector("text=The feedback was accepted")
            assert tag_store.labels(store)[portal[EDCTP]]["eu-research-policy"] is False
            _check(page)

            # the model: train now, the progress shown without reloading
            page.locator("nav.staff").get_by_role("link", name="Model").click()
            page.wait_for_url(f"{url}/staff/model")
            assert len(_rows(page, "history")) == 1
            side_before = page.locator("#side-by-side thead th").count()
            _check(page)
            page.get_by_role("button", name="Train a new model").click()
            page.wait_for_selector("#training progress")  # polled every second
            page.wait_for_selector("text=was trained on", timeout=180_000)
            page.wait_for_selector("#history")
            history = _rows(page, "history")
            assert len(history) == 2  # the history changed
            new = max(m.id for m in model_cases.models(bare_app))
            assert history[0].startswith(f"Model {new}") and "active" in history[0]
            assert page.locator("#side-by-side thead th").count() == side_before + 1
            active = page.locator("#active-figures").inner_text()
            assert page.locator("text=Model " + str(new) + ", trained").count() == 1
            assert "Precision" in active and "Support" in active
            assert page.locator("svg.f1-plot circle").count() == 2 * page.locator(
                "svg.f1-plot polyline"
            ).count()  # fmt: skip
            _check(page, "staff-model")

            # roll back: the model before scores worse, so a second, explicit step
            page.get_by_role("button", name="Roll back to the previous model").click()
            page.wait_for_selector("h1:has-text('This model scores worse')")
            _check(page, "staff-model-confirm")
            assert next(m.id for m in model_cases.models(bare_app) if m.active) == new
            page.get_by_role("button", name=f"Activate model {first_model} anyway").click()
            page.wait_for_selector(f"text=Rolled back: model {first_model} is active again")
            assert next(m.id for m in model_cases.models(bare_app) if m.active) == first_model
            assert "active" in _rows(page, "history")[1]
            _check(page)
        finally:
            context.close()
