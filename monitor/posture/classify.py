"""A first classifier: per-second gravity direction and movement intensity.

Movement is the spread of the acceleration within the second relative to its mean magnitude, so
it needs no unit. Sit/stand comes from the angle between the second's gravity direction and an
"upright" reference: for a thigh or pocket sensor the thigh is near vertical when standing and
near horizontal when seated; for a trunk sensor the trunk leans or reclines when seated. The
reference starts from the placement's default axis and is refined, without labels, from walking
seconds, when the thigh and the trunk are both near vertical.
"""

from __future__ import annotations

import math

import numpy as np

from monitor.model import Activity, FloatArray, Placement, Posture, PostureState, SampleBlock

MOVE_THRESHOLD = 0.12  # relative dynamic acceleration above which a second counts as moving
THIGH_SIT_DEGREES = 45.0
TRUNK_SIT_DEGREES = 15.0
TRUNK_LIE_DEGREES = 60.0
MIN_SAMPLES_PER_SECOND = 3
REFERENCE_WEIGHT = 0.05  # how much one walking second moves the learned upright reference

DEFAULT_UPRIGHT_AXIS: dict[Placement, tuple[float, float, float]] = {
    # Sensor x along the thigh towards the knee: standing puts the reaction to gravity on -x.
    Placement.THIGH: (-1.0, 0.0, 0.0),
    Placement.POCKET: (0.0, 1.0, 0.0),
    Placement.CHEST: (0.0, 1.0, 0.0),
    Placement.BACK: (0.0, 1.0, 0.0),
}


def _unit(v: FloatArray) -> FloatArray:
    norm = float(np.linalg.norm(v))
    return v / norm if norm > 0 else v


class StreamClassifier:
    """Classify samples second by second as they arrive."""

    def __init__(self, placement: Placement, origin: float | None = None) -> None:
        self.placement = placement
        self._origin = origin
        self._second: int | None = None
        self._pending_t: list[FloatArray] = []
        self._pending_xyz: list[FloatArray] = []
        self._upright = _unit(np.array(DEFAULT_UPRIGHT_AXIS[placement], dtype=np.float64))
        self._learned = False

    def push(self, block: SampleBlock) -> list[PostureState]:
        if len(block) == 0:
            return []
        if self._origin is None:
            self._origin = math.floor(float(block.t[0]))
        out: list[PostureState] = []
        # A device clock may restart (time jumps back): classify each monotonic run on its own.
        runs = np.split(np.arange(len(block)), np.flatnonzero(np.diff(block.t) < 0) + 1)
        for run in runs:
            out.extend(self._push_monotonic(block.t[run], block.xyz[run]))
        return out

    def _push_monotonic(self, t: FloatArray, xyz: FloatArray) -> list[PostureState]:
        assert self._origin is not None
        seconds = np.floor(t - self._origin).astype(np.int64)
        out: list[PostureState] = []
        start = 0
        while start < len(t):
            sec = int(seconds[start])
            end = int(np.searchsorted(seconds, sec, side="right"))
            if self._second is not None and sec != self._second:
                out.extend(self._close())
            self._second = sec
            self._pending_t.append(t[start:end])
            self._pending_xyz.append(xyz[start:end])
            start = end
        return out

    def flush(self) -> list[PostureState]:
        return self._close()

    def _close(self) -> list[PostureState]:
        if self._second is None or self._origin is None:
            return []
        xyz = np.concatenate(self._pending_xyz) if self._pending_xyz else np.empty((0, 3))
        t0 = self._origin + self._second
        self._pending_t.clear()
        self._pending_xyz.clear()
        self._second = None
        return [self._judge(t0, xyz)]

    def _judge(self, t0: float, xyz: FloatArray) -> PostureState:
        if len(xyz) < MIN_SAMPLES_PER_SECOND:
            return PostureState(t0, Activity.UNKNOWN, Posture.UNKNOWN, 0.0)
        mean = xyz.mean(axis=0)
        gravity = float(np.linalg.norm(mean))
        if gravity == 0:
            return PostureState(t0, Activity.UNKNOWN, Posture.UNKNOWN, 0.0)
        movement = float(np.sqrt(xyz.var(axis=0).sum())) / gravity
        direction = mean / gravity
        if movement > MOVE_THRESHOLD:
            # Walking holds the thigh and trunk near vertical: learn the upright reference from it.
            self._upright = _unit((1 - REFERENCE_WEIGHT) * self._upright + REFERENCE_WEIGHT * direction)
            self._learned = True
            confidence = min(1.0, 0.5 + movement)
            return PostureState(t0, Activity.MOVE, Posture.UNKNOWN, round(confidence, 3))
        angle = math.degrees(math.acos(max(-1.0, min(1.0, float(direction @ self._upright)))))
        if self.placement in (Placement.THIGH, Placement.POCKET):
            activity = Activity.SIT if angle > THIGH_SIT_DEGREES else Activity.STAND
            margin = abs(angle - THIGH_SIT_DEGREES) / THIGH_SIT_DEGREES
        elif angle > TRUNK_LIE_DEGREES:
            activity = Activity.LIE
            margin = (angle - TRUNK_LIE_DEGREES) / TRUNK_LIE_DEGREES
        else:
            activity = Activity.SIT if angle > TRUNK_SIT_DEGREES else Activity.STAND
            margin = abs(angle - TRUNK_SIT_DEGREES) / TRUNK_SIT_DEGREES
        confidence = min(1.0, 0.5 + 0.5 * margin) * (1.0 if self._learned else 0.8)
        return PostureState(t0, activity, Posture.UNKNOWN, round(confidence, 3))


def classify_recording(block: SampleBlock, placement: Placement) -> list[PostureState]:
    """Classify a whole recording; identical to streaming it through StreamClassifier."""
    classifier = StreamClassifier(placement, origin=float(block.t[0]) if len(block) else None)
    return [*classifier.push(block), *classifier.flush()]
