"""Per-second activity and posture from one accelerometer, streaming, numpy only.

How a second is judged (docs/classification.md has the full story and the numbers):

1. Per-second statistics, vectorised over every complete second of a pushed block: the mean vector
   (gravity plus the slow part of the motion) and the spread (the dynamic part).
2. Units come from `GravityScale`: g and m/s^2 by magnitude, raw counts by a sphere fit over still
   seconds (auto-calibration), so the classifier is unit-agnostic.
3. The upright reference is learned without labels from walking: while walking, thigh and trunk are
   near vertical, so the mean gravity direction of sustained movement is "upright" in the sensor's
   own frame, whatever the mounting. An explicit calibration (stand upright) replaces it.
4. Movement first (spread above a threshold with the segment near upright); then the angle between
   the gravity direction and the upright reference separates standing from sitting (and lying for
   trunk sensors). A phone in a trouser pocket may sit in any rotation, so for the pocket the
   angle is taken to the nearer of the phone's long-axis line and the learned line (sign-agnostic).
5. Smoothing: each second's output is the majority of the raw judgements in a window of
   `2 * delay + 1` seconds centred on it, so a second is emitted `delay` seconds after it ends
   (bounded look-ahead; `flush()` emits the rest). A one- or two-second fidget is not a change.
6. Slump (trunk sensors only): while sitting, the flexion angle from the calibrated upright sitting
   direction; slumped once it stays beyond `slump_degrees` for `slump_hold` seconds. A thigh or
   pocket sensor cannot see the trunk, so its posture is always unknown.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass

import numpy as np

from monitor.model import Activity, Placement, Posture, PostureState, SampleBlock
from monitor.posture.calibration import Calibration, GravityScale, Vector

MIN_SAMPLES_PER_SECOND = 3
STILL_G = 0.03  # spread below which a second can feed the auto-calibration
MOVE_G = 0.10  # spread (g) above which a second counts as moving
WALK_MIN_RUN = 3  # consecutive moving seconds before a second may teach the upright reference
WALK_MAX_G = 1.5  # above this spread it is not walking (jumps, knocks): do not learn from it
VIGOROUS_G = 0.3  # spread (g) that counts as moving even when it does not look like steps
WALK_MIN_VERTICAL_SHARE = 0.35  # share of the dynamic variance along gravity while walking
WALK_MAX_CROSSINGS = 11  # sign changes of the vertical signal per second (steps are ~2 Hz)
THIGH_SIT_DEGREES = 45.0
TRUNK_SIT_DEGREES = 12.0
TRUNK_LIE_DEGREES = 60.0
MOVE_MAX_TILT_DEGREES = 35.0  # moving with the segment further than this from upright is a fidget
THIGH_LIE_ROLL_DEGREES = 65.0
DEFAULT_DELAY = 2
DEFAULT_SLUMP_DEGREES = 15.0
DEFAULT_SLUMP_HOLD = 10
UNCALIBRATED_SLUMP_EXTRA_DEGREES = 10.0  # without a sitting reference, slump is measured from upright

DEFAULT_UPRIGHT_AXIS: dict[Placement, Vector] = {
    # Sensor x along the thigh towards the knee: standing puts the reaction to gravity on -x.
    Placement.THIGH: (-1.0, 0.0, 0.0),
    # A phone's long axis lies along the thigh in a trouser pocket (used sign-agnostic).
    Placement.POCKET: (0.0, 1.0, 0.0),
    Placement.CHEST: (0.0, 1.0, 0.0),
    Placement.BACK: (0.0, 1.0, 0.0),
}

TRUNK = (Placement.CHEST, Placement.BACK)


@dataclass(frozen=True, slots=True)
class Settings:
    """Tunable parameters (defaults fitted or chosen as docs/classification.md explains)."""

    trunk_sit_degrees: float = TRUNK_SIT_DEGREES
    thigh_sit_degrees: float = THIGH_SIT_DEGREES
    move_g: float = MOVE_G
    delay: int = DEFAULT_DELAY
    slump_degrees: float = DEFAULT_SLUMP_DEGREES
    slump_hold: int = DEFAULT_SLUMP_HOLD
    # Weight of one walking second in the learned upright reference, by placement: a trunk sensor
    # stays put, so average long (stairs and slopes lean the trunk; they should not dominate); a
    # phone is put back in the pocket differently, so follow it quickly.
    trunk_reference_rate: float = 1.0 / 600.0
    thigh_reference_rate: float = 0.01
    pocket_reference_rate: float = 0.05


@dataclass(slots=True)
class _Raw:
    sec: int
    activity: Activity
    confidence: float
    posture: Posture


def _norm(v: Vector) -> float:
    return math.sqrt(v[0] * v[0] + v[1] * v[1] + v[2] * v[2])


def _angle(cos: float) -> float:
    return math.degrees(math.acos(1.0 if cos > 1.0 else -1.0 if cos < -1.0 else cos))


class StreamClassifier:
    """Classify samples second by second as they arrive (output delayed by `settings.delay` s)."""

    def __init__(self, placement: Placement, origin: float | None = None, *,
                 calibration: Calibration | None = None, settings: Settings | None = None) -> None:
        self.placement = placement
        self.settings = settings or Settings()
        self.calibration = calibration
        self._origin = None if origin is None else float(origin)
        self._scale = GravityScale()
        # Pending samples of the second that may still grow.
        self._pending_sec: int | None = None
        self._pending: list[np.ndarray] = []
        # Upright reference learned from walking, kept as a raw-unit mean so it follows refits.
        self._ref_raw: list[float] | None = None
        self._ref_seconds = 0
        self._move_run = 0
        self._walk_run = 0
        self._slump_run = 0
        self._prev_sec: int | None = None
        self._window: deque[_Raw] = deque()
        self._unemitted = 0
        default = DEFAULT_UPRIGHT_AXIS[placement]
        if calibration is not None and calibration.upright is not None:
            default = calibration.upright
        self._default_ref: Vector = default
        st = self.settings
        self._rate = (st.trunk_reference_rate if placement in TRUNK else
                      st.pocket_reference_rate if placement is Placement.POCKET else st.thigh_reference_rate)
        # Optional per-second trace for the bench (sec, tilt, spread in g, radius, learned).
        self.trace: list[tuple[int, float, float, float, bool]] | None = None

    # ---- streaming ------------------------------------------------------------------------------

    def push(self, block: SampleBlock) -> list[PostureState]:
        if len(block) == 0:
            return []
        if self._origin is None:
            self._origin = float(math.floor(float(block.t[0])))
        secs = np.floor(block.t - self._origin).astype(np.int64)
        xyz = np.asarray(block.xyz, dtype=np.float64)
        if self._pending_sec is not None:
            secs = np.concatenate([np.full(sum(len(p) for p in self._pending), self._pending_sec), secs])
            xyz = np.concatenate([*self._pending, xyz])
        # A second ends when the second index changes (time may also jump backwards: WISDM files
        # restart the device clock between activities; each jump simply starts a new second).
        starts = np.concatenate([[0], np.flatnonzero(secs[1:] != secs[:-1]) + 1])
        last = int(starts[-1])
        self._pending_sec = int(secs[last])
        self._pending = [xyz[last:].copy()]
        out: list[PostureState] = []
        if len(starts) > 1:
            self._judge_seconds(secs[starts[:-1]], starts[:-1], xyz[:last], out)
        return out

    def flush(self) -> list[PostureState]:
        out: list[PostureState] = []
        if self._pending_sec is not None and self._pending:
            xyz = np.concatenate(self._pending)
            if len(xyz):
                self._judge_seconds(np.array([self._pending_sec]), np.array([0]), xyz, out)
        self._pending_sec = None
        self._pending = []
        self._drain(out)
        return out

    # ---- per-second judgement -------------------------------------------------------------------

    def _judge_seconds(self, secs: np.ndarray, starts: np.ndarray, xyz: np.ndarray,
                       out: list[PostureState]) -> None:
        counts = np.diff(np.append(starts, len(xyz)))
        means = np.add.reduceat(xyz, starts, axis=0) / counts[:, None]
        if not self._scale.ready:
            # Units are decided by the first usable second, before anything else is computed.
            for n, m in zip(counts.tolist(), means.tolist(), strict=True):
                if n >= MIN_SAMPLES_PER_SECOND and self._scale.observe_first((m[0], m[1], m[2])):
                    break
        dev = xyz - np.repeat(means, counts, axis=0)
        total = np.add.reduceat(dev * dev, starts, axis=0).sum(axis=1)
        spread = np.sqrt(total / counts)
        # Gait features along each second's own vertical (gravity) direction, measured from the
        # fixed prior offset so that they do not depend on when the auto-calibration refits:
        # walking bounces the body along the vertical at step frequency, a seated fidget mostly
        # does not.
        vertical = means - np.asarray(self._scale.prior_offset)
        norm = np.linalg.norm(vertical, axis=1, keepdims=True)
        vertical = np.divide(vertical, norm, out=np.zeros_like(vertical), where=norm > 0)
        v = np.einsum("ij,ij->i", dev, np.repeat(vertical, counts, axis=0))
        vshare = np.add.reduceat(v * v, starts) / np.maximum(total, 1e-300)
        flips = np.empty(len(v), dtype=np.int64)
        flips[0] = 0
        np.not_equal(v[1:] > 0, v[:-1] > 0, out=flips[1:], casting="unsafe")
        flips[starts] = 0  # a crossing between two seconds belongs to neither
        crossings = np.add.reduceat(flips, starts)
        for sec, n, m, sd, vs, zc in zip(secs.tolist(), counts.tolist(), means.tolist(), spread.tolist(),
                                         vshare.tolist(), crossings.tolist(), strict=True):
            if self._prev_sec is not None and sec != self._prev_sec + 1:
                self._drain(out)
                self._move_run = 0
                self._walk_run = 0
                self._slump_run = 0
            self._prev_sec = sec
            self._append(self._judge(sec, n, (m[0], m[1], m[2]), sd, vs, zc), out)

    def _reference(self) -> tuple[Vector, bool]:
        if self._ref_raw is None:
            return self._default_ref, self.calibration is not None and self.calibration.upright is not None
        o = self._scale.offset
        r = (self._ref_raw[0] - o[0], self._ref_raw[1] - o[1], self._ref_raw[2] - o[2])
        n = _norm(r)
        if n == 0:
            return self._default_ref, False
        return (r[0] / n, r[1] / n, r[2] / n), True

    def _judge(self, sec: int, n: int, m: Vector, sd: float, vshare: float, crossings: int) -> _Raw:
        scale = self._scale
        if n < MIN_SAMPLES_PER_SECOND or not scale.ready:
            self._move_run = 0
            self._walk_run = 0
            return _Raw(sec, Activity.UNKNOWN, 0.0, Posture.UNKNOWN)
        g = scale.to_g(m)
        mag = _norm(g)
        if mag == 0 or not math.isfinite(mag):
            return _Raw(sec, Activity.UNKNOWN, 0.0, Posture.UNKNOWN)
        u = (g[0] / mag, g[1] / mag, g[2] / mag)
        dyn = sd / scale.radius
        s = self.settings
        if dyn < STILL_G:
            scale.observe_still(m)
        moving = dyn > s.move_g
        self._move_run = self._move_run + 1 if moving else 0
        ref, learned = self._reference()
        placement = self.placement

        if placement is Placement.POCKET:
            # Sign-agnostic: the phone may be upside down or re-inserted differently.
            d = self._default_ref
            cos = abs(u[0] * d[0] + u[1] * d[1] + u[2] * d[2])
            if learned:
                cos = max(cos, abs(u[0] * ref[0] + u[1] * ref[1] + u[2] * ref[2]))
        else:
            cos = u[0] * ref[0] + u[1] * ref[1] + u[2] * ref[2]
        tilt = _angle(cos)

        if self.trace is not None:
            self.trace.append((sec, tilt, dyn, scale.radius, learned))
        # Only gait teaches the upright reference: sustained, bouncing along the vertical, at a
        # step rate (a fidget in a chair is irregular and mostly sideways).
        gait = (moving and dyn < WALK_MAX_G and vshare > WALK_MIN_VERTICAL_SHARE
                and crossings <= WALK_MAX_CROSSINGS)
        # Moving means walking-like motion, or motion too vigorous for shifting on the spot.
        moving = gait or dyn > VIGOROUS_G
        self._walk_run = self._walk_run + 1 if gait else 0
        if self._walk_run >= WALK_MIN_RUN:
            self._learn(m)

        posture = Posture.UNKNOWN
        if placement in TRUNK:
            sit_deg = s.trunk_sit_degrees
            if moving and tilt < MOVE_MAX_TILT_DEGREES:
                activity = Activity.MOVE
                confidence = min(1.0, 0.5 + 2.0 * (dyn - s.move_g))
            elif not learned:
                # No upright reference yet (no calibration, no walking seen): a trunk sensor cannot
                # tell standing from sitting from a few degrees of lean against an unknown mounting.
                # A still wearer is most often seated, so say sit, with a confidence that says guess.
                activity = Activity.SIT
                confidence = 0.5
            elif tilt > TRUNK_LIE_DEGREES:
                activity = Activity.LIE
                confidence = min(1.0, 0.6 + (tilt - TRUNK_LIE_DEGREES) / 60.0)
            else:
                activity = Activity.SIT if tilt > sit_deg else Activity.STAND
                # Trunk-only sit/stand rests on a few degrees of lean: never fully certain.
                confidence = min(0.85, 0.5 + 0.35 * abs(tilt - sit_deg) / sit_deg)
            if activity is Activity.SIT:
                posture = self._slump(u, ref)
            else:
                self._slump_run = 0
        else:
            sit_deg = s.thigh_sit_degrees
            if moving and tilt < sit_deg:
                activity = Activity.MOVE
                confidence = min(1.0, 0.5 + 2.0 * (dyn - s.move_g))
            elif tilt > sit_deg:
                activity = Activity.SIT
                if placement is Placement.THIGH and self._lying(u, ref):
                    activity = Activity.LIE
                confidence = min(1.0, 0.5 + 0.5 * (tilt - sit_deg) / 30.0)
            else:
                activity = Activity.STAND
                confidence = min(1.0, 0.5 + 0.5 * (sit_deg - tilt) / 30.0)
        if not learned:
            confidence *= 0.7
        return _Raw(sec, activity, round(confidence, 3), posture)

    def _learn(self, m: Vector) -> None:
        if self._ref_raw is None:
            self._ref_raw = [m[0], m[1], m[2]]
            self._ref_seconds = 1
            return
        self._ref_seconds += 1
        # A running mean at first, then an exponential one so the reference follows re-mounting.
        w = max(1.0 / self._ref_seconds, self._rate)
        r = self._ref_raw
        r[0] += w * (m[0] - r[0])
        r[1] += w * (m[1] - r[1])
        r[2] += w * (m[2] - r[2])

    def _lying(self, u: Vector, ref: Vector) -> bool:
        # Thigh horizontal and rolled onto its side (Acti4's rule): gravity mostly along the
        # sensor's y axis (across the thigh) rather than z (out of its front).
        roll = math.degrees(math.atan2(abs(u[1]), abs(u[2])))
        return roll > THIGH_LIE_ROLL_DEGREES

    def _slump(self, u: Vector, upright: Vector) -> Posture:
        s = self.settings
        cal = self.calibration
        if cal is not None and cal.sitting is not None:
            ref, limit = cal.sitting, s.slump_degrees
        else:
            ref, limit = upright, s.slump_degrees + UNCALIBRATED_SLUMP_EXTRA_DEGREES
        flexion = _angle(u[0] * ref[0] + u[1] * ref[1] + u[2] * ref[2])
        self._slump_run = self._slump_run + 1 if flexion > limit else 0
        return Posture.SLUMPED if self._slump_run >= s.slump_hold else Posture.UPRIGHT

    # ---- smoothing with a bounded delay ---------------------------------------------------------

    def _append(self, raw: _Raw, out: list[PostureState]) -> None:
        d = self.settings.delay
        self._window.append(raw)
        self._unemitted += 1
        if len(self._window) > 2 * d + 1:
            self._window.popleft()
        if self._unemitted > d:
            self._emit(len(self._window) - self._unemitted, out)

    def _drain(self, out: list[PostureState]) -> None:
        while self._unemitted > 0:
            self._emit(len(self._window) - self._unemitted, out)
        self._window.clear()

    def _emit(self, index: int, out: list[PostureState]) -> None:
        d = self.settings.delay
        window = self._window
        centre = window[index]
        self._unemitted -= 1
        assert self._origin is not None
        t = self._origin + centre.sec
        if centre.activity is Activity.UNKNOWN:
            out.append(PostureState(t, Activity.UNKNOWN, Posture.UNKNOWN, 0.0))
            return
        votes: dict[Activity, int] = {}
        lo, hi = max(0, index - d), min(len(window), index + d + 1)
        for i in range(lo, hi):
            a = window[i].activity
            if a is not Activity.UNKNOWN:
                votes[a] = votes.get(a, 0) + 1
        best: Activity = centre.activity
        top = votes[best]
        for a, v in votes.items():
            if v > top:
                best, top = a, v
        confidence = centre.confidence * top / (hi - lo)
        posture = centre.posture if best is Activity.SIT else Posture.UNKNOWN
        if best is Activity.SIT and posture is Posture.UNKNOWN and self.placement in TRUNK:
            posture = Posture.UPRIGHT
        out.append(PostureState(t, best, posture, round(confidence, 3)))


def classify_recording(block: SampleBlock, placement: Placement, *,
                       calibration: Calibration | None = None,
                       settings: Settings | None = None) -> list[PostureState]:
    """Classify a whole recording; identical to streaming it through StreamClassifier."""
    classifier = StreamClassifier(placement, origin=float(block.t[0]) if len(block) else None,
                                  calibration=calibration, settings=settings)
    return [*classifier.push(block), *classifier.flush()]
