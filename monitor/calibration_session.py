"""A guided live calibration: stand upright and still, then sit upright and still (pure).

The daemon starts a session when asked (CLI, dashboard, MQTT `cmd/calibrate`), tells the wearer
each step, and feeds the wearable's samples in; the session cuts the two holds out of the stream by
time, after a few seconds to settle into each posture, and gives back a `Calibration` or the reason
it could not.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

import numpy as np

from monitor.model import FloatArray, Placement, SampleBlock
from monitor.posture import Calibration, CalibrationError, calibrate

SETTLE_SECONDS = 3.0
HOLD_SECONDS = 10.0


class Phase(StrEnum):
    STAND = "stand"
    SIT = "sit"
    DONE = "done"
    FAILED = "failed"


INSTRUCTIONS = {
    Phase.STAND: "Calibrating: stand upright and still for {hold:.0f} seconds.",
    Phase.SIT: "Now sit upright on your sit bones, feet flat, and stay still for {hold:.0f} seconds.",
}


@dataclass
class Step:
    """What changed with the last samples: a new instruction, and at the end the result."""

    instruction: str | None = None
    calibration: Calibration | None = None
    error: str | None = None


@dataclass
class CalibrationSession:
    wearable: str
    placement: Placement
    started_at: float
    settle: float = SETTLE_SECONDS
    hold: float = HOLD_SECONDS
    phase: Phase = Phase.STAND
    phase_started: float = field(init=False)
    _t: list[FloatArray] = field(default_factory=list)
    _xyz: list[FloatArray] = field(default_factory=list)
    _stand: SampleBlock | None = None

    def __post_init__(self) -> None:
        self.phase_started = self.started_at

    def first_instruction(self) -> str:
        return INSTRUCTIONS[Phase.STAND].format(hold=self.hold)

    def push(self, block: SampleBlock) -> Step:
        if self.phase in (Phase.DONE, Phase.FAILED) or len(block) == 0:
            return Step()
        begin = self.phase_started + self.settle
        end = begin + self.hold
        keep = (block.t >= begin) & (block.t < end)
        self._t.append(block.t[keep])
        self._xyz.append(block.xyz[keep])
        if block.t[-1] < end:
            return Step()
        hold = SampleBlock(np.concatenate(self._t), np.concatenate(self._xyz).reshape(-1, 3))
        self._t.clear()
        self._xyz.clear()
        if self.phase is Phase.STAND:
            self._stand = hold
            self.phase, self.phase_started = Phase.SIT, end
            return Step(instruction=INSTRUCTIONS[Phase.SIT].format(hold=self.hold))
        try:
            result = calibrate(self.placement, stand=self._stand, sit=hold)
        except CalibrationError as exc:
            self.phase = Phase.FAILED
            return Step(error=str(exc))
        self.phase = Phase.DONE
        return Step(calibration=result)
