"""Every staff route the application serves, found from its routes (so a page added later is
covered without a line here): a signed-out visitor and a researcher get 403 on each, GET and
POST (a POST with a valid CSRF token, so that it is the role that refuses it); a curator gets
403 on each admin route and passes the role check on the others."""

from __future__ import annotations

import re
from typing import Any

import pytest

from monitor.web.app import create_app
from monitor.web.staff import access
from tests.web.conftest import csrf_of, sign_in_staff

OPEN = {"/staff/sign-in", "/staff/sign-out", "/staff/sign-out-everywhere"}  # ways in and out


def _needs(dependant: Any) -> set[str]:
    """The roles a route's dependencies ask for."""
    found = set()
    for dep in dependant.dependencies:
        if dep.call is access.admin:
            found.add("admin")
        elif dep.call is access.curator:
            found.add("curator")
        found |= _needs(dep)
    return found


def _flat(routes: list[Any]) -> list[Any]:
    """The routes, those of included routers too (FastAPI keeps those in their router)."""
    found = []
    for route in routes:
        inner = getattr(route, "original_router", None)
        found += _flat(inner.routes) if inner is not None else [route]
    return found


def staff_routes(app: Any) -> list[tuple[str, str, set[str]]]:
    """(method, path with its parameters filled, roles needed) of every staff route."""
    routes = []
    for route in _flat(create_app(app).routes):
        path = getattr(route, "path", "")
        if not (path.startswith("/staff") or path.startswith("/api/v1/staff")) or path in OPEN:
            continue
        filled = re.sub(r"\{[^}]+\}", "1", path)
        for method in sorted(getattr(route, "methods", set()) - {"HEAD"}):
            routes.append((method, filled, _needs(route.dependant)))
    return routes


def _ask(client: Any, method: str, path: str, token: str) -> Any:
    if method == "GET":
        return client.get(path, follow_redirects=False)
    return client.request(method, path, data={"csrf_token": token}, follow_redirects=False)


def test_every_staff_route_asks_for_a_role(bare_app):
    routes = staff_routes(bare_app)
    assert len(routes) >= 5  # the overview, users (3) and audit at least
    unguarded = [(m, p) for m, p, needs in routes if not needs]
    assert unguarded == [], "staff routes that ask for no role"


@pytest.mark.parametrize("who", ["signed out", "researcher"])
def test_anyone_not_staff_gets_403_on_every_staff_route(client, bare_app, subscriber, who, store):
    if who == "researcher":
        from monitor.digests.tokens import PAGES_SALT, token_for
        from monitor.store.subscribers import get_subscriber

        row = get_subscriber(store, subscriber[0])
        client.get(f"/preferences?token={token_for(bare_app.settings, row, PAGES_SALT)}")
    token = csrf_of(client.get("/staff/sign-in").text)
    refused = {(m, p): _ask(client, m, p, token).status_code
               for m, p, _ in staff_routes(bare_app)}  # fmt: skip
    assert {k: v for k, v in refused.items() if v != 403} == {}


def test_a_curator_gets_403_on_every_admin_route_and_not_on_the_others(client, bare_app):
    sign_in_staff(client, bare_app, "cura@ki.se", "curator")
    token = csrf_of(client.get("/staff").text)
    for method, path, needs in staff_routes(bare_app):
        answer = _ask(client, method, path, token)
        if "admin" in needs:
            assert answer.status_code == 403, (method, path)
            assert "for admins" in answer.text or path.startswith("/api/")
        else:
            assert answer.status_code != 403 or "for admins" not in answer.text, (method, path)
