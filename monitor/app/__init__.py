"""The application layer: the use cases the faces call (the command line in ``monitor/cli/``,
the web in ``monitor/web/``, the scheduler's jobs in ``monitor/service/``).

Each use case is a plain function over an ``App`` (the settings and the store, opened on first
use) that takes plain values and returns plain values or raises from the error trees
(``monitor.errors``, ``sources.errors``, ``classifiers.errors``, ``notifications.errors``). Nothing
here prints, parses arguments or speaks HTTP: a face parses its input, calls one function and
renders what it returns, so the two faces never hold logic of their own.

Modules are imported by the face that needs them, one use-case group each (``sources``,
``calls``, ``tags``, ``model``, ``subscribers``, ``digests``, ``status``, ``database``,
``jobs``), so that a command loads only the libraries its own work uses.
"""

from monitor.app.context import App

__all__ = ["App"]
