"""The unsubscribe page as a page of the web face: a GET asks and changes nothing, a POST (the
button, or a mail client's RFC 8058 one-click without any cookie) unsubscribes once; English or
Swedish by the switch (kept in a cookie) or Accept-Language; both databases."""

from __future__ import annotations

import re

import httpx

from monitor.store.subscribers import get_subscriber

ONE_CLICK = {"content": b"List-Unsubscribe=One-Click",
             "headers": {"Content-Type": "application/x-www-form-urlencoded"}}  # fmt: skip


def test_a_get_asks_and_changes_nothing(client, subscriber, store) -> None:
    number, token = subscriber
    for _ in range(3):  # a mail scanner may follow the link several times
        page = client.get("/unsubscribe", params={"token": token})
        assert page.status_code == 200
    assert '<form method="post" action="/unsubscribe?token=' in page.text
    assert "Opening this page changed nothing" in page.text
    assert get_subscriber(store, number).active


def test_a_mail_clients_one_click_post_needs_no_cookie_and_is_told_once(
    bare_live, subscriber, store
) -> None:
    number, token = subscriber
    url = f"{bare_live}/unsubscribe"
    first = httpx.post(url, params={"token": token}, timeout=10, **ONE_CLICK)
    assert first.status_code == 200 and "You are unsubscribed" in first.text
    assert not get_subscriber(store, number).active
    again = httpx.post(url, params={"token": token}, timeout=10, **ONE_CLICK)
    assert again.status_code == 200 and "already unsubscribed" in again.text


def test_a_link_cut_short_is_a_400_that_says_what_to_do(client, subscriber, store) -> None:
    number, token = subscriber
    bad = client.post("/unsubscribe", params={"token": token[:-4]}, **ONE_CLICK)
    assert bad.status_code == 400 and "link is not valid" in bad.text
    assert "latest digest" in bad.text and token[:-4] not in bad.text.split("<main")[1]
    sv = client.post("/unsubscribe", params={"token": token[:-4], "lang": "sv"}, **ONE_CLICK)
    assert sv.status_code == 400 and "Avregistreringslänken är inte giltig" in sv.text
    none = client.get("/unsubscribe", headers={"accept-language": "en"})
    assert none.status_code == 400 and "?token=" in none.text
    assert get_subscriber(store, number).active


def test_the_language_comes_from_the_browser_then_the_switch_which_is_kept(client) -> None:
    def lang_of(answer: httpx.Response) -> str:
        found = re.search(r'<html lang="(\w+)">', answer.text)
        assert found
        return found.group(1)

    asked = {"token": "t"}
    assert lang_of(client.get("/unsubscribe", params=asked)) == "en"  # nothing said: English
    for header, expected in [("sv-SE,sv;q=0.9,en;q=0.8", "sv"), ("en;q=0.5, sv;q=0.9", "sv"),
                             ("de-DE, fr;q=0.9", "en"), ("en-GB", "en")]:  # fmt: skip
        page = client.get("/unsubscribe", params=asked, headers={"accept-language": header})
        assert lang_of(page) == expected, header
        assert page.headers["content-language"] == expected
    swedish = client.get("/unsubscribe", params=asked, headers={"accept-language": "sv"})
    assert "Avsluta prenumerationen</button>" in swedish.text  # the digests' own word
    switch = re.search(r'<a href="([^"]+)"[^>]*hreflang="en"', swedish.text)
    assert switch and "token=t" in switch.group(1) and "lang=en" in switch.group(1)
    # the switch wins over the browser, and is kept for the next pages
    client.get(switch.group(1).replace("&amp;", "&"), headers={"accept-language": "sv"})
    kept = client.get("/unsubscribe", params=asked, headers={"accept-language": "sv"})
    assert lang_of(kept) == "en" and '<button type="submit">Unsubscribe</button>' in kept.text
    client.get("/unsubscribe", params={**asked, "lang": "sv"})
    assert lang_of(client.get("/no/such/page")) == "sv"  # the error pages too
    assert lang_of(client.get("/unsubscribe", params={**asked, "lang": "xx"})) == "sv"
