"""Where papercast keeps things on disk: the one module that builds paths.

State lives under PAPERCAST_HOME (default: the platform's user data dir); outputs under the
configured out dir, one folder per issue. Files are written atomically (temp file + rename).

Permissions: what papercast publishes (the issue's files, the feed, the site, notes) follows
the umask like any file a program creates (0644 under the usual 022), so a web server running
as another user can serve it; state (the store, caches, logs) is private: folders 0700, files
0600.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import re
import secrets
import tempfile
from dataclasses import dataclass
from pathlib import Path

import platformdirs

from papercast.config import Settings
from papercast.errors import StorageError, storage_error
from papercast.models import Paper

log = logging.getLogger(__name__)

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
TEXT_CACHE_SUFFIX = ".clean1.txt"  # a PDF's clean text; bump when cleaning changes what it gives


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
    def voices_dir(self) -> Path:
        """Piper voices named by ``[audio] voice`` or ``voices``, downloaded once."""
        return self.home / "voices"

    @property
    def dialogue_cache(self) -> Path:
        """Podcast dialogue segments written by the LLM, one JSON file per segment."""
        return self.cache_dir / "dialogue"

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
        """Create the state folders (private); a StorageError when PAPERCAST_HOME cannot be
        written."""
        try:
            for path in (self.home, self.cache_dir, self.logs_dir, self.pdf_cache, self.tts_cache):
                make_private_dir(path)
            with tempfile.TemporaryFile(dir=self.home):
                pass  # the folders may exist on a read-only mount: try a write
        except OSError as exc:
            raise storage_error(exc, self.home, home=self.home) from None


PRIVATE_DIR = 0o700
PRIVATE_FILE = 0o600
_OPEN_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)


def pdf_cache_path(layout: Layout, paper: Paper) -> Path:
    """Where ``paper``'s PDF is cached (its clean text beside it, :data:`TEXT_CACHE_SUFFIX`)."""
    version = f"v{paper.version}" if paper.version else ""
    return layout.pdf_cache / f"{safe_name(paper.id.replace(':', '_') + version)}.pdf"


def cached_fulltext(layout: Layout, paper: Paper) -> str | None:
    """The paper's clean text if an earlier summary extracted it (no download, no work)."""
    path = pdf_cache_path(layout, paper).with_suffix(TEXT_CACHE_SUFFIX)
    try:
        return path.read_text(encoding="utf-8") if path.is_file() else None
    except (OSError, UnicodeDecodeError):
        return None


def make_private_dir(path: Path) -> None:
    """Create ``path`` (and missing parents) for state: a folder only its owner can enter.

    A folder that already exists is left as it is: the user may have chosen its permissions.
    """
    path.mkdir(parents=True, exist_ok=True, mode=PRIVATE_DIR)


def create_private_file(path: Path) -> None:
    """Create ``path`` empty with mode 0600 if it does not exist (before a library opens it)."""
    if path.exists():  # (and nothing is attempted on a read-only home)
        return
    with contextlib.suppress(FileExistsError):
        os.close(os.open(path, _OPEN_FLAGS, PRIVATE_FILE))


def _open_temp(path: Path, mode: int) -> tuple[int, Path]:
    """A new temp file next to ``path``, created with ``mode`` (the umask applies)."""
    for _ in range(100):
        tmp = path.parent / f".{path.name}.{secrets.token_hex(4)}.tmp"
        try:
            return os.open(tmp, _OPEN_FLAGS, mode), tmp
        except FileExistsError:
            continue
    raise FileExistsError(f"no free temporary name next to {path}")


def atomic_write_bytes(path: Path, data: bytes, *, private: bool = False) -> None:
    """Write ``data`` to ``path`` so that readers see the old file or the new one, never half.

    The file follows the umask (0644 under 022), as published files must; ``private`` files
    (caches and other state) are 0600, in folders made 0700. A full disk or a read-only folder
    is a StorageError naming ``path``.
    """
    try:
        _write_atomically(path, data, private=private)
    except OSError as exc:
        raise storage_error(exc, path) from None


def write_cache_bytes(path: Path, data: bytes) -> bool:
    """Write a cache file (PDFs, their text, speech segments; private): caches are optional, so
    a full disk or a read-only cache is logged and skipped, never an error. False if not
    written."""
    try:
        atomic_write_bytes(path, data, private=True)
    except StorageError as exc:
        if path.parent not in _UNCACHED:
            _UNCACHED.add(path.parent)
            log.warning("not caching %s: %s (papercast goes on without it)", path.name, exc.message)
        return False
    return True


_UNCACHED: set[Path] = set()  # folders already reported, so a full disk warns once per folder


def _write_atomically(path: Path, data: bytes, *, private: bool) -> None:
    if private:
        make_private_dir(path.parent)
    else:
        path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = _open_temp(path, PRIVATE_FILE if private else 0o666)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def atomic_write_text(path: Path, text: str, *, private: bool = False) -> None:
    atomic_write_bytes(path, text.encode("utf-8"), private=private)


# Files under the out dir that are not published: the .eml files name the readers (private, in
# each issue's email/ folder); dot files are atomic writes in progress.
_UNPUBLISHED_DIRS = {"email"}


def published_file(layout: Layout, relative: str) -> Path | None:
    """The published file at ``relative`` inside the out dir, or None.

    None for anything outside it (``..``, absolute paths, symlinks pointing out), for folders,
    dot files and the private email folders: what ``papercast serve`` may hand out.
    """
    if not relative or "\x00" in relative or "\\" in relative:
        return None
    parts = relative.split("/")
    if any(not p or p in (".", "..") or p.startswith(".") for p in parts):
        return None
    if any(p in _UNPUBLISHED_DIRS for p in parts[:-1]) or parts[-1].endswith(".eml"):
        return None
    root = layout.out_dir.resolve()
    try:
        path = (root / Path(*parts)).resolve()
    except (OSError, RuntimeError):
        return None
    if not path.is_relative_to(root) or not path.is_file():
        return None
    return path
