"""Posture and activity classification: pure functions over sample arrays.

Public surface used by the rest of sitmon:
- `StreamClassifier(placement)`: push `SampleBlock`s as they arrive, get one `PostureState` per
  completed second (state.t = start of that second, aligned to `origin`).
- `classify_recording(block, placement)`: the same judgement over a whole recording at once.
Both give identical output for the same samples, however the samples are split into blocks.
"""

from monitor.posture.classify import StreamClassifier, classify_recording

__all__ = ["StreamClassifier", "classify_recording"]
