"""Synthetic thigh-sensor motion for a scripted day: the emulated wearable's physics.

The script says what the wearer does; `ThighMotion` turns it into raw accelerometer samples in g,
as a thigh sensor would report them: sensor x along the thigh towards the knee, z out of the
front of the thigh, gravity's reaction included, with sensor noise, a slightly different thigh
angle in every segment, and gait oscillations while walking. Only samples leave this module; the
script's labels are never attached to them.

Pure: a function of the script, the seed and the requested time range.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import numpy.typing as npt

from monitor.model import Activity, FloatArray, Placement, Posture, SampleBlock

NOISE_G = 0.012


@dataclass(frozen=True, slots=True)
class Segment:
    activity: Activity
    seconds: float
    posture: Posture = Posture.UPRIGHT


def _m(minutes: float) -> float:
    return minutes * 60.0


SIT, STAND, MOVE = Activity.SIT, Activity.STAND, Activity.MOVE
SLUMPED = Posture.SLUMPED

# A compressed working morning: long sitting, a short stand that is not a break, slumping,
# real breaks, and a second long stretch of sitting that earns a prompt and a repeat.
DEMO_DAY: tuple[Segment, ...] = (
    Segment(SIT, _m(18)),
    Segment(SIT, _m(7), SLUMPED),
    Segment(SIT, _m(9)),
    Segment(MOVE, _m(3)),
    Segment(STAND, _m(4)),
    Segment(SIT, _m(11)),
    Segment(STAND, 30.0),
    Segment(SIT, _m(10)),
    Segment(MOVE, _m(2)),
    Segment(SIT, _m(20)),
    Segment(SIT, _m(8), SLUMPED),
    Segment(SIT, _m(15)),
    Segment(MOVE, _m(6)),
    Segment(STAND, _m(12)),
    Segment(SIT, _m(25)),
    Segment(MOVE, _m(4)),
)


def script_seconds(script: Sequence[Segment]) -> float:
    return sum(seg.seconds for seg in script)


def seconds_of(script: Sequence[Segment], activity: Activity, until: float | None = None) -> float:
    """How long the script spends in `activity` within its first `until` seconds."""
    total, elapsed = 0.0, 0.0
    for seg in script:
        span = seg.seconds if until is None else max(0.0, min(seg.seconds, until - elapsed))
        if seg.activity is activity:
            total += span
        elapsed += seg.seconds
    return total


def _up_vector(pitch: FloatArray, roll: FloatArray) -> FloatArray:
    """Gravity's reaction in the sensor frame for a thigh pitched `pitch` rad from vertical."""
    return np.stack([-np.cos(pitch), np.sin(pitch) * np.sin(roll), np.sin(pitch) * np.cos(roll)], axis=1)


