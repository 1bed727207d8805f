"""A researcher chooses Slack on their preferences page: their own incoming webhook (on a
loopback server posing as Slack), checked by a message posted there before anything is
saved; their digests then go there instead of to their email, the Slack digest's links lead
back to their own pages, and choosing email again turns Slack off. The webhook's secret path
never shows on a page or in the log."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterator

import pytest

from monitor.app.context import App
from monitor.config import load_settings
from monitor.digests.tokens import PAGES_SALT, token_for
from monitor.store import subscribers as subscriber_store
from monitor.store.db import open_store
from monitor.web import server
from monitor.web.app import create_app
from tests.httpserver import Reply, scripted_server
from tests.monitor.test_digests import AS_OF
from tests.web.conftest import axe_problems, csrf_of, shoot

SECRET_PATH = "/services/T0AAA/B0BBB/s3cr3tpart"
ADDRESS = "sara@ki.se"


@pytest.fixture
def hook(monkeypatch) -> Iterator[object]:
    """A loopback server posing as Slack's incoming webhooks; the web face may post there."""
    with scripted_server() as fake:
        fake.add("POST", SECRET_PATH, Reply(200, b"ok", {}))
        fake.add("POST", "/services/T0AAA/B0BBB/revoked", Reply(404, b"no_service", {}))
        monkeypatch.setenv("FUNDING_MONITOR_SLACK_WEBHOOK_HOSTS", "127.0.0.1")
        yield fake


@pytest.fixture
def site(db_url, portal, hook, monkeypatch) -> Iterator[str]:
    monkeypatch.setenv("FUNDING_MONITOR_DATABASE_URL", db_url)
    monkeypatch.setenv("FUNDING_MONITOR_SECRET_KEY", "test-secret-key-1234")
    monkeypatch.setenv("FUNDING_MONITOR_PUBLIC_URL", "")
    with server.running(server.build(create_app(App(load_settings(None))))) as url:
        monkeypatch.setenv("FUNDING_MONITOR_PUBLIC_URL", url)  # the digests' links lead here
        yield url


def _signed_in(db_url: str, site: str) -> tuple[int, str]:
    store = open_store(db_url)
    row = subscriber_store.add_subscriber(store, "email", ADDRESS,
                                          filters={"tags": ["global-actor"]})  # fmt: skip
    token = token_for(load_settings(None), row, PAGES_SALT)
    return row.id or 0, f"{site}/preferences?token={token}"


def test_choosing_slack_checks_the_webhook_then_digests_go_there(
    site, hook, db_url, cli, browser_page, caplog
):
    caplog.set_level(logging.INFO)  # slack_sdk's DEBUG lines are silenced where the app runs
    subscriber_id, link = _signed_in(db_url, site)
    page = browser_page
    page.goto(link)
    page.get_by_label("In Slack, through an incoming webhook").check()
    page.get_by_label("Slack incoming-webhook address").fill(hook.url + SECRET_PATH)
    page.get_by_role("button", name="Save my preferences").click()
    page.wait_for_url(re.compile(r"/preferences\?saved=1"))
    [check] = hook.requests  # the message that proved the webhook works, before saving
    assert "funding-monitor is connected" in json.loads(check["body"])["text"]
    assert page.get_by_label("In Slack, through an incoming webhook").is_checked()
    assert "Now posting to http://127.0.0.1/…" in page.locator("main").inner_text()
    assert "s3cr3t" not in page.content()
    assert axe_problems(page) == []
    shoot(page, "preferences-slack")

    store = open_store(db_url)
    email = subscriber_store.get_subscriber(store, subscriber_id)
    [slack] = subscriber_store.owned(store, subscriber_id)
    assert (email.active, slack.active, slack.kind) == (False, True, "slack-webhook")
    assert slack.filters == email.filters == {"tags": ["global-actor"]}

    code, out, err = cli("digest", "send", "--as-of", AS_OF)
    assert code == 0 and "sent 1 deliveries" in out, err
    digest = json.loads(hook.requests[-1]["body"])
    assert digest["blocks"][0]["type"] == "header"
    links = re.findall(r"<(http[^|>]+)\|", json.dumps(digest["blocks"]))
    preferences = next(u for u in links if "/preferences?token=" in u)
    page.context.clear_cookies()
    page.goto(preferences.replace("&amp;", "&"))  # the Slack digest's link: her own page
    page.wait_for_url(re.compile(r"/preferences$"))
    assert ADDRESS in page.locator("main").inner_text()
    page.goto(site + "/digests")
    assert page.locator("main tbody tr").count() == 1  # the Slack digest
    page.locator("main tbody a").click()  # its web copy
    assert page.locator("h1, h2").first.is_visible()

    page.goto(site + "/preferences")
    page.get_by_label(f"By email, to {ADDRESS}").check()
    page.get_by_role("button", name="Save my preferences").click()
    page.wait_for_url(re.compile(r"/preferences\?saved=1"))
    email = subscriber_store.get_subscriber(store, subscriber_id)
    [slack] = subscriber_store.owned(store, subscriber_id)
    assert (email.active, slack.active) == (True, False)
    assert "s3cr3t" not in caplog.text


