"""The staff pages, under ``/staff``: curators' (sources, calls entered by hand, deliveries,
the catalogue) and admins' (the review queue, tags, the model, linked calls, subscribers,
users, the audit log), behind roles (``access.py``) on the same use cases as the command line.

Each page module has a ``router`` and is listed in ``monitor.web.pages.PAGES``, its entries in
the staff menu in ``pages.STAFF_LINKS`` (module, address, text key, the role it needs): a page
shows in the menu of those whose role allows it. Its routes take ``user: access.Curator`` or
``user: access.Admin`` (a ``monitor.app.staff.Member``), which also makes the signed-in address
the actor of the request's audit events. Texts: ``monitor/web/texts/staff.py`` (the frame's,
the sign-in's) and one file per role, ``texts/staff_curator.py`` and ``texts/staff_admin.py``;
templates in ``templates/staff/``, extending ``staff/base.html`` (its context needs ``user``,
the Member)."""

from __future__ import annotations

from typing import Any


def _allowed(user: Any) -> list[tuple[str, str, str]]:
    from monitor.app.staff import may
    from monitor.web.pages import PAGES, STAFF_LINKS

    role = getattr(user, "role", "")
    return [(href, key, needed) for module, href, key, needed in STAFF_LINKS
            if module in PAGES and role and may(role, needed)]  # fmt: skip


def menu(user: Any) -> list[tuple[str, str]]:
    """The menu of ``user``: (address, text key) of every page their role opens. (Not named
    ``links``: that is the linked-calls page's module, ``monitor.web.staff.links``.)"""
    return [(href, key) for href, key, _ in _allowed(user)]


def groups(user: Any) -> list[tuple[str, list[tuple[str, str]]]]:
    """The same, by the role that needs them: [("curator", […]), ("admin", […])]."""
    found = _allowed(user)
    return [(role, [(h, k) for h, k, n in found if n == role]) for role in ("curator", "admin")
            if any(n == role for *_, n in found)]  # fmt: skip


def change_keys(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    """The fields an audit event changed, each once, in order."""
    return list(dict.fromkeys([*before, *after]))
