"""Logging helpers: secrets never reach a log line."""

from __future__ import annotations

import logging
import os
import re
import sys

_SECRET_ENV = ("OPENAI_API_KEY", "PAPERCAST_LLM__API_KEY", "PAPERCAST_EMAIL__PASSWORD")
_KEY_PATTERN = re.compile(r"\b(sk-[A-Za-z0-9_-]{8,})|(Bearer\s+)[A-Za-z0-9._~+/-]+=*")


def secret_values() -> list[str]:
    values = [os.environ.get(name, "") for name in _SECRET_ENV]
    return [v for v in values if len(v) >= 4]


def redact(text: str, extra: list[str] | None = None) -> str:
    """Replace known secret values and key-shaped strings with ``***``."""
    for value in [*secret_values(), *(extra or [])]:
        if value:
            text = text.replace(value, "***")
    return _KEY_PATTERN.sub(lambda m: (m.group(2) or "") + "***", text)


class RedactingFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg = cleaned
            record.args = None
        return True


class RunLogHandler(logging.FileHandler):
    """The per-run log file. It is opened at the first record, and a write that fails (a full
    disk) neither prints logging's traceback nor stops the run: the file is given up with
    one warning on the console."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        super().__init__(path, encoding="utf-8", delay=True)
        self.broken = False

    def emit(self, record: logging.LogRecord) -> None:
        if not self.broken:
            super().emit(record)

    def handleError(self, record: logging.LogRecord) -> None:
        if self.broken:
            return
        self.broken = True
        problem = sys.exc_info()[1]
        logging.getLogger(__name__).warning(
            "the run log %s cannot be written (%s); going on without it", self.baseFilename, problem
        )


def without_traceback(record: logging.LogRecord) -> logging.LogRecord:
    """A copy of ``record`` whose exception is one line instead of a traceback."""
    if not record.exc_info:
        return record
    problem = record.exc_info[1]
    line = f"{record.getMessage()} ({type(problem).__name__}: {problem}; --debug shows where)"
    return logging.makeLogRecord(
        {**record.__dict__, "msg": line, "args": None, "exc_info": None, "exc_text": None}
    )
