"""`init` and `db upgrade|current|backup|copy`."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING, Any

from monitor.cli.parser import verbs

if TYPE_CHECKING:
    from monitor.app.context import App


def register(commands: Any) -> None:
    commands.add_parser("init", help="create or migrate the database").set_defaults(run=upgrade)
    db = verbs(commands.add_parser("db", help="the database: schema, backup, copy to another"),
               "db_command")  # fmt: skip
    db.add_parser("upgrade", help="migrate the database to the newest schema").set_defaults(
        run=upgrade)  # fmt: skip
    db.add_parser("current", help="show the schema revision").set_defaults(run=current)
    backup = db.add_parser("backup", help="copy the SQLite file, safely while it is in use")
    backup.add_argument("file", help="the new backup file")
    backup.set_defaults(run=back_up)
    copy = db.add_parser("copy", help="copy every row into another, empty database "
                         "(from SQLite to PostgreSQL)")  # fmt: skip
    copy.add_argument("--to", required=True, metavar="URL", help="the target's database URL")
    copy.set_defaults(run=copy_to)


def upgrade(args: argparse.Namespace, app: App) -> int:
    from monitor.app import database

    done = database.upgrade(app)
    state = "created/migrated" if done.changed else "up to date"
    print(f"database {done.url}: {state} (revision {done.current})")
    return 0


def current(args: argparse.Namespace, app: App) -> int:
    from monitor.app import database

    found = database.revision(app)
    print(f"current {found.current or '(empty database)'}; head {found.head}")
    return 0


def back_up(args: argparse.Namespace, app: App) -> int:
    from monitor.app import database

    url, size = database.backup(app, Path(args.file))
    print(f"backed up {url} to {args.file} ({size:,} bytes)")
    return 0


def copy_to(args: argparse.Namespace, app: App) -> int:
    from monitor.app import database

    source, target, counts = database.copy(app, args.to)
    print(f"copied {sum(counts.values()):,} rows from {source} to {target}: "
          + ", ".join(f"{name} {n:,}" for name, n in counts.items() if n))  # fmt: skip
    return 0
