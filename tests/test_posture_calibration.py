"""Calibration (stand upright, sit upright) and slump, on emulated trunk recordings."""

from __future__ import annotations

import math

import numpy as np
import pytest

from monitor.model import Activity, Placement, Posture, SampleBlock
from monitor.posture import Calibration, CalibrationError, Settings, calibrate, classify_recording
from monitor.posture.calibration import GravityScale, block_in_g

RATE = 50.0
UP = np.array([0.0, 1.0, 0.0])


def lean(degrees: float) -> np.ndarray:
    """Gravity's reaction for a trunk sensor (y up the spine, z out of the chest) leaning forward."""
    a = math.radians(degrees)
    return np.array([0.0, math.cos(a), math.sin(a)])


def hold(direction: np.ndarray, seconds: float, seed: int, *, walk: bool = False) -> np.ndarray:
    rng = np.random.default_rng(seed)
    n = int(seconds * RATE)
    xyz = np.tile(direction, (n, 1)) + rng.normal(0, 0.01, (n, 3))
    if walk:
        phase = 2 * math.pi * 0.9 * np.arange(n) / RATE
        xyz[:, 1] += 0.4 * np.sin(2 * phase)
        xyz[:, 0] += 0.15 * np.sin(phase)
    return xyz


def block(parts: list[np.ndarray], start: float = 1_000.0) -> SampleBlock:
    xyz = np.concatenate(parts)
    return SampleBlock(start + np.arange(len(xyz)) / RATE, xyz)


def test_calibrate_returns_unit_references_and_round_trips() -> None:
    cal = calibrate(Placement.CHEST, stand=block([hold(UP * 1.02, 5, 1)]), sit=block([hold(lean(-12), 5, 2)]))
    assert cal.upright is not None and cal.sitting is not None
    assert math.isclose(float(np.linalg.norm(cal.upright)), 1.0, rel_tol=1e-9)
    assert math.degrees(math.acos(float(np.dot(cal.upright, cal.sitting)))) == pytest.approx(12, abs=1)
    assert Calibration.from_dict(cal.to_dict()) == cal


def test_calibrate_refuses_moving_short_or_empty_holds() -> None:
    with pytest.raises(CalibrationError, match="moved"):
        calibrate(Placement.CHEST, stand=block([hold(UP, 5, 1, walk=True)]))
    with pytest.raises(CalibrationError, match="at least"):
        calibrate(Placement.CHEST, stand=block([hold(UP, 1, 1)]))
    with pytest.raises(CalibrationError):
        calibrate(Placement.CHEST)
    with pytest.raises(CalibrationError):
        Calibration.from_dict({"placement": "chest", "upright": [1, 2]})
    with pytest.raises(CalibrationError):
        block_in_g(block([hold(UP * 2000, 5, 1)]))


def test_calibration_then_slouch_is_slumped_after_the_hold() -> None:
    # Emulated session: calibration holds first, then a working stretch that slouches and recovers.
    stand = block([hold(UP, 5, 1)])
    sit = block([hold(lean(-10), 5, 2)])  # sitting tall, leaning back on the chair a little
    cal = calibrate(Placement.CHEST, stand=stand, sit=sit)
    day = block([
        hold(UP, 60, 3, walk=True),
        hold(lean(-10), 120, 4),  # upright sitting
        hold(lean(22), 120, 5),  # slouched: 32 degrees of flexion from upright sitting
        hold(lean(-9), 60, 6),  # upright again
        hold(UP, 60, 7),  # standing
    ])
    settings = Settings(slump_degrees=15.0, slump_hold=10)
    states = classify_recording(day, Placement.CHEST, calibration=cal, settings=settings)
    assert len(states) == 420
    sitting = states[62:358]
    assert all(s.activity is Activity.SIT for s in sitting)
    assert all(s.posture is Posture.UPRIGHT for s in states[62:178])
    # The hold: the first 9 slouched seconds are still upright, then slumped until it ends.
    assert all(s.posture is Posture.UPRIGHT for s in states[182:189])
    assert all(s.posture is Posture.SLUMPED for s in states[192:298])
    assert all(s.posture is Posture.UPRIGHT for s in states[302:358])
    assert all(s.activity is Activity.STAND for s in states[362:420])
    assert all(s.posture is Posture.UNKNOWN for s in states[362:420])


def test_slump_angle_is_configurable() -> None:
    cal = calibrate(Placement.CHEST, stand=block([hold(UP, 5, 1)]), sit=block([hold(lean(-10), 5, 2)]))
    day = block([hold(lean(18), 120, 3)])  # 28 degrees from upright sitting
    strict = classify_recording(day, Placement.CHEST, calibration=cal, settings=Settings(slump_degrees=15))
    lenient = classify_recording(day, Placement.CHEST, calibration=cal, settings=Settings(slump_degrees=30))
    assert sum(s.posture is Posture.SLUMPED for s in strict) > 100
    assert all(s.posture is not Posture.SLUMPED for s in lenient)


def test_thigh_never_reports_slump_even_with_a_calibration() -> None:
    thigh_sit = np.array([0.0, 0.0, 1.0])
    cal = calibrate(Placement.THIGH, stand=block([hold(np.array([-1.0, 0, 0]), 5, 1)]),
                    sit=block([hold(thigh_sit, 5, 2)]))
    day = block([hold(np.array([0.3, 0.0, 0.95]), 120, 3)])
    states = classify_recording(day, Placement.THIGH, calibration=cal)
    assert all(s.activity is Activity.SIT and s.posture is Posture.UNKNOWN for s in states)


def test_trunk_without_any_reference_guesses_sit_with_low_confidence() -> None:
    states = classify_recording(block([hold(lean(5), 60, 1)]), Placement.CHEST)
    assert all(s.activity is Activity.SIT for s in states)
    assert all(s.confidence <= 0.4 for s in states)


@pytest.mark.parametrize(("offset", "scale"), [((0.0, 0.0, 0.0), 1.0), ((0.0, 0.0, 0.0), 9.80665),
                                              ((2048.0, 1990.0, 2010.0), 330.0)])
def test_gravity_scale_learns_units_and_offset(offset: tuple[float, float, float], scale: float) -> None:
    rng = np.random.default_rng(0)
    gs = GravityScale()
    directions = rng.normal(size=(600, 3))
    directions /= np.linalg.norm(directions, axis=1, keepdims=True)
    directions[:, 1] = np.abs(directions[:, 1]) + 1.0  # mostly upright, as worn
    directions /= np.linalg.norm(directions, axis=1, keepdims=True)
    raw = np.asarray(offset) + scale * directions
    assert gs.observe_first(tuple(raw[0]))
    for m in raw:
        gs.observe_still((float(m[0]), float(m[1]), float(m[2])))
    g = np.array([gs.to_g((float(m[0]), float(m[1]), float(m[2]))) for m in raw])
    assert np.allclose(np.linalg.norm(g, axis=1), 1.0, atol=0.02)


def test_a_calibration_belongs_to_one_placement() -> None:
    cal = calibrate(Placement.CHEST, stand=block([hold(UP, 5, 1)]))
    with pytest.raises(CalibrationError, match="chest"):
        classify_recording(block([hold(UP, 5, 2)]), Placement.THIGH, calibration=cal)
