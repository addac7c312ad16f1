"""The layers point down and nothing imports in a circle (import-linter's contracts in
pyproject.toml, lazy imports included): the structure docs/architecture.md describes."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# In its own process: import-linter configures logging with dictConfig, which disables every
# logger that already exists (papercast's included) for the rest of the test process.
LINT = "import sys; from importlinter.cli import lint_imports_command; sys.exit(lint_imports_command())"


def test_the_import_contracts_hold() -> None:
    done = subprocess.run(
        [sys.executable, "-c", LINT, "--config", str(ROOT / "pyproject.toml"), "--no-cache"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    report = done.stdout + done.stderr
    assert done.returncode == 0, report
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