class ThighMotion:
    """Raw samples for a repeating script, starting at `start` (epoch s), at `rate_hz`.

    Angles are the sensor's pitch from vertical per activity (degrees) and its roll; a subclass
    for another placement changes the table, the slump offset and the gait swing.
    """

    ANGLES: ClassVar[dict[Activity, tuple[float, float]]] = {
        Activity.SIT: (88.0, 4.0), Activity.STAND: (4.0, 0.0), Activity.MOVE: (12.0, 0.0),
        Activity.LIE: (90.0, 75.0),
    }
    SLUMP_DEGREES = -9.0  # pelvis rolled back onto the tailbone lifts the thighs a little
    GAIT_SWING_DEGREES = 20.0

    def __init__(self, script: Sequence[Segment], start: float, rate_hz: float = 50.0, seed: int = 7) -> None:
        if not script:
            raise ValueError("the script is empty")
        self.script = tuple(script)
        self.start = start
        self.rate_hz = rate_hz
        self.seed = seed
        self._bounds = np.cumsum([0.0, *(seg.seconds for seg in self.script)])
        self.period = float(self._bounds[-1])
        self._noise_key: tuple[int, int] | None = None
        self._noise: FloatArray = np.empty((0, 3))

    def samples(self, t_from: float, t_to: float) -> SampleBlock:
        """Every sample with t_from <= t < t_to (sample instants are start + k / rate)."""
        k0 = math.ceil(round((t_from - self.start) * self.rate_hz, 6))
        k1 = math.ceil(round((t_to - self.start) * self.rate_hz, 6))
        k = np.arange(max(k0, 0), max(k1, 0), dtype=np.int64)
        rel = k / self.rate_hz
        xyz = np.empty((len(k), 3))
        cycle = np.floor(rel / self.period).astype(np.int64)
        within = rel - cycle * self.period
        index = np.searchsorted(self._bounds, within, side="right") - 1
        for key in np.unique(np.stack([cycle, index], axis=1), axis=0) if len(k) else []:
            mask = (cycle == key[0]) & (index == key[1])
            xyz[mask] = self._segment(int(key[0]), int(key[1]), within[mask] - self._bounds[key[1]], k[mask])
        return SampleBlock(self.start + rel, xyz)

    def _segment(self, cycle: int, index: int, tau: FloatArray, k: npt.NDArray[np.int64]) -> FloatArray:
        seg = self.script[index]
        rng = np.random.default_rng([self.seed, cycle, index])
        base_pitch, base_roll = self.ANGLES.get(seg.activity, (45.0, 0.0))
        if seg.posture is Posture.SLUMPED and seg.activity is Activity.SIT:
            base_pitch += self.SLUMP_DEGREES
        pitch = np.full(len(tau), math.radians(base_pitch + rng.normal(0, 4)))
        roll = np.full(len(tau), math.radians(base_roll + rng.normal(0, 5)))
        dynamic = np.zeros((len(tau), 3))
        if seg.activity is Activity.MOVE:
            stride_hz = 0.9 + 0.1 * rng.random()
            phase = 2 * math.pi * stride_hz * tau
            pitch = pitch + math.radians(self.GAIT_SWING_DEGREES) * np.sin(phase)
            bounce = 0.45 * np.sin(2 * phase) + 0.15 * np.sin(4 * phase + 0.7)
            dynamic += self._gait(pitch, phase, bounce)
        elif seg.activity is Activity.SIT:
            # Small shifts in the chair: a slow drift of the thigh angle.
            pitch = pitch + math.radians(2) * np.sin(2 * math.pi * tau / 97.0)
        # Noise is drawn once per segment and indexed by sample, so any split of a range agrees.
        first = round((self._bounds[index] + cycle * self.period) * self.rate_hz)
        noise: FloatArray = self._segment_noise(cycle, index)[k - first]
        return self._up(pitch, roll) + dynamic + noise

    def _up(self, pitch: FloatArray, roll: FloatArray) -> FloatArray:
        return _up_vector(pitch, roll)

    def _gait(self, pitch: FloatArray, phase: FloatArray, bounce: FloatArray) -> FloatArray:
        out = np.zeros((len(pitch), 3))
        out[:, 0] = -bounce * np.cos(pitch)  # the step's bounce, along the near-vertical thigh
        out[:, 2] = 0.25 * np.cos(phase)
        return out

    def _segment_noise(self, cycle: int, index: int) -> FloatArray:
        if self._noise_key != (cycle, index):
            count = math.ceil(self.script[index].seconds * self.rate_hz) + 2
            self._noise = np.random.default_rng([self.seed, cycle, index, 1]).normal(0, NOISE_G, (count, 3))
            self._noise_key = (cycle, index)
        return self._noise


def motion_for(placement: Placement) -> type[ThighMotion]:
    """The physics of an emulated sensor at this placement (a pocket moves like the thigh)."""
    return ChestMotion if placement in (Placement.CHEST, Placement.BACK) else ThighMotion


class ChestMotion(ThighMotion):
    """The same script seen by a chest sensor (e.g. a heart-rate strap): y along the trunk, upwards,
    z out of the chest. Pitch is forward flexion of the trunk: a little back-lean when sitting
    upright against the backrest, rounded forward when slumped."""

    ANGLES: ClassVar[dict[Activity, tuple[float, float]]] = {
        Activity.SIT: (-6.0, 0.0), Activity.STAND: (0.0, 0.0), Activity.MOVE: (3.0, 0.0),
        Activity.LIE: (90.0, 0.0),
    }
    SLUMP_DEGREES = 30.0
    GAIT_SWING_DEGREES = 3.0

    def _up(self, pitch: FloatArray, roll: FloatArray) -> FloatArray:
        return np.stack([np.sin(roll) * np.cos(pitch), np.cos(pitch) * np.cos(roll), np.sin(pitch)], axis=1)

    def _gait(self, pitch: FloatArray, phase: FloatArray, bounce: FloatArray) -> FloatArray:
        out = np.zeros((len(pitch), 3))
        out[:, 1] = bounce * np.cos(pitch)  # the trunk rides each step up and down
        out[:, 0] = 0.08 * np.sin(phase)  # and sways a little from side to side
        return out

    def still(self, activity: Activity, start: float, seconds: float) -> SampleBlock:
        """A still hold in a posture (for a calibration as the wearer would make it)."""
        pitch, roll = self.ANGLES[activity]
        n = int(seconds * self.rate_hz)
        t = start + np.arange(n) / self.rate_hz
        up = self._up(np.full(n, math.radians(pitch)), np.full(n, math.radians(roll)))
        return SampleBlock(t, up + np.random.default_rng([self.seed, 99]).normal(0, NOISE_G / 3, (n, 3)))
