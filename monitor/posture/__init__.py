"""Posture and activity classification: pure functions over sample arrays.

Public surface used by the rest of sitmon:
- `StreamClassifier(placement)`: push `SampleBlock`s as they arrive, get one `PostureState` per
  completed second (state.t = start of that second, aligned to `origin`), `Settings.delay` seconds
  after that second ends; `flush()` emits the rest.
- `classify_recording(block, placement)`: a whole recording at once. For a trunk sensor it is read
  twice (what `learn_recording` learns from all of it, then every second judged with that), so the
  order of activities hardly matters; with `review=False`, and for thigh and pocket sensors, it is
  identical to streaming the same samples, however they are split into blocks.
- `calibrate(placement, stand=..., sit=...)` -> `Calibration`: reference directions from still
  holds, passed to either of the above as `calibration=`.
- `combine_states(leg_states, trunk_states)`: a thigh/pocket sensor and a trunk sensor together.
- `sit_to_stand(states)`: times of sit-to-upright transitions.
"""

from monitor.posture.calibration import Calibration, CalibrationError, calibrate, hold_direction
from monitor.posture.classify import Learned, Settings, StreamClassifier, classify_recording, learn_recording
from monitor.posture.combine import combine, combine_states, sit_to_stand

__all__ = [
    "Calibration",
    "CalibrationError",
    "Learned",
    "Settings",
    "StreamClassifier",
    "calibrate",
    "classify_recording",
    "combine",
    "combine_states",
    "hold_direction",
    "learn_recording",
    "sit_to_stand",
]
