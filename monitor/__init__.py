"""funding-monitor: the application (store, configuration, command line) on the three wings."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("funding-monitor")
except PackageNotFoundError:  # running from a checkout without installing
    __version__ = "0.0.0+local"
