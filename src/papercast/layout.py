"""Where papercast keeps things on disk: the one module that builds paths.

State lives under PAPERCAST_HOME (default: the platform's user data dir); outputs under the
configured out dir, one folder per issue. Files are written atomically (temp file + rename).
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

import platformdirs

from papercast.config import Settings
from papercast.errors import StorageError, storage_error

log = logging.getLogger(__name__)

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def safe_name(text: str, max_len: int = 80) -> str:
    """A file-name-safe slug of ``text``: no separators, no dot-dot, never empty.

    When the slug is not ``text`` itself (characters replaced, or cut to ``max_len``), a short
    hash of ``text`` is appended, so two different texts never share a file name.
    """
    slug = _UNSAFE.sub("-", text).strip(".-")[:max_len].strip(".-")
    if slug and slug == text:
        return slug
    digest = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:10]
    return f"{slug}-{digest}" if slug else f"x-{digest}"


@dataclass(frozen=True)
class Layout:
    home: Path
    out_dir: Path

    @classmethod
    def from_settings(cls, settings: Settings) -> Layout:
        home = settings.home or Path(platformdirs.user_data_dir("papercast", appauthor=False))
        return cls(home=home.expanduser(), out_dir=settings.publish.out_dir.expanduser())

    @property
    def db_path(self) -> Path:
        return self.home / "papercast.db"

    @property
    def lock_path(self) -> Path:
        return self.home / "run.lock"

    @property
    def logs_dir(self) -> Path:
        return self.home / "logs"

    @property
    def cache_dir(self) -> Path:
        return self.home / "cache"

    @property
    def pdf_cache(self) -> Path:
        return self.cache_dir / "pdf"

    @property
    def tts_cache(self) -> Path:
        return self.cache_dir / "tts"

    def issue_dir(self, issue_id: str) -> Path:
        return self.out_dir / safe_name(issue_id)

    def shortlist_path(self, issue_id: str) -> Path:
        """The week's candidates as a checklist to edit (papercast pick)."""
        return self.issue_dir(issue_id) / "shortlist.md"

    @property
    def site_dir(self) -> Path:
        """The static archive site, unless [publish] site_dir says otherwise."""
        return self.out_dir / "site"

    @property
    def podcast_feed_path(self) -> Path:
        return self.out_dir / "feed.xml"

    def issue_email_dir(self, issue_id: str) -> Path:
        """The .eml files of an issue: issue.eml plus one per recipient."""
        return self.issue_dir(issue_id) / "email"

    def ensure(self) -> None:
        """Create the state folders; a StorageError when PAPERCAST_HOME cannot be written."""
        try:
            for path in (self.home, self.logs_dir, self.pdf_cache, self.tts_cache):
                path.mkdir(parents=True, exist_ok=True)
            with tempfile.TemporaryFile(dir=self.home):
                pass  # the folders may exist on a read-only mount: try a write
        except OSError as exc:
            raise storage_error(exc, self.home, home=self.home) from None


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` so that readers see the old file or the new one, never half.

    A full disk or a read-only folder is a StorageError naming ``path``.
    """
    try:
        _write_atomically(path, data)
    except OSError as exc:
        raise storage_error(exc, path) from None


def write_cache_bytes(path: Path, data: bytes) -> bool:
    """Write a cache file (PDFs, their text, speech segments): caches are optional, so a full
    disk or a read-only cache is logged and skipped, never an error. False if not written."""
    try:
        atomic_write_bytes(path, data)
    except StorageError as exc:
        if path.parent not in _UNCACHED:
            _UNCACHED.add(path.parent)
            log.warning("not caching %s: %s (papercast goes on without it)", path.name, exc.message)
        return False
    return True


_UNCACHED: set[Path] = set()  # folders already reported, so a full disk warns once per folder


def _write_atomically(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def atomic_write_text(path: Path, text: str) -> None:
    atomic_write_bytes(path, text.encode("utf-8"))
