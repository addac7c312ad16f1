"""Shared fixtures: an isolated PAPERCAST_HOME, no stray configuration, local servers only."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from papercast.sample.server import FixtureServer
from support import optional

# A terminal size inherited from the environment (pytest-xdist's workers get COLUMNS=80) would
# be frozen into the CLI's consoles when papercast.cli is first imported, and a test's own
# COLUMNS would then be ignored: the consoles follow each test's environment instead.
for _name in ("COLUMNS", "LINES"):
    os.environ.pop(_name, None)


def pytest_configure(config: pytest.Config) -> None:
    optional.required()  # a typo in TESTS_REQUIRE is an error, not a silent skip


def pytest_runtest_setup(item: pytest.Item) -> None:
    """Tests marked for an optional piece skip where it is missing (fail where required)."""
    for piece, marker in optional.PIECES.items():
        if item.get_closest_marker(marker) is not None:
            optional.need(piece)


@pytest.fixture(autouse=True)
def _isolated_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Every test gets its own home and working directory and no real credentials."""
    for name in list(os.environ):
        if name.startswith(("PAPERCAST_", "OPENAI_", "SMTP_", "ZOTERO_")):
            monkeypatch.delenv(name, raising=False)
    home = tmp_path / "home"
    monkeypatch.setenv("PAPERCAST_HOME", str(home))
    monkeypatch.setenv("PAPERCAST_RAISE_ERRORS", "1")
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    yield


@pytest.fixture
def fixture_server() -> Iterator[FixtureServer]:
    with FixtureServer() as server:
        yield server
