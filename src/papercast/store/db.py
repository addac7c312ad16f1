"""The SQLite connection: WAL, foreign keys, transactions, migrations."""

from __future__ import annotations

import contextlib
import os
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from papercast.errors import PapercastError, StorageError, database_error, storage_error
from papercast.layout import create_private_file, make_private_dir
from papercast.store.migrations import MIGRATIONS


def _statements(sql: str) -> Iterator[str]:
    """The statements of a migration script, whole: a trigger's body keeps its semicolons."""
    pending = ""
    for piece in sql.split(";"):
        pending += piece + ";"
        if sqlite3.complete_statement(pending):
            if pending.strip(" \n;"):
                yield pending
            pending = ""
    if pending.strip(" \n;"):
        yield pending


def utcnow() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class Database:
    """One SQLite file. Writes go through ``transaction()``: all or nothing.

    A full disk or a read-only file is a ``StorageError`` naming the file, whatever the
    statement. ``readonly=True`` opens the file for reading only, without migrations: what
    commands that only read use when PAPERCAST_HOME cannot be written (``for_reading``).
    """

    def __init__(self, path: Path | str, *, readonly: bool = False) -> None:
        self.path = Path(path) if str(path) != ":memory:" else None
        self.readonly = readonly
        self._lock = threading.RLock()
        self._depth = 0
        if readonly:
            self.conn = self._connect_readonly()
            return
        try:
            if self.path is not None:  # private: SQLite gives its -wal and -shm the same mode
                make_private_dir(self.path.parent)
                create_private_file(self.path)
            self.conn = sqlite3.connect(
                str(path), isolation_level=None, check_same_thread=False, timeout=30
            )
        except OSError as exc:
            raise storage_error(exc, home=Path(path).parent) from None
        except sqlite3.Error as exc:
            raise database_error(exc, path) or PapercastError(
                f"cannot open the database {path}: {exc}", "check PAPERCAST_HOME"
            ) from None
        self.conn.row_factory = sqlite3.Row
        try:
            self.conn.execute("PRAGMA journal_mode=WAL")
            self.conn.execute("PRAGMA foreign_keys=ON")
            self.conn.execute("PRAGMA synchronous=NORMAL")
            self.migrate()
        except StorageError:
            self.conn.close()
            raise
        except sqlite3.DatabaseError as exc:
            self.conn.close()
            raise database_error(exc, path) or PapercastError(
                f"the database {path} is unreadable: {exc}",
                "restore it from a backup or move it aside to start afresh",
            ) from None

    @classmethod
    def for_reading(cls, path: Path) -> Database:
        """For commands that only read: the store as usual when PAPERCAST_HOME is writable,
        else opened read-only (a read-only mount, no permission), never written."""
        return cls(path, readonly=not _writable(path))

    def _connect_readonly(self) -> sqlite3.Connection:
        path = self.path
        assert path is not None, "an in-memory database cannot be opened read-only"
        if not path.is_file():
            raise StorageError(
                f"PAPERCAST_HOME is read-only ({path.parent}) and holds no papercast store yet",
                "make it writable, or point PAPERCAST_HOME at the folder that has your store",
            )
        # mode=ro reads a WAL database when its -shm file exists or can be made; in a read-only
        # folder after a clean shutdown it cannot, and immutable=1 (nobody can change the file)
        # is what SQLite offers for that case.
        for flags in ("mode=ro", "mode=ro&immutable=1"):
            conn = sqlite3.connect(
                f"{path.resolve().as_uri()}?{flags}",
                uri=True,
                isolation_level=None,
                check_same_thread=False,
            )
            conn.row_factory = sqlite3.Row
            try:
                version = conn.execute("SELECT MAX(number) FROM migrations").fetchone()[0]
            except sqlite3.OperationalError as exc:
                conn.close()
                if "no such table" in str(exc):
                    version = 0
                    break
                continue
            except sqlite3.DatabaseError as exc:
                conn.close()
                raise PapercastError(
                    f"the database {path} is unreadable: {exc}",
                    "restore it from a backup or move it aside to start afresh",
                ) from None
            break
        else:
            raise StorageError(
                f"cannot read the database {path} in a read-only PAPERCAST_HOME",
                "make PAPERCAST_HOME writable and run again",
            )
        latest = max(number for number, _name, _sql in MIGRATIONS)
        if version is None or int(version) < latest:
            conn.close()
            raise StorageError(
                f"the store {path} needs upgrading (schema {version or 0}, this papercast "
                f"uses {latest}), but PAPERCAST_HOME is read-only",
                "run papercast once where PAPERCAST_HOME is writable; the upgrade keeps everything",
            )
        return conn

    def _storage(self, exc: sqlite3.Error) -> Exception:
        return database_error(exc, self.path or ":memory:") or exc

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> Database:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """BEGIN IMMEDIATE ... COMMIT, or ROLLBACK on any exception. Nests (outermost wins)."""
        with self._lock:
            if self._depth:
                self._depth += 1
                try:
                    yield self.conn
                finally:
                    self._depth -= 1
                return
            try:
                self.conn.execute("BEGIN IMMEDIATE")
            except sqlite3.Error as exc:
                raise self._storage(exc) from exc
            self._depth = 1
            try:
                yield self.conn
            except sqlite3.Error as exc:
                with contextlib.suppress(sqlite3.Error):
                    self.conn.execute("ROLLBACK")
                raise self._storage(exc) from exc
            except BaseException:
                with contextlib.suppress(sqlite3.Error):
                    self.conn.execute("ROLLBACK")
                raise
            else:
                try:
                    self.conn.execute("COMMIT")
                except sqlite3.Error as exc:
                    with contextlib.suppress(sqlite3.Error):
                        self.conn.execute("ROLLBACK")
                    raise self._storage(exc) from exc
            finally:
                self._depth = 0

    def query(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> list[sqlite3.Row]:
        with self._lock:
            try:
                return self.conn.execute(sql, params).fetchall()
            except sqlite3.OperationalError as exc:
                raise self._storage(exc) from exc

    def query_one(
        self, sql: str, params: Sequence[Any] | dict[str, Any] = ()
    ) -> sqlite3.Row | None:
        with self._lock:
            try:
                row: sqlite3.Row | None = self.conn.execute(sql, params).fetchone()
            except sqlite3.OperationalError as exc:
                raise self._storage(exc) from exc
            return row

    def execute(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> int:
        """Run one write in its own transaction; returns lastrowid."""
        with self.transaction() as conn:
            cursor = conn.execute(sql, params)
            return cursor.lastrowid or 0

    @property
    def schema_version(self) -> int:
        row = self.query_one("SELECT MAX(number) AS n FROM migrations")
        return int(row["n"] or 0) if row else 0

    def migrate(self) -> None:
        with self.transaction() as conn:
            conn.execute(
                "CREATE TABLE IF NOT EXISTS migrations ("
                "number INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)"
            )
            done = {row[0] for row in conn.execute("SELECT number FROM migrations")}
            for number, name, sql in sorted(MIGRATIONS):
                if number in done:
                    continue
                for statement in _statements(sql):
                    conn.execute(statement)
                conn.execute(
                    "INSERT INTO migrations (number, name, applied_at) VALUES (?, ?, ?)",
                    (number, name, utcnow()),
                )

    def integrity_ok(self) -> bool:
        row = self.query_one("PRAGMA integrity_check")
        return bool(row and row[0] == "ok")


def _writable(path: Path) -> bool:
    """Whether the database at ``path`` (and its folder, for the WAL files) can be written."""
    folder = path.parent
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent  # the first folder that exists is where one would be made
    if not os.access(folder, os.W_OK):
        return False
    return not path.exists() or os.access(path, os.W_OK)
