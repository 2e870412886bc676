"""Guided live calibration: the daemon tells the wearer to stand, then sit, and keeps the result."""

from __future__ import annotations

import math

import numpy as np

from monitor.adapters.store import Store
from monitor.calibration_session import CalibrationSession, Phase
from monitor.clock import ManualClock
from monitor.config import parse_settings
from monitor.daemon import Daemon
from monitor.model import Placement, SampleBlock

T0 = 1_795_597_200.0


def hold(start: float, seconds: float, lean_degrees: float, rate: float = 25.0, jitter: float = 0.005,
         seed: int = 1) -> SampleBlock:
    """A chest sensor held still: gravity's reaction along +y, leaning back by `lean_degrees`."""
    t = start + np.arange(int(seconds * rate)) / rate
    a = math.radians(lean_degrees)
    xyz = np.tile([0.0, math.cos(a), -math.sin(a)], (len(t), 1))
    xyz += np.random.default_rng(seed).normal(0, jitter, xyz.shape)
    return SampleBlock(t, xyz)


def test_a_session_cuts_both_holds_out_of_the_stream():
    session = CalibrationSession("chest", Placement.CHEST, T0)
    assert "stand upright" in session.first_instruction()
    step = session.push(hold(T0, 14, 0))
    assert session.phase is Phase.SIT and "sit upright" in (step.instruction or "")
    step = session.push(hold(T0 + 14, 14, 12))
    assert session.phase is Phase.DONE and step.calibration is not None
    assert step.calibration.placement is Placement.CHEST
    assert step.calibration.upright is not None and step.calibration.sitting is not None


def test_a_session_that_sees_movement_fails_with_the_reason():
    session = CalibrationSession("chest", Placement.CHEST, T0)
    session.push(hold(T0, 14, 0))
    step = session.push(hold(T0 + 14, 14, 12, jitter=0.4))
    assert session.phase is Phase.FAILED and step.error


def test_the_daemon_calibrates_keeps_it_and_uses_it_after_a_restart(tmp_path):
    settings = parse_settings({
        "wearer": {"id": "w", "timezone": "UTC"},
        "wearables": [{"name": "chest", "kind": "emulated", "placement": "chest"}],
        "mqtt": {"enabled": False}, "dashboard": {"enabled": False}, "notify": {"desktop": False},
        "store": {"path": str(tmp_path / "c.sqlite3")},
    }, environ={})
    store = Store.open(settings.store.sqlalchemy_url())
    clock = ManualClock(T0)
    daemon = Daemon(settings, clock, store, None)
    assert daemon.run_command("calibrate", {"wearable": "nope"}).startswith("refused")
    assert daemon.run_command("calibrate", {}).startswith("calibration of chest started")
    for start, lean in ((T0, 0.0), (T0 + 14, 12.0)):
        block = hold(start, 14, lean)
        clock.set(float(block.t[-1]) + 0.04)
        daemon.samples("chest", block)
    saved = store.calibration("w", "chest")
    assert saved is not None and saved["placement"] == "chest"
    assert daemon._calibrating == {}
    restarted = Daemon(settings, clock, store, None)
    assert restarted._stored_calibration(restarted.primary) is not None
    store.close()
