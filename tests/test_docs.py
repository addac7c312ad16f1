"""Docs that cannot drift: every command is in the README, every README link resolves."""

from __future__ import annotations

import re
from pathlib import Path

import typer.main

from papercast.cli import app

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def _commands() -> list[tuple[str, object]]:
    group = typer.main.get_group(app)
    found = []
    for name, command in group.commands.items():  # type: ignore[attr-defined]
        subcommands = getattr(command, "commands", None)
        if subcommands:
            found += [(f"{name} {sub}", cmd) for sub, cmd in subcommands.items()]
        else:
            found.append((name, command))
    return found


def test_every_command_has_help_with_an_example_and_a_readme_mention() -> None:
    commands = _commands()
    assert len(commands) >= 18
    for name, command in commands:
        help_text = getattr(command, "help", "") or ""
        assert help_text.strip(), f"{name} has no help"
        assert "Example: papercast " in help_text, f"{name} has no example in its help"
        assert f"papercast {name}" in README, f"README does not show `papercast {name}`"


def test_readme_links_resolve() -> None:
    for target in re.findall(r"\]\(([^)#]+)\)", README):
        if target.startswith("http"):
            continue
        assert (ROOT / target).exists(), f"README links to missing {target}"


def test_readme_has_the_two_commands() -> None:
    assert ".venv/bin/papercast run --sample" in README
    assert ".venv/bin/python -m pytest -n 2" in README
    ci = (ROOT / ".ci" / "run").read_text()
    assert ".venv/bin/python -m pytest -n 2" in ci


def test_changelog_is_dated() -> None:
    changelog = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    assert re.search(r"^## \[?\d+\.\d+\.\d+\]? - \d{4}-\d{2}-\d{2}", changelog, re.MULTILINE)


def test_config_sections_named_in_help_survive_rich_markup() -> None:
    """`[publish] formats` in help text must not be eaten as a rich markup tag."""
    from typer.testing import CliRunner

    runner = CliRunner()
    for name, command in _commands():
        raw = (getattr(command, "help", "") or "") + " ".join(
            getattr(p, "help", "") or "" for p in getattr(command, "params", [])
        )
        sections = set(
            re.findall(
                r"\\?\[(arxiv|biorxiv|feeds|select|llm|issue|audio|email|podcast|publish|rank)\]",
                raw,
            )
        )
        if not sections:
            continue
        rendered = runner.invoke(app, [*name.split(), "--help"], terminal_width=200).output
        for section in sections:
            assert f"[{section}]" in rendered, f"`papercast {name} --help` lost [{section}]"
