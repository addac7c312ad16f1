"""Jobs for tests/test_workers.py, imported by the worker processes (tests/ is on their path)."""

from __future__ import annotations

import os
import time
from pathlib import Path


def mark_and_sleep(folder: str, key: int) -> None:
    """Say this worker is inside a job (a file named after its pid), then take ten minutes."""
    Path(folder, f"{os.getpid()}.busy").touch()
    time.sleep(600)
