"""The layers point down and nothing imports in a circle (import-linter's contracts in
pyproject.toml, lazy imports included): the structure docs/architecture.md describes."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def test_the_import_contracts_hold(capsys: pytest.CaptureFixture[str]) -> None:
    from importlinter.cli import lint_imports

    code = lint_imports(config_filename=str(ROOT / "pyproject.toml"), no_cache=True, no_logo=True)
    report = capsys.readouterr().out
    assert code == 0, report
    assert "2 kept, 0 broken" in report


def test_the_architecture_doc_lists_every_layer() -> None:
    import re
    import tomllib

    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    layers = config["tool"]["importlinter"]["contracts"][0]["layers"]
    doc = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    diagram = doc.split("## Layers", 1)[1].split("```")[1]
    for layer in layers:
        for module in layer.replace("|", " ").replace(":", " ").split():
            name = module.removeprefix("papercast.")
            assert re.search(rf"(?<![\w.]){re.escape(name)}(?![\w.])", diagram), module
