"""What every answer of the web face carries (errors and crashes included), HSTS and Secure
cookies only under https, CSRF on POST forms, bounded request bodies, escaped input and no
inline script or style anywhere."""

from __future__ import annotations

import re
import socket
from pathlib import Path

import httpx
import pytest
from starlette.testclient import TestClient

from monitor.store.subscribers import get_subscriber
from monitor.web import security
from monitor.web.app import HERE, create_app

POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; manifest-src 'self'; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
)
ALWAYS = {
    "content-security-policy": POLICY,
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "x-frame-options": "DENY",
}


def _crashing(bare_app):
    """The web face with one more route, which raises."""
    web = create_app(bare_app)

    async def boom() -> None:
        raise RuntimeError("a bug")

    web.add_api_route("/boom", boom)
    return web


def test_every_answer_has_the_headers_errors_and_crashes_included(bare_app, caplog) -> None:
    with TestClient(_crashing(bare_app), raise_server_exceptions=False) as client:
        answers = {
            "page": client.get("/unsubscribe", params={"token": "t"}),
            "404": client.get("/no/such/page"),
            "405": client.put("/unsubscribe"),
            "500": client.get("/boom", headers={"accept-language": "sv"}),
            "static": client.get("/static/style.css"),
            "schema": client.get("/api/openapi.json"),
        }
    assert {k: a.status_code for k, a in answers.items()} == {
        "page": 200, "404": 404, "405": 405, "500": 500, "static": 200, "schema": 200}  # fmt: skip
    for name, answer in answers.items():
        assert {k: answer.headers.get(k) for k in ALWAYS} == ALWAYS, name
        assert "strict-transport-security" not in answer.headers, name  # plain http
    assert "Något gick fel hos oss" in answers["500"].text  # the page, in the reader's language
    assert 'lang="sv"' in answers["500"].text and "a bug" not in answers["500"].text
    assert [r.getMessage() for r in caplog.records if r.exc_info] == [
        "page failed method=GET path=/boom"]  # logged once, with its traceback  # fmt: skip
    for name in ("page", "404", "405", "500"):  # pages are never stored by a cache
        assert answers[name].headers["cache-control"] == "no-store", name
    assert answers["static"].headers.get("cache-control") != "no-store"
    assert "GET" in answers["405"].headers["allow"] and "Open the page" in answers["405"].text


def test_hsts_and_secure_cookies_only_under_https(bare_app) -> None:
    web = create_app(bare_app)
    with TestClient(web, base_url="http://testserver") as plain:
        answer = plain.get("/unsubscribe", params={"token": "t", "lang": "sv"})
    assert "strict-transport-security" not in answer.headers
    cookies = answer.headers.get_list("set-cookie")
    assert sorted(c.split("=")[0] for c in cookies) == ["csrf", "lang"]
    for cookie in cookies:
        assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Secure" not in cookie
    with TestClient(web, base_url="https://testserver") as tls:
        answer = tls.get("/unsubscribe", params={"token": "t", "lang": "sv"})
    assert answer.headers["strict-transport-security"].startswith("max-age=31536000")
    cookies = answer.headers.get_list("set-cookie")
    assert sorted(c.split("=")[0] for c in cookies) == ["__Host-csrf", "lang"]
    assert all("Secure" in c and "Path=/" in c for c in cookies)
    # behind a proxy that ends TLS: a https PUBLIC_URL is enough
    proxied = bare_app.settings.model_copy(update={"public_url": "https://monitor.example.org"})
    bare_app.settings = proxied
    with TestClient(create_app(bare_app), base_url="http://testserver") as behind:
        answer = behind.get("/unsubscribe", params={"token": "t"})
    assert "strict-transport-security" in answer.headers
    assert all("Secure" in c for c in answer.headers.get_list("set-cookie"))


def test_under_https_a_token_planted_by_a_sibling_site_is_refused(bare_app, subscriber, store):
    """A *.ki.se neighbour can set a ``csrf`` cookie for the whole domain, never a
    ``__Host-`` one: under https only the latter counts."""
    number, token = subscriber
    with TestClient(create_app(bare_app), base_url="https://testserver") as tls:
        planted = "p" * 43
        tls.cookies.set("csrf", planted)
        forged = tls.post("/unsubscribe", params={"token": token}, data={"csrf_token": planted})
        assert forged.status_code == 403 and get_subscriber(store, number).active
        real = _form_token(tls.get("/unsubscribe", params={"token": token}).text)
        assert real != planted and tls.cookies["__Host-csrf"] == real
        done = tls.post("/unsubscribe", params={"token": token}, data={"csrf_token": real})
    assert done.status_code == 200 and not get_subscriber(store, number).active


