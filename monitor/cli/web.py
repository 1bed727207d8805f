"""`web`: serve the web face (search, call pages, the JSON API) with uvicorn."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from monitor.cli import arguments

if TYPE_CHECKING:
    from monitor.app.context import App


def register(commands: Any) -> None:
    web = commands.add_parser(
        "web", help="serve the web face: search, call pages, JSON API",
        description="Serve the web face until Ctrl-C or SIGTERM. Behind a reverse proxy, set "
        "FUNDING_MONITOR_PUBLIC_URL to the public address (https makes cookies Secure and "
        "adds HSTS; X-Forwarded-* from 127.0.0.1 are trusted).",
    )  # fmt: skip
    web.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    web.add_argument("--port", type=arguments.ports, default=8000, help="port (default 8000)")
    web.set_defaults(run=serve_web)


def serve_web(args: argparse.Namespace, app: App) -> int:
    from monitor.web.app import serve

    app.store(create=False)  # a database that does not exist yet is an error, not a new one
    return serve(app, args.host, args.port)
