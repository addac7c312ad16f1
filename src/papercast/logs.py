"""Logging helpers: secrets never reach a log line."""

from __future__ import annotations

import logging
import os
import re

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
