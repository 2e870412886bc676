"""Place samples from a sensor's own time line onto the host clock's.

Pure: the caller passes the host time at which the notification arrived. The first frame anchors
the offset (host = sensor + offset), as bleakheart does for Polar; afterwards the sensor's spacing
is kept exactly, so the samples equal the recording, and the offset moves only when it must:
- a frame would be stamped more than `max_lead_s` after it arrived (sensor clock fast, or the
  first frame was late): pull the offset back to the arrival. A smaller lead is left alone: the
  first frame's latency is unknown, and chasing every early notification would bend the sensor's
  exact spacing;
- samples fall more than `max_lag_s` behind their arrival (sensor clock slow, or a format with no
  timestamps lost samples): re-anchor to the arrival.
Host times never go backwards.
"""

from __future__ import annotations

import numpy as np

from monitor.model import FloatArray

MIN_STEP_S = 1e-6


class Timeline:
    def __init__(self, max_lag_s: float = 2.0, max_lead_s: float = 0.5) -> None:
        self.max_lag_s = max_lag_s
        self.max_lead_s = max_lead_s
        self.offset: float | None = None
        self.last: float | None = None
        self.reanchors = 0

    def reset(self) -> None:
        """A new connection: the sensor's clock (or its sample index) starts afresh."""
        self.offset = None

    def place(self, sensor_t: FloatArray, arrival: float) -> FloatArray:
        if sensor_t.size == 0:
            return sensor_t
        newest = float(sensor_t[-1])
        if self.offset is None:
            self.offset = arrival - newest
        else:
            lag = arrival - (newest + self.offset)
            if lag < -self.max_lead_s or lag > self.max_lag_s:
                self.offset += lag
                self.reanchors += 1
        host = sensor_t + self.offset
        if self.last is not None and host[0] <= self.last:
            host = np.maximum(host, self.last + MIN_STEP_S * np.arange(1, host.size + 1))
        self.last = float(host[-1])
        return host
