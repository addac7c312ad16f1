"""Files shipped with papercast: prompts, templates, the sample week, the starter config.

In a wheel they live inside the package (``papercast/prompts`` ...); in a source checkout
(editable install) they are the top-level folders of the repository.
"""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent
_REPO = _PACKAGE.parent.parent


def _find(*parts: str) -> Path:
    for base in (_PACKAGE, _REPO):
        candidate = base.joinpath(*parts)
        if candidate.exists():
            return candidate
    return _PACKAGE.joinpath(*parts)


def prompts_dir() -> Path:
    return _find("prompts")


def templates_dir() -> Path:
    return _find("templates")


def sample_dir() -> Path:
    return _find("data", "sample")


def starter_config() -> Path:
    return _PACKAGE / "starter.toml"
