"""`users add|list|remove` (who may use the staff pages) and `audit` (what staff changed)."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from monitor.cli.parser import verbs

if TYPE_CHECKING:
    from monitor.app.context import App


def register(commands: Any) -> None:
    group = verbs(commands.add_parser("users", help="staff who sign in to the staff pages"),
                  "users_command")  # fmt: skip
    add = group.add_parser("add", help="give an address a role (or a new role)")
    add.add_argument("address", help="the address they sign in with")
    add.add_argument("--role", required=True, choices=["curator", "admin"],
                     help="curator: sources, deliveries, notices, calls by hand; "
                     "admin: everything")  # fmt: skip
    add.set_defaults(run=add_user)
    listing = group.add_parser("list", help="every member of staff")
    listing.add_argument("--json", action="store_true")
    listing.set_defaults(run=list_users)
    remove = group.add_parser("remove", help="take an address's role away (its sessions end)")
    remove.add_argument("address")
    remove.set_defaults(run=remove_user)
    log = commands.add_parser("audit", help="what staff changed: who, when, before → after")
    log.add_argument("--actor", help="only this address (or cli:LOGIN)")
    log.add_argument("--action", help="only this action, or its first part (source, tag…)")
    log.add_argument("--limit", type=int, default=50, help="at most so many (default 50)")
    log.add_argument("--json", action="store_true")
    log.set_defaults(run=show_audit)


def add_user(args: argparse.Namespace, app: App) -> int:
    from monitor.app import staff

    row = staff.add(app, args.address, args.role)
    print(f"{row.address} is {row.role}")
    return 0


def list_users(args: argparse.Namespace, app: App) -> int:
    from monitor.app import staff
    from monitor.cli.output import print_json, stamp, table

    rows = staff.everyone(app)
    if args.json:
        print_json([{"address": r.address, "role": r.role, "created_at": r.created_at,
                     "last_seen_at": r.last_seen_at} for r in rows])  # fmt: skip
    elif not rows:
        print("no staff yet: add one with `funding-monitor users add ADDRESS --role admin`")
    else:
        print(table(("address", "role", "added", "last signed in"),
                    [(r.address, r.role, stamp(r.created_at), stamp(r.last_seen_at))
                     for r in rows]))  # fmt: skip
    return 0


def remove_user(args: argparse.Namespace, app: App) -> int:
    from monitor.app import staff

    row = staff.remove(app, args.address)
    print(f"{row.address} is no longer {row.role}")
    return 0


def show_audit(args: argparse.Namespace, app: App) -> int:
    from monitor.app import audit
    from monitor.cli.output import print_json, stamp, table

    found = audit.events(app, actor=args.actor, action=args.action, limit=args.limit)
    if args.json:
        print_json([vars(e) for e in found])
        return 0
    if not found:
        print("no changes recorded")
        return 0
    rows = [(stamp(e.at), e.actor, e.action, e.target, _change(e.before, e.after))
            for e in found]  # fmt: skip
    print(table(("when", "who", "action", "what", "before → after"), rows))
    return 0


def _change(before: dict[str, Any], after: dict[str, Any]) -> str:
    keys = list(dict.fromkeys([*before, *after]))
    return "; ".join(f"{k}: {before.get(k, '—')} → {after.get(k, '—')}" for k in keys)
