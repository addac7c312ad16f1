"""Domain errors and exit codes: each error says what went wrong and what to do.

The CLI prints ``str(error)`` (one line, plus the hint) and exits with ``exit_code``;
nothing below the CLI prints. Every exit code papercast uses is defined here.
"""

from __future__ import annotations

import logging

EXIT_OK = 0
EXIT_FAILED = 1  # nothing (or nothing usable) was made
EXIT_USAGE = 2  # bad input or configuration: fix the command or the file
EXIT_PARTIAL = 3  # done, but some papers, sources or exports failed (retried next time)
EXIT_LOCKED = 4  # another run holds the lock on this home
EXIT_INTERRUPTED = 130  # Ctrl-C (128 + SIGINT), as shells report it


class PapercastError(Exception):
    """Base class for every error a user is meant to read."""

    exit_code: int = EXIT_FAILED

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message} — {self.hint}" if self.hint else self.message


class ConfigError(PapercastError):
    """The configuration file or environment is invalid."""

    exit_code = EXIT_USAGE


class InputError(PapercastError):
    """A value the user gave (id, URL, date, file) cannot be used."""

    exit_code = EXIT_USAGE


class SourceError(PapercastError):
    """A paper source failed after its retries (HTTP error, malformed payload...)."""

    def __init__(
        self,
        message: str,
        hint: str | None = None,
        *,
        source: str = "",
        status: int | None = None,
    ) -> None:
        super().__init__(message, hint)
        self.source = source
        self.status = status


class NotFoundError(PapercastError):
    """A paper, issue or file that was asked for does not exist."""

    exit_code = EXIT_USAGE


class LLMError(PapercastError):
    """The language model could not produce a usable answer."""


class BudgetExceededError(PapercastError):
    """Continuing would exceed the configured spending limit."""


class AudioError(PapercastError):
    """Speech synthesis or audio assembly failed."""


class ExportError(PapercastError):
    """Writing or sending an export failed."""


class LockedError(PapercastError):
    """Another papercast run holds the lock on this home."""

    exit_code = EXIT_LOCKED


def failure_reason(exc: BaseException, log: logging.Logger | None = None) -> str:
    """A failure as a report shows it: ours as they read, anything else with its type (and,
    given a logger, its traceback in the log)."""
    if isinstance(exc, PapercastError):
        return str(exc)
    if log is not None:
        log.info("unexpected %s (traceback for the run log)", type(exc).__name__, exc_info=exc)
    return f"{type(exc).__name__}: {exc}"