def test_a_webhook_that_is_not_slack_or_refuses_saves_nothing(site, hook, db_url, client_for):
    subscriber_id, link = _signed_in(db_url, site)
    client = client_for(link)
    store = open_store(db_url)
    cases = [
        ("https://evil.example/services/T0/B0/xyz", "is not a Slack incoming-webhook address"),
        (hook.url + "/services/T0AAA/B0BBB/revoked", "Slack did not take a message"),
        ("", "paste the address of a Slack incoming webhook"),
        ("not a url", "must be an https:// URL"),
    ]
    for url, said in cases:
        form = client.get("/preferences")
        answer = client.post("/preferences", data={
            "csrf_token": csrf_of(form.text), "tags": ["global-actor"], "frequency": "weekly",
            "language": "en", "via": "slack", "webhook": url,
        })  # fmt: skip
        assert answer.status_code == 400, url
        assert said in answer.text, url
        assert 'aria-invalid="true"' in answer.text or not url
        assert "revoked" not in answer.text and "xyz" not in answer.text
    assert subscriber_store.owned(store, subscriber_id) == []
    assert subscriber_store.get_subscriber(store, subscriber_id).active


def test_unsubscribing_from_the_preferences_page_stops_slack_too(site, hook, db_url, client_for):
    subscriber_id, link = _signed_in(db_url, site)
    client = client_for(link)
    form = client.get("/preferences")
    saved = client.post("/preferences", data={
        "csrf_token": csrf_of(form.text), "frequency": "weekly", "language": "sv",
        "via": "slack", "webhook": hook.url + SECRET_PATH,
    })  # fmt: skip
    assert saved.status_code == 200
    store = open_store(db_url)
    [slack] = subscriber_store.owned(store, subscriber_id)
    assert slack.active and slack.language == "sv"
    assert "funding-monitor är anslutet" in json.loads(hook.requests[-1]["body"])["text"]
    form = client.get("/preferences")
    client.post("/preferences/unsubscribe", data={"csrf_token": csrf_of(form.text)})
    [slack] = subscriber_store.owned(store, subscriber_id)
    assert not slack.active
    assert not subscriber_store.get_subscriber(store, subscriber_id).active


@pytest.fixture
def client_for(site) -> Iterator[object]:
    """An httpx client of the live site, signed in by a digest's preferences link."""
    import httpx

    made = []

    def sign_in(link: str) -> httpx.Client:
        client = httpx.Client(base_url=site, follow_redirects=True, timeout=30)
        made.append(client)
        assert client.get(link).status_code == 200
        return client

    yield sign_in
    for client in made:
        client.close()
