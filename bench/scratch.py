"""A PostgreSQL database of the benchmark's own: created on the server, dropped afterwards."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def pg_database(admin_url: str) -> Iterator[str]:
    """Yield the SQLAlchemy URL of a new, empty database on the server of ``admin_url``
    (a libpq URL with rights to create databases); drop it on the way out."""
    import psycopg

    name = f"fm_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        base = admin_url.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://")
        yield f"{base}/{name}"
    finally:
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
