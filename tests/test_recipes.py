"""The scheduling recipes in docs/recipes are valid: crontab fields, systemd units, workflow."""

from __future__ import annotations

import configparser
import re
import shlex
import shutil
import subprocess
from pathlib import Path

import yaml

from papercast.cli import app

RECIPES = Path(__file__).resolve().parent.parent / "docs" / "recipes"
RANGES = [(0, 59), (0, 23), (1, 31), (1, 12), (0, 7)]


def _field_ok(field: str, low: int, high: int) -> bool:
    for part in field.split(","):
        base, _, step = part.partition("/")
        if step and not step.isdigit():
            return False
        if base == "*":
            continue
        start, _, end = base.partition("-")
        numbers = [start, end] if end else [start]
        if not all(n.isdigit() and low <= int(n) <= high for n in numbers):
            return False
    return True


def _papercast_args(command: str) -> list[str]:
    words = shlex.split(command.split("&&")[-1].split(">>")[0])
    index = next(i for i, w in enumerate(words) if w.endswith("papercast"))
    return words[index + 1 :]


def _assert_cli_accepts(args: list[str]) -> None:
    from typer.testing import CliRunner

    result = CliRunner().invoke(app, [*args, "--help"])
    assert result.exit_code == 0, result.output


def test_crontab_line() -> None:
    lines = [
        line
        for line in (RECIPES / "crontab.txt").read_text().splitlines()
        if line and not line.startswith("#")
    ]
    assert len(lines) == 1
    fields = lines[0].split(None, 5)
    assert len(fields) == 6
    for field, (low, high) in zip(fields[:5], RANGES, strict=True):
        assert _field_ok(field, low, high), field
    assert _papercast_args(fields[5]) == ["run"]
    _assert_cli_accepts(["run"])


def _unit(name: str) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(strict=True, interpolation=None)
    parser.optionxform = str  # systemd keys are case-sensitive
    parser.read_string((RECIPES / name).read_text())
    return parser


def test_systemd_units() -> None:
    service = _unit("papercast.service")
    assert service["Service"]["Type"] == "oneshot"
    exec_start = service["Service"]["ExecStart"]
    assert exec_start.startswith("%h/") and exec_start.endswith("papercast run")
    timer = _unit("papercast.timer")
    assert timer["Timer"]["Persistent"] == "true"
    assert timer["Install"]["WantedBy"] == "timers.target"
    calendar = timer["Timer"]["OnCalendar"]
    assert re.fullmatch(r"(Mon|Tue|Wed|Thu|Fri|Sat|Sun) \*-\*-\* \d{2}:\d{2}:\d{2}", calendar)
    if shutil.which("systemd-analyze"):
        check = subprocess.run(
            ["systemd-analyze", "calendar", calendar], capture_output=True, text=True
        )
        assert check.returncode == 0, check.stderr


def test_github_actions_workflow() -> None:
    workflow = yaml.safe_load((RECIPES / "github-actions.yml").read_text())
    triggers = workflow[True] if True in workflow else workflow["on"]  # YAML 1.1 reads `on` as true
    [schedule] = triggers["schedule"]
    fields = schedule["cron"].split()
    assert len(fields) == 5
    for field, (low, high) in zip(fields, RANGES, strict=True):
        assert _field_ok(field, low, high), field
    job = workflow["jobs"]["issue"]
    assert job["env"]["OPENAI_API_KEY"] == "${{ secrets.OPENAI_API_KEY }}"
    steps = job["steps"]
    uses = [s.get("uses", "") for s in steps]
    assert any(u.startswith("actions/cache@") for u in uses)
    assert any(u.startswith("actions/upload-artifact@") for u in uses)
    cache = next(s for s in steps if s.get("uses", "").startswith("actions/cache@"))
    assert cache["with"]["path"] == ".papercast-home"
    assert job["env"]["PAPERCAST_HOME"].endswith("/.papercast-home")
    runs = [s["run"] for s in steps if "run" in s]
    assert "papercast run" in runs
    assert "60 days" in (RECIPES / "github-actions.yml").read_text()
