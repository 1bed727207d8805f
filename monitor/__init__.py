"""funding-monitor: the application (store, configuration, command line) on the three wings."""

from __future__ import annotations


def __getattr__(name: str) -> str:
    """``__version__``, read from the installed package's metadata when first asked for
    (importlib.metadata costs a command's start-up ~40 ms that most commands never need)."""
    if name != "__version__":
        raise AttributeError(f"module 'monitor' has no attribute {name!r}")
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("funding-monitor")
    except PackageNotFoundError:  # running from a checkout without installing
        return "0.0.0+local"
