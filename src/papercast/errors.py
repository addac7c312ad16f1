"""Domain errors and exit codes: each error says what went wrong and what to do.

The CLI prints ``str(error)`` (one line, plus the hint) and exits with ``exit_code``;
nothing below the CLI prints. Every exit code papercast uses is defined here.
"""

from __future__ import annotations

import errno
import logging
import sqlite3
from collections.abc import Callable, Mapping

EXIT_OK = 0
EXIT_FAILED = 1  # nothing (or nothing usable) was made
EXIT_USAGE = 2  # bad input or configuration: fix the command or the file
EXIT_PARTIAL = 3  # done, but some papers, sources or exports failed (retried next time)
EXIT_LOCKED = 4  # another run holds the lock on this home
EXIT_INTERRUPTED = 130  # Ctrl-C (128 + SIGINT), as shells report it
EXIT_TERMINATED = 143  # SIGTERM (128 + 15): a `timeout`, cron or systemd stop


class PapercastError(Exception):
    """Base class for every error a user is meant to read."""

    exit_code: int = EXIT_FAILED

    def __init__(
        self, message: str, hint: str | None = None, *, values: Mapping[str, object] | None = None
    ) -> None:
        # ``values``: message and hint are catalogue strings (marked with N_) with
        # %(name)s placeholders, so a reader-facing page can show them translated
        self.template = message
        self.hint_template = hint
        self.values = dict(values) if values is not None else None
        if self.values is not None:
            message = message % self.values
            hint = hint % self.values if hint else hint
        super().__init__(message)
        self.message = message
        self.hint = hint

    def translated(self, gettext: Callable[[str], str]) -> tuple[str, str | None]:
        """The message and hint through ``gettext`` (a language's catalogue): translated when
        they are catalogue strings, as they are otherwise."""
        if self.values is None:  # as raised (or as changed since): translated if a msgid
            return gettext(self.message), gettext(self.hint) if self.hint else None
        message = gettext(self.template) % self.values
        hint = gettext(self.hint_template) % self.values if self.hint_template else None
        return message, hint

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


class StorageError(PapercastError):
    """papercast cannot write where it keeps state or outputs: a full disk, a read-only
    PAPERCAST_HOME or out dir, no permission. The message names the place."""


def failure_reason(exc: BaseException, log: logging.Logger | None = None) -> str:
    """A failure as a report shows it: ours as they read, anything else with its type (and,
    given a logger, its traceback in the log)."""
    if isinstance(exc, PapercastError):
        return str(exc)
    if log is not None:
        log.info("unexpected %s (traceback for the run log)", type(exc).__name__, exc_info=exc)
    return f"{type(exc).__name__}: {exc}"


_FULL = {errno.ENOSPC, errno.EDQUOT}
_READ_ONLY = {errno.EROFS, errno.EACCES, errno.EPERM}
_SQLITE_READONLY, _SQLITE_FULL, _SQLITE_CANTOPEN = 8, 13, 14
_FREE_SPACE = "free some space there and run again: nothing done so far is lost"


def storage_error(exc: OSError, path: object = None, *, home: object = None) -> StorageError:
    """The user-facing error for a write that failed at ``path`` (``exc.filename`` if None).

    ``home`` names PAPERCAST_HOME, so that a read-only home is called that.
    """
    where = path if path is not None else (exc.filename or "?")
    if exc.errno in _FULL:
        return StorageError(f"disk full at {where}", _FREE_SPACE)
    if exc.errno in _READ_ONLY:
        if home is not None:
            return StorageError(
                f"PAPERCAST_HOME is read-only ({home}: {exc.strerror})",
                "papercast keeps its state there: make it writable, or point PAPERCAST_HOME "
                "at a writable folder; read-only commands (issues, papers, status) still work",
            )
        return StorageError(
            f"cannot write {where}: {exc.strerror}", "make it writable, or choose another place"
        )
    return StorageError(f"cannot write {where}: {exc.strerror or exc}", "check that disk")


def database_error(exc: sqlite3.Error, path: object) -> StorageError | None:
    """A clear error for the database at ``path`` that is full or read-only (None otherwise)."""
    code = getattr(exc, "sqlite_errorcode", None)
    primary = code & 0xFF if isinstance(code, int) else None
    text = str(exc).lower()
    if primary == _SQLITE_FULL or "disk is full" in text:
        return StorageError(f"disk full at {path}: the database could not be written", _FREE_SPACE)
    if primary == _SQLITE_READONLY or "readonly database" in text:
        return StorageError(
            f"the database {path} is read-only",
            "make PAPERCAST_HOME writable (read-only commands still work without it)",
        )
    if primary == _SQLITE_CANTOPEN:
        return StorageError(
            f"cannot open the database {path}", "check that PAPERCAST_HOME exists and is writable"
        )
    return None


def as_storage_error(exc: BaseException) -> StorageError | None:
    """For the CLI's last resort: a write failure that escaped without a path of its own."""
    if isinstance(exc, OSError) and exc.errno in _FULL | _READ_ONLY:
        return storage_error(exc)
    if isinstance(exc, sqlite3.Error):
        return database_error(exc, "PAPERCAST_HOME")
    return None
