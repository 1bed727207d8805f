"""Staff pages behind roles: signing in by a single-use link (the email arrives at aiosmtpd),
403 for researchers and anyone signed out, 403 for a curator on admin pages, the sign-in page
for an expired or ended session, CSRF on every form, and the audit log of staff changes."""

from __future__ import annotations

import re
import time

import pytest
from itsdangerous import TimestampSigner

from monitor.app import audit, staff
from monitor.web.staff import access
from tests.monitor.conftest import box  # noqa: F401  (the loopback SMTP server)
from tests.web.conftest import SECRET, csrf_of, sign_in_staff

STAFF_PAGES = ("/staff", "/staff/audit", "/staff/users")
ADMIN_PAGES = ("/staff/audit", "/staff/users")


def test_signed_out_visitors_and_researchers_get_403_on_every_staff_page(
    client, subscriber, bare_app, store
):
    from monitor.digests.tokens import PAGES_SALT, token_for
    from monitor.store.subscribers import get_subscriber

    for path in STAFF_PAGES:
        answer = client.get(path)
        assert answer.status_code == 403, path
        assert 'href="/staff/sign-in"' in answer.text  # the way in is offered
    # a researcher's own session (their preferences) opens no staff page
    row = get_subscriber(store, subscriber[0])
    client.get(f"/preferences?token={token_for(bare_app.settings, row, PAGES_SALT)}")
    assert "session" in client.cookies
    assert all(client.get(p).status_code == 403 for p in STAFF_PAGES)
    assert client.post("/staff/users", data={"address": "x@ki.se"}).status_code == 403


def test_a_curator_gets_403_on_admin_pages_and_sees_no_admin_links(curator_client):
    home = curator_client.get("/staff")
    assert home.status_code == 200
    assert "cura@ki.se" in home.text
    assert 'href="/staff/audit"' not in home.text
    for path in ADMIN_PAGES:
        answer = curator_client.get(path)
        assert answer.status_code == 403, path
        assert "for admins" in answer.text


def test_an_admin_opens_every_staff_page(admin_client):
    for path in STAFF_PAGES:
        assert admin_client.get(path).status_code == 200, path


def test_sign_in_by_email_link_is_single_use_and_the_same_answer_for_anyone(
    box,  # noqa: F811
    db_url,
    monkeypatch,
):
    from starlette.testclient import TestClient

    from monitor.app.context import App
    from monitor.config import load_settings
    from monitor.web.app import create_app

    monkeypatch.setenv("FUNDING_MONITOR_DATABASE_URL", db_url)
    app = App(load_settings(None))
    staff.add(app, "cura@ki.se", "curator")
    with TestClient(create_app(app), base_url="https://testserver") as client:  # PUBLIC_URL's
        form = client.get("/staff/sign-in")
        answers = []
        for address in ("Cura@KI.se", "stranger@ki.se"):
            answer = client.post(
                "/staff/sign-in", data={"csrf_token": csrf_of(form.text), "address": address}
            )
            answers.append((answer.status_code, answer.text))
        assert answers[0] == answers[1]  # no one learns who is staff
        assert box.to("stranger@ki.se") == []
        [mail] = box.to("cura@ki.se")
        assert "staff pages" in mail["Subject"]
        text = mail.get_body(preferencelist=("plain",)).get_content()
        link = re.search(r"https://monitor\.ki\.se/staff/sign-in\?token=[\w-]+", text)
        assert link, text
        token = link.group().split("token=")[1]
        page = client.get(f"/staff/sign-in?token={token}")  # a GET spends nothing
        assert (
            page.status_code == 200
            and client.get(f"/staff/sign-in?token={token}").status_code == 200
        )
        assert client.get("/staff").status_code == 403
        used = client.post(
            "/staff/sign-in",
            data={"csrf_token": csrf_of(page.text), "token": token},
            follow_redirects=False,
        )
        assert used.status_code == 303 and used.headers["location"] == "/staff"
        cookie = used.headers["set-cookie"]
        assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Secure" in cookie
        assert client.get("/staff").status_code == 200
        again = client.post(
            "/staff/sign-in", data={"csrf_token": csrf_of(page.text), "token": token}
        )
        assert again.status_code == 410  # used once


def test_a_form_posted_without_its_csrf_token_is_refused(admin_client, bare_app):
    answer = admin_client.post("/staff/users", data={"address": "new@ki.se", "role": "admin"})
    assert answer.status_code == 403
    assert "did not come from this site" in answer.text
    assert [u.address for u in staff.everyone(bare_app)] == ["boss@ki.se"]


def _cookie_signed_at(user_id: int, nonce: str, at: float) -> str:
    class Then(TimestampSigner):
        def get_timestamp(self) -> int:
            return int(at)

    return Then(SECRET, salt=access.SALT).sign(f"{user_id}.{nonce}").decode()


