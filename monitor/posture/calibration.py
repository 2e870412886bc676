"""Calibration: what the classifier knows about one sensor on one wearer.

Two kinds of knowledge, both optional:

- Units and offset. Live sensors report g; research files may hold m/s^2 or raw ADC counts with an
  unknown zero-g offset. `GravityScale` turns raw values into g. For counts it starts from a weak
  prior (the same zero-g offset on every axis, read off the first still second) and refines offset
  and radius with a sphere fit over still seconds, as GGIR's auto-calibration does: at rest the
  calibrated vector must have length 1 g, whatever the orientation.
- Reference directions from an explicit `sitmon calibrate` (stand upright, then sit upright): the
  upright direction sharpens sit/stand for trunk sensors, and the upright *sitting* direction is
  what slump is measured against.

Everything here is pure: arrays in, values out.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from monitor.model import FloatArray, Placement, SampleBlock

Vector = tuple[float, float, float]

STANDARD_GRAVITY = 9.80665
# A second is still enough to calibrate from when its spread is below this (in g).
CALIBRATION_STILL_G = 0.03
# A calibration hold must be this still overall (in g, spread of the whole block).
CALIBRATION_MAX_SPREAD_G = 0.08
CALIBRATION_MIN_SECONDS = 2.0


class CalibrationError(ValueError):
    """A calibration recording that cannot give a reference (too short, moving, no samples)."""


def _norm(v: Vector) -> float:
    return math.sqrt(v[0] * v[0] + v[1] * v[1] + v[2] * v[2])


def _unit(v: Vector) -> Vector:
    n = _norm(v)
    if n == 0:
        raise CalibrationError("zero acceleration: no gravity direction")
    return (v[0] / n, v[1] / n, v[2] / n)


@dataclass(frozen=True, slots=True)
class Calibration:
    """Reference gravity directions (unit vectors in the sensor frame) for one wearer and sensor.

    `upright` is the standing-upright direction; `sitting` the upright-sitting direction. Either may
    be missing: the classifier then learns the upright direction from walking and, for slump, uses
    the upright direction as the sitting reference.
    """

    placement: Placement
    upright: Vector | None = None
    sitting: Vector | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "version": 1,
            "placement": self.placement.value,
            "upright": list(self.upright) if self.upright else None,
            "sitting": list(self.sitting) if self.sitting else None,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Calibration:
        def vec(key: str) -> Vector | None:
            value = data.get(key)
            if value is None:
                return None
            if not isinstance(value, list | tuple) or len(value) != 3:
                raise CalibrationError(f"calibration {key!r} must be a list of 3 numbers")
            v = (float(value[0]), float(value[1]), float(value[2]))
            # Keep stored unit vectors bit for bit (a round trip must not change them).
            return v if abs(_norm(v) - 1.0) < 1e-9 else _unit(v)

        try:
            placement = Placement(str(data["placement"]))
        except (KeyError, ValueError) as exc:
            raise CalibrationError(f"calibration has no valid placement: {exc}") from exc
        return cls(placement, vec("upright"), vec("sitting"))


def hold_direction(block: SampleBlock) -> Vector:
    """Mean gravity direction of a still hold (samples in g). Raises CalibrationError if unusable."""
    if len(block) == 0:
        raise CalibrationError("the calibration hold has no samples")
    span = float(block.t[-1] - block.t[0])
    if span < CALIBRATION_MIN_SECONDS:
        raise CalibrationError(f"the calibration hold lasts {span:.1f} s; hold still for at least "
                               f"{CALIBRATION_MIN_SECONDS:.0f} s")
    mean = block.xyz.mean(axis=0)
    magnitude = float(np.linalg.norm(mean))
    spread = float(np.sqrt(block.xyz.var(axis=0).sum()))
    if magnitude == 0 or spread / magnitude > CALIBRATION_MAX_SPREAD_G:
        raise CalibrationError(f"the wearer moved during the calibration hold (spread {spread:.3f} g)")
    return _unit((float(mean[0]), float(mean[1]), float(mean[2])))


def calibrate(placement: Placement, stand: SampleBlock | None = None,
              sit: SampleBlock | None = None) -> Calibration:
    """A calibration from a still upright-standing hold and/or a still upright-sitting hold."""
    if stand is None and sit is None:
        raise CalibrationError("give a standing hold, a sitting hold, or both")
    return Calibration(
        placement,
        upright=hold_direction(stand) if stand is not None else None,
        sitting=hold_direction(sit) if sit is not None else None,
    )


class GravityScale:
    """Maps raw per-second mean vectors to g, learning units and offset without labels.

    The first usable second decides the units from its magnitude: about 1 means g, about 9.8 m/s^2,
    anything else raw counts. Counts get a sphere fit: for still seconds |m - o|^2 = R^2, which is
    linear in (o, R^2 - |o|^2). The fit is ridge-regularised towards the prior offset so that a
    wearer who has only sat still so far (a single orientation, which pins down the radius along one
    direction only) keeps the prior until postures vary.
    """

    REFIT_EVERY = 30  # still seconds between refits
    PRIOR_SECONDS = 0.5  # the prior offset weighs like this many seconds of well-spread postures

    def __init__(self) -> None:
        self.mode: str | None = None  # "g", "ms2" or "counts"
        self.offset: Vector = (0.0, 0.0, 0.0)
        self.radius = 1.0
        self._prior: Vector = (0.0, 0.0, 0.0)
        self._n = 0
        # Normal equations of the centred sphere fit: a = (2x, 2y, 2z, 1), b = x^2 + y^2 + z^2.
        self._ata = [0.0] * 10
        self._atb = [0.0] * 4

    @property
    def prior_offset(self) -> Vector:
        """The offset fixed by the first second (never refitted: safe for vectorised features)."""
        return self._prior

    @property
    def ready(self) -> bool:
        return self.mode is not None

    def observe_first(self, m: Vector) -> bool:
        """Decide units from the first second; False if this second cannot tell (zero vector)."""
        mag = math.sqrt(m[0] * m[0] + m[1] * m[1] + m[2] * m[2])
        if mag == 0 or not math.isfinite(mag):
            return False
        if 0.3 < mag < 3.0:
            self.mode, self.radius = "g", 1.0
        elif 3.0 <= mag < 30.0:
            self.mode, self.radius = "ms2", STANDARD_GRAVITY
        else:
            # Raw counts: assume one zero-g offset shared by the axes; gravity sits mostly on the
            # axis furthest from the middle value, so the other two read about the offset.
            ordered = sorted(range(3), key=lambda i: m[i])
            middle = m[ordered[1]]
            dominant = max(range(3), key=lambda i: abs(m[i] - middle))
            others = [m[i] for i in range(3) if i != dominant]
            c = (others[0] + others[1]) / 2.0
            self.mode = "counts"
            self._prior = (c, c, c)
            self.offset = self._prior
            self.radius = max(abs(m[dominant] - c), 1e-9)
        return True

    def observe_still(self, m: Vector) -> None:
        """Feed the mean of a still second (counts only); refits now and then."""
        if self.mode != "counts":
            return
        x, y, z = m[0] - self._prior[0], m[1] - self._prior[1], m[2] - self._prior[2]
        a = (2 * x, 2 * y, 2 * z, 1.0)
        b = x * x + y * y + z * z
        ata = self._ata
        k = 0
        for i in range(4):
            ai = a[i]
            for j in range(i, 4):
                ata[k] += ai * a[j]
                k += 1
            self._atb[i] += ai * b
        self._n += 1
        if self._n % self.REFIT_EVERY == 0:
            self._refit()

    @classmethod
    def from_still(cls, first: Vector, still: FloatArray) -> GravityScale:
        """A scale fitted at once on a whole recording's still seconds (rows of raw means).

        The prior comes from their median rather than from whichever second happened to come
        first: with few orientations the fit leans on the prior, and it must not depend on order.
        """
        scale = cls()
        anchor = first
        if len(still):
            med = np.median(still, axis=0)
            anchor = (float(med[0]), float(med[1]), float(med[2]))
        if not scale.observe_first(anchor) and not scale.observe_first(first):
            return scale
        if scale.mode == "counts" and len(still):
            # The normal equations of every still second at once (as `observe_still` adds them).
            x = still - np.asarray(scale._prior)
            design = np.column_stack([2.0 * x, np.ones(len(x))])
            ata = design.T @ design
            atb = design.T @ (x * x).sum(axis=1)
            scale._ata = [float(ata[i, j]) for i in range(4) for j in range(i, 4)]
            scale._atb = [float(v) for v in atb]
            scale._n = len(x)
            scale._refit()
        return scale

    def _refit(self) -> None:
        mat = np.zeros((4, 4))
        k = 0
        for i in range(4):
            for j in range(i, 4):
                mat[i, j] = mat[j, i] = self._ata[k]
                k += 1
        ridge = self.PRIOR_SECONDS * (2.0 * self.radius) ** 2
        for i in range(3):
            mat[i, i] += ridge
        # The ridge pulls the offset towards the prior; the prior's k keeps the current radius.
        rhs = np.array(self._atb, dtype=np.float64)
        try:
            sol = np.linalg.solve(mat, rhs)
        except np.linalg.LinAlgError:
            return
        o = sol[:3]
        r2 = float(sol[3] + o @ o)
        if not math.isfinite(r2) or r2 <= 0:
            return
        self.offset = (self._prior[0] + float(o[0]), self._prior[1] + float(o[1]), self._prior[2] + float(o[2]))
        self.radius = math.sqrt(r2)

    def to_g(self, m: Vector) -> Vector:
        r = self.radius
        o = self.offset
        return ((m[0] - o[0]) / r, (m[1] - o[1]) / r, (m[2] - o[2]) / r)


def block_in_g(block: SampleBlock) -> FloatArray:
    """Samples of a calibration hold in g (m/s^2 recognised by magnitude); counts are refused."""
    mag = float(np.median(np.linalg.norm(block.xyz, axis=1))) if len(block) else 0.0
    if 0.3 < mag < 3.0:
        return block.xyz
    if 3.0 <= mag < 30.0:
        return block.xyz / STANDARD_GRAVITY
    raise CalibrationError(f"calibration holds must be in g or m/s^2 (median magnitude {mag:.3g})")
