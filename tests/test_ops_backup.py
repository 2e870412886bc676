"""Backup (online, while a writer writes), restore, export and retention on real SQLite files."""

from __future__ import annotations

import csv
import os
import sqlite3
import subprocess
import sys
import threading
import time
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from monitor.adapters import backup as module
from monitor.adapters.retention import prune
from monitor.adapters.store import Store
from monitor.model import Activity, Bout, Posture
from monitor.status_file import write_status

SITMON = Path(sys.executable).parent / "sitmon"
T0 = 1_795_597_200.0


def _fill(store: Store, start: float, count: int) -> None:
    for i in range(count):
        s = start + i * 60
        activity = Activity.SIT if i % 2 == 0 else Activity.STAND
        store.record("me", [Bout(s, s + 60, activity, Posture.UPRIGHT)], [], None)


def _rows(path: Path) -> list[tuple[float, float, str]]:
    conn = sqlite3.connect(path)
    try:
        return conn.execute("SELECT start, \"end\", activity FROM bouts ORDER BY start").fetchall()
    finally:
        conn.close()


def _sitmon(*args: str, config: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(SITMON), *args], capture_output=True, text=True, timeout=120, check=False,
                          env={**os.environ, "SITMON_CONFIG": str(config)})


@pytest.fixture
def configured(tmp_path):
    db = tmp_path / "state" / "sitmon.sqlite3"
    config = tmp_path / "sitmon.toml"
    config.write_text(f'[wearer]\nid = "me"\ntimezone = "UTC"\n[store]\npath = "{db}"\n')
    store = Store.open(f"sqlite:///{db}")
    _fill(store, T0, 30)
    store.close()
    return db, config


def test_backup_while_a_writer_writes_is_consistent(tmp_path):
    db = tmp_path / "live.sqlite3"
    store = Store.open(f"sqlite:///{db}")
    _fill(store, T0, 200)
    stop = threading.Event()

    def writer() -> None:
        i = 1000
        while not stop.is_set():
            _fill(store, T0 + i * 60, 1)
            i += 1

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        summaries = [module.backup(db, tmp_path / f"copy{n}.sqlite3") for n in range(3)]
    finally:
        stop.set()
        thread.join()
        store.close()
    for summary in summaries:
        assert module.problems(summary.path) == []
        assert summary.bouts >= 200
        rows = _rows(summary.path)
        assert len(rows) == summary.bouts
        # A snapshot: the copied rows are a prefix of what was written, with no gap.
        assert [r[0] for r in rows] == sorted(r[0] for r in rows)
    assert summaries[-1].bouts >= summaries[0].bouts
    assert not list(tmp_path.glob("*.partial"))


def test_backup_and_restore_through_the_cli_keep_the_replaced_database(tmp_path, configured):
    db, config = configured
    out = tmp_path / "backups"
    out.mkdir()
    result = _sitmon("backup", str(out), config=config)
    assert result.returncode == 0, result.stderr
    copy = next(out.glob("sitmon-*.sqlite3"))
    assert "30 bouts" in result.stdout
    original = _rows(db)

    store = Store.open(f"sqlite:///{db}")
    _fill(store, T0 + 10_000, 5)  # written after the backup
    store.close()
    result = _sitmon("restore", str(copy), config=config)
    assert result.returncode == 0, result.stderr
    assert _rows(db) == original
    kept = next(db.parent.glob("sitmon.sqlite3.replaced-*"))
    assert len(_rows(kept)) == 35
    assert f"kept as {kept}" in result.stdout
    Store.open(f"sqlite:///{db}").close()  # the restored file opens as a store


def test_restore_refuses_a_damaged_file_and_a_running_daemon(tmp_path, configured):
    db, config = configured
    before = _rows(db)
    junk = tmp_path / "junk.sqlite3"
    junk.write_bytes(b"SQLite format 3\0" + os.urandom(4096))
    result = _sitmon("restore", str(junk), config=config)
    assert result.returncode == 1
    assert "cannot be restored" in result.stderr
    assert _rows(db) == before

    good = module.backup(db, tmp_path / "good.sqlite3").path
    write_status(db.parent, {"running": True, "pid": os.getpid(), "written_at": time.time(), "interval": 5})
    refused = _sitmon("restore", str(good), config=config)
    assert refused.returncode == 1 and "the daemon is running" in refused.stderr
    assert _sitmon("restore", "--force", str(good), config=config).returncode == 0