def test_an_expired_session_is_sent_to_sign_in(client, bare_app):
    sign_in_staff(client, bare_app, "boss@ki.se", "admin")
    [user] = staff.everyone(bare_app)
    client.cookies.set(
        access.COOKIE, _cookie_signed_at(user.id, user.nonce, time.time() - access.MAX_AGE - 60)
    )
    answer = client.get("/staff/audit", follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"] == "/staff/sign-in?expired=1&next=/staff/audit"
    page = client.get(answer.headers["location"])
    assert "Your session ended" in page.text
    assert 'name="next" value="/staff/audit"' in page.text


@pytest.mark.parametrize("next_path", ["https://evil.example/", "//evil.example", "/preferences"])
def test_signing_in_never_leads_off_the_staff_pages(client, bare_app, next_path):
    from tests.web.conftest import staff_link

    token = staff_link(bare_app, "boss@ki.se", "admin")
    page = client.get(f"/staff/sign-in?token={token}&next={next_path}")
    done = client.post(
        "/staff/sign-in",
        data={"csrf_token": csrf_of(page.text), "token": token, "next": next_path},
        follow_redirects=False,
    )
    assert done.headers["location"] == "/staff"


def test_sign_out_everywhere_and_removing_a_role_end_sessions(client, bare_app):
    from starlette.testclient import TestClient

    from monitor.web.app import create_app

    sign_in_staff(client, bare_app, "boss@ki.se", "admin")
    with TestClient(create_app(bare_app)) as other:
        sign_in_staff(other, bare_app, "boss@ki.se", "admin")
        home = other.get("/staff")
        other.post("/staff/sign-out-everywhere", data={"csrf_token": csrf_of(home.text)})
        assert other.get("/staff", follow_redirects=False).status_code in (303, 403)
    assert client.get("/staff", follow_redirects=False).status_code == 303  # ended here too
    sign_in_staff(client, bare_app, "boss@ki.se", "admin")
    with TestClient(create_app(bare_app)) as curator:
        sign_in_staff(curator, bare_app, "cura@ki.se", "curator")
        users = client.get("/staff/users")
        client.post(
            "/staff/users/remove", data={"csrf_token": csrf_of(users.text), "address": "cura@ki.se"}
        )
        assert curator.get("/staff", follow_redirects=False).status_code == 303


def test_staff_changes_on_pages_and_commands_are_in_the_audit_log(admin_client, bare_app, cli):
    users = admin_client.get("/staff/users")
    saved = admin_client.post(
        "/staff/users",
        data={"csrf_token": csrf_of(users.text), "address": "Cura@KI.se", "role": "curator"},
    )
    assert "cura@ki.se is now curator" in saved.text
    code, out, err = cli("users", "add", "cura@ki.se", "--role", "admin")
    assert code == 0, err
    events = audit.events(bare_app)
    assert [(e.action, e.target, e.before, e.after) for e in events[:2]] == [
        ("user.role", "user cura@ki.se", {"role": "curator"}, {"role": "admin"}),
        ("user.add", "user cura@ki.se", {}, {"role": "curator"}),
    ]
    assert events[0].actor.startswith("cli:") and events[1].actor == "boss@ki.se"
    page = admin_client.get("/staff/audit?action=user")
    assert page.text.count("<code>user.") == 2  # the fixture gave boss@ki.se a role, unaudited
    assert "curator → admin" in page.text
    code, out, _ = cli("audit", "--action", "user.role")
    assert code == 0 and "role: curator → admin" in out and "user.add" not in out


def test_a_change_with_no_one_acting_is_not_audited(bare_app):
    staff.add(bare_app, "x@ki.se", "curator")  # no face said who acts: not a staff change
    assert audit.events(bare_app) == []
    with audit.acting("someone@ki.se"):
        staff.add(bare_app, "y@ki.se", "curator")
    assert [e.actor for e in audit.events(bare_app)] == ["someone@ki.se"]


def test_audit_values_are_blanked_of_secrets(bare_app):
    with audit.acting("boss@ki.se"):
        audit.record(
            bare_app,
            "subscriber.edit",
            "subscriber 1",
            {},
            {"address": "https://hooks.slack.com/services/T0/B0/secretpart"},
        )
    [event] = audit.events(bare_app)
    assert "secretpart" not in str(event.after)


def test_users_commands(cli):
    assert cli("users", "add", "boss@ki.se", "--role", "admin")[0] == 0
    code, out, _ = cli("users", "list")
    assert code == 0 and "boss@ki.se" in out and "admin" in out
    code, _, err = cli("users", "add", "not-an-address", "--role", "admin")
    assert code == 2 and "not-an-address" in err
    assert cli("users", "remove", "boss@ki.se")[0] == 0
    code, _, err = cli("users", "remove", "boss@ki.se")
    assert code == 2 and "is not a member of staff" in err
