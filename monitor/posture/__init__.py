"""Posture and activity classification: pure functions over sample arrays.

Public surface used by the rest of sitmon:
- `StreamClassifier(placement)`: push `SampleBlock`s as they arrive, get one `PostureState` per
  completed second (state.t = start of that second, aligned to `origin`), `Settings.delay` seconds
  after that second ends; `flush()` emits the rest.
- `classify_recording(block, placement)`: the same judgement over a whole recording at once.
  Both give identical output for the same samples, however the samples are split into blocks.
- `calibrate(placement, stand=..., sit=...)` -> `Calibration`: reference directions from still
  holds, passed to either of the above as `calibration=`.
- `combine_states(leg_states, trunk_states)`: a thigh/pocket sensor and a trunk sensor together.
- `sit_to_stand(states)`: times of sit-to-upright transitions.
"""

from monitor.posture.calibration import Calibration, CalibrationError, calibrate, hold_direction
from monitor.posture.classify import Settings, StreamClassifier, classify_recording
from monitor.posture.combine import combine, combine_states, sit_to_stand

__all__ = [
    "Calibration",
    "CalibrationError",
    "Settings",
    "StreamClassifier",
    "calibrate",
    "classify_recording",
    "combine",
    "combine_states",
    "hold_direction",
    "sit_to_stand",
]