def test_backup_of_a_missing_database_says_what_to_check(tmp_path):
    with pytest.raises(module.BackupError, match=r"check store\.path"):
        module.backup(tmp_path / "nope.sqlite3", tmp_path / "out.sqlite3")


def test_export_bouts_as_csv_and_events_as_json_lines(tmp_path, configured):
    _db, config = configured
    out = tmp_path / "bouts.csv"
    result = _sitmon("export", "--what", "bouts", "--from", "2026-11-25", "--to", "2026-11-25", "--out", str(out),
                     config=config)
    assert result.returncode == 0, result.stderr
    with out.open() as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 30
    assert rows[0] == {"wearer": "me", "start": "2026-11-25T09:00:00+00:00", "end": "2026-11-25T09:01:00+00:00",
                       "seconds": "60.0", "activity": "sit", "posture": "upright"}
    none = _sitmon("export", "--what", "events", "--format", "jsonl", config=config)
    assert none.returncode == 0 and none.stdout == "" and "exported 0 events" in none.stderr
    assert _sitmon("export", "--from", "2026-11-26", "--to", "2026-11-25", config=config).returncode == 2


def test_retention_forgets_old_bouts_and_raw_recordings_only(tmp_path):
    store = Store.open(f"sqlite:///{tmp_path / 'db.sqlite3'}")
    _fill(store, T0 - 40 * 86_400, 3)
    _fill(store, T0, 3)
    recordings = tmp_path / "recordings"
    recordings.mkdir()
    old, new, other = recordings / "old.csv", recordings / "new.csv", recordings / "notes.txt"
    for path in (old, new, other):
        path.write_text("t,x,y,z\n")
    os.utime(old, (T0 - 31 * 86_400, T0 - 31 * 86_400))
    os.utime(other, (T0 - 31 * 86_400, T0 - 31 * 86_400))

    kept_forever = prune(store, recordings, T0, keep_days=0, raw_keep_days=30)
    assert (kept_forever.bouts, kept_forever.recordings) == (0, 1)
    assert not old.exists() and new.exists() and other.exists()
    assert len(store.bouts_between("me", 0, 2 * T0)) == 6

    pruned = prune(store, recordings, T0, keep_days=30, raw_keep_days=30)
    assert pruned.bouts == 3
    assert [b.start for b in store.bouts_between("me", 0, 2 * T0)] == [T0, T0 + 60, T0 + 120]
    store.close()


def test_export_days_in_the_system_zone_follow_its_clock_changes(tmp_path):
    # No wearer.timezone: the system's zone decides the days. Pick a day in the other half of the year
    # from today, so a fixed offset taken from today would be an hour off on it.
    berlin = ZoneInfo("Europe/Berlin")
    summer_now = datetime.now(berlin).dst() != timedelta(0)
    day = date(2026, 1, 15) if summer_now else date(2026, 7, 1)
    db = tmp_path / "state" / "sitmon.sqlite3"
    config = tmp_path / "sitmon.toml"
    config.write_text(f'[wearer]\nid = "me"\n[store]\npath = "{db}"\n')
    store = Store.open(f"sqlite:///{db}")
    half_past_midnight = datetime.combine(day, datetime.min.time(), berlin).timestamp() + 1800
    for start in (half_past_midnight - 3600, half_past_midnight):  # 23:30 the day before, 00:30 the day
        store.record("me", [Bout(start, start + 60, Activity.SIT, Posture.UPRIGHT)], [], None)
    store.close()
    result = subprocess.run([str(SITMON), "export", "--from", day.isoformat(), "--to", day.isoformat()],
                            capture_output=True, text=True, timeout=120, check=False,
                            env={**os.environ, "SITMON_CONFIG": str(config), "TZ": "Europe/Berlin"})
    assert result.returncode == 0, result.stderr
    rows = list(csv.DictReader(result.stdout.splitlines()))
    assert [r["start"] for r in rows] == [datetime.fromtimestamp(half_past_midnight, berlin).isoformat()]
