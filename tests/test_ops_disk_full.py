"""A full disk under the daemon (a 2 MiB tmpfs, filled up): prompts keep coming, the storage error is
logged once a minute, and everything held is written once space returns."""

from __future__ import annotations

import errno
import logging
import os
import sqlite3
import subprocess
from itertools import pairwise
from pathlib import Path

import pytest

from monitor.adapters.store import Store
from monitor.clock import ManualClock
from monitor.config import parse_settings
from monitor.daemon import Daemon
from monitor.metrics import STORE_ERRORS, STORE_PENDING
from monitor.scripted_day import DEMO_DAY, ThighMotion

T0 = 1_795_597_200.0
STEP = 5.0


@pytest.fixture
def small_disk(tmp_path):
    mount = tmp_path / "small"
    mount.mkdir()
    result = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m,mode=0700", "tmpfs", str(mount)],
                            capture_output=True, text=True, check=False)
    if result.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here (root and CAP_SYS_ADMIN needed): {result.stderr.strip()}")
    yield mount
    subprocess.run(["umount", "--lazy", str(mount)], check=True)


def _fill(directory: Path) -> Path:
    filler = directory / "filler"
    chunk = b"\0" * 4096
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        while True:
            os.write(fd, chunk)
    except OSError as exc:
        assert exc.errno == errno.ENOSPC
    finally:
        os.close(fd)
    return filler


async def test_a_full_disk_keeps_prompts_coming_and_loses_nothing_once_space_returns(small_disk, caplog):
    caplog.set_level(logging.INFO, logger="monitor.adapters.store_guard")
    db = small_disk / "sitmon.sqlite3"
    settings = parse_settings({
        "wearer": {"id": "full", "timezone": "UTC"},
        "wearables": [{"name": "thigh", "kind": "emulated", "placement": "thigh"}],
        "mqtt": {"enabled": False}, "dashboard": {"enabled": False}, "notify": {"desktop": False},
        "store": {"path": str(db)},
    }, environ={})
    clock = ManualClock(T0)
    store = Store.open(f"sqlite:///{db}")
    daemon = Daemon(settings, clock, store, None, [])
    daemon.writer.monotonic = clock.now  # "once a minute" in the replay's own minutes
    motion = ThighMotion(DEMO_DAY, start=T0)

    def feed(until_minute: float) -> None:
        t = clock.now()
        while t < T0 + until_minute * 60:
            block = motion.samples(t, t + STEP)
            t += STEP
            clock.set(t)
            daemon.samples("thigh", block)

    feed(1)
    errors_before = STORE_ERRORS.value(kind="disk_full")
    filler = _fill(small_disk)

    # The script sits for 34 minutes from its start, so the first prompt falls due at 30:00, on a full disk.
    feed(40)
    failures = STORE_ERRORS.value(kind="disk_full") - errors_before
    logged = [r for r in caplog.records if r.levelno == logging.ERROR and "cannot write to the store" in r.message]
    assert [p.t for p in daemon.prompts_delivered] == [T0 + 30 * 60]
    assert failures > 300  # one per step of the 39 minutes
    assert 39 <= len(logged) <= 40  # but logged once a minute
    assert "disk_full" in logged[0].message
    assert STORE_PENDING.value() == daemon.writer.pending_steps > 300
    # The day's totals still count what waits in memory.
    assert daemon.today().sitting_seconds >= 34 * 60 - 10

    filler.unlink()
    feed(41)
    assert daemon.writer.pending_steps == 0 and STORE_PENDING.value() == 0
    assert any("takes writes again" in r.message for r in caplog.records)
    store.close()

    conn = sqlite3.connect(db)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        bouts = conn.execute("SELECT start, \"end\", activity FROM bouts ORDER BY start").fetchall()
        prompts = conn.execute("SELECT t FROM events WHERE type = 'prompt'").fetchall()
    finally:
        conn.close()
    assert prompts == [(T0 + 30 * 60,)]
    assert bouts[0][0] == T0
    for (_, end, _), (start, _, _) in pairwise(bouts):
        assert start == pytest.approx(end)  # no hole where the disk was full
    sitting = sum(e - s for s, e, a in bouts if a == "sit")
    assert abs(sitting - 34 * 60) <= 10
