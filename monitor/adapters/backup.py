"""Backups of the SQLite store with SQLite's online backup API, their verification and restore.

A backup is a consistent copy even while the daemon writes: the backup reads one snapshot of the
database (WAL readers do not block the writer) and the copy is checked before it takes its final
name. A restore never destroys what it replaces: the current database is first backed up next to
itself as `<name>.replaced-<UTC time>`.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

REQUIRED_TABLES = ("bouts", "events", "live_state", "alembic_version")


class BackupError(Exception):
    """A backup or restore that could not be done; the message says why and what to do."""


@dataclass(frozen=True)
class BackupSummary:
    path: Path
    bytes: int
    bouts: int
    events: int


@contextlib.contextmanager
def _connect(path: Path, readonly: bool = False) -> Iterator[sqlite3.Connection]:
    uri = f"file:{path}?mode=ro" if readonly else f"file:{path}"
    try:
        conn = sqlite3.connect(uri, uri=True, timeout=10)
    except sqlite3.Error as exc:
        raise BackupError(f"{path}: cannot open ({exc})") from None
    try:
        yield conn
    finally:
        conn.close()


def problems(path: Path) -> list[str]:
    """What is wrong with a database file as a sitmon store; empty when it is sound."""
    if not path.is_file():
        return [f"{path} does not exist"]
    try:
        with _connect(path, readonly=True) as conn:
            result = [r[0] for r in conn.execute("PRAGMA integrity_check")]
            tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    except (sqlite3.Error, BackupError) as exc:
        return [f"{path} is not a readable SQLite database ({exc})"]
    found = [] if result == ["ok"] else [f"integrity check: {'; '.join(result[:5])}"]
    missing = [t for t in REQUIRED_TABLES if t not in tables]
    if missing:
        found.append(f"not a sitmon store: tables missing: {', '.join(missing)}")
    return found


def _fsync_file(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _copy(source: Path, dest: Path) -> None:
    """Online-backup `source` into a new `dest` (overwritten), durable on disk when this returns."""
    dest.unlink(missing_ok=True)
    with _connect(source) as src, _connect(dest) as dst:
        try:
            src.backup(dst)  # all pages in one step: one consistent snapshot of the source
            # A self-contained file: rollback journal, no -wal needed to read it.
            dst.execute("PRAGMA journal_mode=DELETE")
        except sqlite3.Error as exc:
            raise BackupError(f"copying {source} to {dest} failed ({exc})") from None
    _fsync_file(dest)


def _counts(path: Path) -> tuple[int, int]:
    with _connect(path, readonly=True) as conn:
        bouts = conn.execute("SELECT count(*) FROM bouts").fetchone()[0]
        events = conn.execute("SELECT count(*) FROM events").fetchone()[0]
    return int(bouts), int(events)


def backup(database: Path, dest: Path) -> BackupSummary:
    """Copy the live database to `dest`; raise BackupError (leaving no partial file) on failure."""
    if not database.is_file():
        raise BackupError(f"no database at {database}: check store.path (or --config)")
    if dest.is_dir():
        dest = dest / f"sitmon-{datetime.now(UTC):%Y%m%dT%H%M%SZ}.sqlite3"
    if dest.resolve() == database.resolve():
        raise BackupError("the backup would overwrite the database itself: choose another file")
    partial = dest.with_name(dest.name + ".partial")
    try:
        _copy(database, partial)
        found = problems(partial)
        if found:
            raise BackupError(f"the copy failed its check ({'; '.join(found)}); the database may be damaged: "
                              "run `sitmon doctor`")
        os.replace(partial, dest)
        _fsync_dir(dest.parent)
    except OSError as exc:
        raise BackupError(f"cannot write {dest} ({exc.strerror or exc})") from None
    finally:
        partial.unlink(missing_ok=True)
    bouts, events = _counts(dest)
    return BackupSummary(dest, dest.stat().st_size, bouts, events)


def restore(source: Path, database: Path, now: datetime | None = None) -> Path | None:
    """Put the backup `source` in place of `database`; return where the replaced database was kept."""
    found = problems(source)
    if found:
        raise BackupError(f"{source} cannot be restored: {'; '.join(found)}")
    kept: Path | None = None
    database.parent.mkdir(parents=True, exist_ok=True)
    stamp = (now or datetime.now(UTC)).strftime("%Y%m%dT%H%M%SZ")
    incoming = database.with_name(database.name + ".restoring")
    try:
        if database.is_file():
            kept = database.with_name(f"{database.name}.replaced-{stamp}")
            _copy(database, kept)  # through SQLite, so what sat in the -wal file is kept too
        _copy(source, incoming)
        with _connect(incoming) as conn:
            conn.execute("PRAGMA journal_mode=WAL")
        for suffix in ("-wal", "-shm"):
            Path(f"{database}{suffix}").unlink(missing_ok=True)
        os.replace(incoming, database)
        _fsync_dir(database.parent)
    except OSError as exc:
        raise BackupError(f"cannot restore into {database} ({exc.strerror or exc})") from None
    finally:
        incoming.unlink(missing_ok=True)
    return kept