def _form_token(page: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert found, "the form carries no CSRF token"
    return found.group(1)


def test_a_forged_post_changes_nothing_and_the_real_form_works(client, subscriber, store):
    number, token = subscriber
    forged = client.post("/unsubscribe", params={"token": token},
                         data={"csrf_token": "x" * 43})  # fmt: skip
    assert forged.status_code == 403 and "did not come from this site" in forged.text
    assert get_subscriber(store, number).active
    page = client.get("/unsubscribe", params={"token": token})
    assert get_subscriber(store, number).active  # the GET changed nothing either
    real = _form_token(page.text)
    assert client.cookies["csrf"] == real  # double submit: the cookie and the field agree
    client.cookies.clear()  # a form without its cookie (another site's copy) is refused too
    assert client.post("/unsubscribe", params={"token": token},
                       data={"csrf_token": real}).status_code == 403  # fmt: skip
    assert get_subscriber(store, number).active
    client.cookies.set("csrf", real)
    done = client.post("/unsubscribe", params={"token": token}, data={"csrf_token": real})
    assert done.status_code == 200 and "You are unsubscribed" in done.text
    assert not get_subscriber(store, number).active


def test_a_body_too_large_is_refused_with_a_page(client, subscriber, store) -> None:
    number, token = subscriber
    big = b"List-Unsubscribe=One-Click&pad=" + b"x" * security.MAX_BODY
    form = {"content-type": "application/x-www-form-urlencoded"}
    for headers in (form, {**form, "transfer-encoding": "chunked"}):
        answer = client.post("/unsubscribe", params={"token": token}, content=big,
                             headers=headers)  # fmt: skip
        assert answer.status_code == 413 and "too large for this form" in answer.text
    assert get_subscriber(store, number).active


def test_a_body_that_trickles_is_cut_off_with_a_page(bare_live, subscriber, store, monkeypatch):
    monkeypatch.setattr(security, "BODY_TIMEOUT", 0.5)
    number, token = subscriber
    host, port = bare_live.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=20) as conn:
        conn.sendall(f"POST /unsubscribe?token={token} HTTP/1.1\r\nHost: x\r\n"
                     "Content-Type: application/x-www-form-urlencoded\r\n"
                     "Content-Length: 26\r\n\r\nList-Unsub".encode())  # fmt: skip
        answer = b""
        while chunk := conn.recv(65536):
            answer += chunk
            if b"</html>" in answer:
                break
    assert answer.startswith(b"HTTP/1.1 408") and b"took too long to arrive" in answer
    assert get_subscriber(store, number).active


def test_what_a_visitor_sends_is_escaped(client) -> None:
    token = '"><script>alert(1)</script><img src=x onerror=alert(2)>'
    page = client.get("/unsubscribe", params={"token": token}).text
    assert "<script>alert" not in page and "<img src=x" not in page
    assert "%22%3E%3Cscript%3E" in page  # the token, quoted, in the form's address
    assert "<script>alert" not in client.get("/<script>alert(1)</script>").text


def test_no_page_has_inline_script_or_style_and_nothing_comes_from_elsewhere() -> None:
    for template in sorted((HERE / "templates").glob("*.html")):
        text = template.read_text(encoding="utf-8")
        for script in re.findall(r"<script\b[^>]*>", text):
            assert re.search(r'\bsrc="/static/', script), (template.name, script)
        assert "<style" not in text and not re.search(r"\sstyle=", text), template.name
        assert not re.search(r"\son[a-z]+=", text), template.name  # no inline handlers
        assert not re.search(r'(src|href)="(https?:)?//', text), template.name  # no CDN


@pytest.mark.parametrize("path", ["htmx.min.js", "style.css"])
def test_the_static_files_ship_in_the_package(bare_live, path) -> None:
    shipped = (HERE / "static" / path).read_bytes()
    answer = httpx.get(f"{bare_live}/static/{path}", timeout=10)
    assert answer.status_code == 200 and answer.content == shipped
    assert Path(HERE / "static" / "README.md").read_text().count("htmx") >= 1
