"""Clocks: the one place that reads wall time, so everything else can take time as input."""

from __future__ import annotations

import time
from typing import Protocol


class Clock(Protocol):
    def now(self) -> float:
        """Seconds since the Unix epoch, in the clock's own time line."""

    def wall_delay(self, seconds: float) -> float:
        """How many real seconds pass while this clock advances by `seconds`."""


class SystemClock:
    def now(self) -> float:
        return time.time()

    def wall_delay(self, seconds: float) -> float:
        return seconds


class ScaledClock:
    """Runs `speed` times faster than wall time from `origin` (the demo's sped-up day)."""

    def __init__(self, origin: float, speed: float, wall_origin: float | None = None) -> None:
        if speed <= 0:
            raise ValueError("speed must be positive")
        self.origin = origin
        self.speed = speed
        self._wall_origin = time.monotonic() if wall_origin is None else wall_origin

    def now(self) -> float:
        return self.origin + (time.monotonic() - self._wall_origin) * self.speed

    def wall_delay(self, seconds: float) -> float:
        return seconds / self.speed


class ManualClock:
    """A clock that only moves when told to: for tests and replays."""

    def __init__(self, start: float = 0.0) -> None:
        self._now = start

    def now(self) -> float:
        return self._now

    def set(self, t: float) -> None:
        self._now = t

    def advance(self, seconds: float) -> None:
        self._now += seconds

    def wall_delay(self, seconds: float) -> float:
        return 0.0
