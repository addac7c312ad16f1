"""papercast: each week's new research papers as a newsletter and a podcast."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("papercast")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0.0.0+unknown"

__all__ = ["__version__"]
