"""docs/configuration.md is generated from the settings models and must match them."""

from __future__ import annotations

from pathlib import Path

from papercast.config import Settings
from papercast.config_reference import reference_markdown

DOC = Path(__file__).resolve().parent.parent / "docs" / "configuration.md"


def test_reference_is_current() -> None:
    assert DOC.read_text(encoding="utf-8") == reference_markdown(), (
        "docs/configuration.md is stale: run `python -m papercast.config_reference > docs/configuration.md`"
    )


def test_every_key_of_every_section_is_documented() -> None:
    text = DOC.read_text(encoding="utf-8")
    for name, field in Settings.model_fields.items():
        if name in ("home", "config_file"):
            continue
        assert f"## [{name}]" in text
        for key in field.annotation.model_fields:  # type: ignore[union-attr]
            assert f"| `{key}` |" in text, f"{name}.{key}"


def test_secrets_are_marked() -> None:
    text = DOC.read_text(encoding="utf-8")
    password_row = next(line for line in text.splitlines() if line.startswith("| `password` |"))
    assert "never in the file" in password_row
