"""Reconnect timing as a pure decision: how long to wait before the next attempt.

The loop in `ble.py` only sleeps for what this says. Exponential from `initial_s`, capped at
`max_s`, with jitter so that several wearables (or several sitmon hosts) that dropped together do
not retry in lockstep. The jitter is derived from the wearable's name and the attempt number
rather than a random generator, so a test or a replayed log sees the same delays.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from enum import StrEnum


class Failure(StrEnum):
    NOT_FOUND = "not found"
    CONNECT = "connect failed"
    SETUP = "setup failed"
    DISCONNECTED = "disconnected"
    DATA_TIMEOUT = "data timeout"


@dataclass(frozen=True, slots=True)
class BackoffPolicy:
    initial_s: float = 1.0
    factor: float = 2.0
    max_s: float = 60.0
    jitter: float = 0.2

    def delay(self, attempt: int, failure: Failure, key: str = "") -> float:
        """Seconds to wait before attempt `attempt + 1` (attempt 0 = the first retry)."""
        # A session that streamed and then dropped is worth retrying at once; the sensor is
        # probably still near. Everything else backs off.
        if failure in (Failure.DISCONNECTED, Failure.DATA_TIMEOUT) and attempt == 0:
            return 0.0
        base = min(self.max_s, self.initial_s * self.factor ** min(attempt, 32))
        spread = (zlib.crc32(f"{key}/{attempt}".encode()) / 0xFFFFFFFF) * 2.0 - 1.0
        return max(0.0, min(self.max_s, base * (1.0 + self.jitter * spread)))
