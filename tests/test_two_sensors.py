"""A thigh sensor and a chest sensor together: the thigh decides sitting, the chest sees slumping."""

from __future__ import annotations

import math

import numpy as np

from monitor.adapters.store import Store
from monitor.clock import ManualClock
from monitor.config import parse_settings
from monitor.daemon import Daemon
from monitor.model import Activity, EventType, Posture, PostureState, SampleBlock
from monitor.pipeline import LEG, TRUNK, SecondAligner
from monitor.posture import calibrate
from monitor.scripted_day import Segment, ThighMotion

T0 = 1_795_597_200.0


def state(t: float, activity: Activity, posture: Posture = Posture.UNKNOWN) -> PostureState:
    return PostureState(t, activity, posture, 0.9)


def test_aligner_combines_seconds_both_sensors_gave():
    aligner = SecondAligner(wait=10)
    assert aligner.push(LEG, [state(T0, Activity.SIT)]) == []  # waits for the trunk's view of T0
    [both] = aligner.push(TRUNK, [state(T0, Activity.STAND, Posture.SLUMPED)])
    assert (both.t, both.activity, both.posture) == (T0, Activity.SIT, Posture.SLUMPED)


def test_aligner_goes_on_alone_when_the_other_sensor_lags_and_drops_the_late():
    aligner = SecondAligner(wait=10)
    alone = aligner.push(LEG, [state(T0 + k, Activity.SIT) for k in range(15)])
    assert [s.t - T0 for s in alone] == [0, 1, 2, 3, 4]  # 14 - 10: the trunk is over 10 s behind
    assert aligner.push(TRUNK, [state(T0 + 2, Activity.LIE)]) == []  # second 2 is settled
    rest = aligner.flush()
    assert [s.t - T0 for s in rest] == list(range(5, 15))


def chest(start: float, seconds: float, flexion_degrees: float, rate: float = 25.0) -> SampleBlock:
    """A chest sensor, still, upright along +y, bent forward by `flexion_degrees`."""
    t = start + np.arange(int(seconds * rate)) / rate
    a = math.radians(flexion_degrees)
    xyz = np.tile([0.0, math.cos(a), math.sin(a)], (len(t), 1))
    xyz += np.random.default_rng(int(start) % 1000).normal(0, 0.004, xyz.shape)
    return SampleBlock(t, xyz)


def test_thigh_and_chest_together_nudge_about_slumping(tmp_path):
    settings = parse_settings({
        "wearer": {"id": "w", "timezone": "UTC"},
        "wearables": [{"name": "thigh", "kind": "emulated", "placement": "thigh"},
                      {"name": "chest", "kind": "polar-h10", "placement": "chest"}],
        "slump": {"hold_seconds": 60, "interval_minutes": 10},
        "mqtt": {"enabled": False}, "dashboard": {"enabled": False}, "notify": {"desktop": False},
        "store": {"path": str(tmp_path / "two.sqlite3")},
    }, environ={})
    store = Store.open(settings.store.sqlalchemy_url())
    upright = calibrate(settings.wearables[1].placement, stand=chest(T0 - 100, 10, 0), sit=chest(T0 - 50, 10, 0))
    store.save_calibration("w", "chest", T0 - 40, upright.to_dict())
    clock = ManualClock(T0)
    daemon = Daemon(settings, clock, store, None)
    assert daemon.companion is not None and daemon.companion.name == "chest"
    thigh = ThighMotion([Segment(Activity.SIT, 3600)], start=T0)
    # Ten minutes upright, then twenty slumped forward by 30 degrees, on the chest; sitting on the thigh.
    t = T0
    while t < T0 + 30 * 60:
        flexion = 0.0 if t < T0 + 600 else 30.0
        daemon.samples("thigh", thigh.samples(t, t + 5))
        daemon.samples("chest", chest(t, 5, flexion))
        t += 5
        clock.set(t)
    nudges = store.events_between("w", T0, t, [EventType.SLUMP_NUDGE])
    bouts = store.bouts_between("w", T0, t) + ([daemon.pipeline.tracker.open_bout()] if
                                               daemon.pipeline.tracker.open_bout() else [])
    store.close()
    assert all(b.activity is Activity.SIT for b in bouts)
    slumped = sum(b.seconds for b in bouts if b.posture is Posture.SLUMPED)
    assert 17 * 60 <= slumped <= 20 * 60
    # Slumped from about 10:00 (plus the posture hold): first nudge a minute later, then every 10 min.
    assert [round((n.t - T0) / 60) for n in nudges] in ([11, 21], [12, 22])
