"""What every wire-format decoder shares: the output shape and the malformed-input policy.

A decoder is fed the bytes of one characteristic's notifications, in order, and returns the
accelerometer samples they complete, in g, stamped on the *sensor's* time line in seconds
(the device clock where the format carries one, else sample index / rate). Mapping that time
line onto the host clock is `monitor.devices.timeline`'s job, not the decoder's.

Malformed input is decided here, once: a decoder never raises out of `feed`. It counts the
problem under a short reason (`errors`, `errors_by_reason`, `last_error`) and carries on with
the next notification; the IO edge decides how loudly to log.
"""

from __future__ import annotations

import struct
from abc import ABC, abstractmethod
from collections import Counter

import numpy as np

from monitor.model import FloatArray, SampleBlock

STANDARD_GRAVITY = 9.80665

# Exceptions a table-driven unpacker can hit on hostile bytes. Anything else is a bug and is
# allowed to surface in tests.
_MALFORMED = (struct.error, ValueError, IndexError, OverflowError)


class DecodeFailure(Exception):
    """Raised inside a decoder to reject the current frame; never escapes `feed`."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def empty_block() -> SampleBlock:
    return SampleBlock(np.empty(0, dtype=np.float64), np.empty((0, 3), dtype=np.float64))


def concat_blocks(blocks: list[SampleBlock]) -> SampleBlock:
    blocks = [b for b in blocks if len(b)]
    if not blocks:
        return empty_block()
    if len(blocks) == 1:
        return blocks[0]
    return SampleBlock(np.concatenate([b.t for b in blocks]), np.concatenate([b.xyz for b in blocks]))


def block(t: FloatArray, xyz: FloatArray) -> SampleBlock:
    return SampleBlock(np.ascontiguousarray(t, dtype=np.float64),
                       np.ascontiguousarray(xyz, dtype=np.float64).reshape(-1, 3))


class Decoder(ABC):
    """Base of the per-format decoders: counts frames and errors, never raises from `feed`."""

    def __init__(self) -> None:
        self.frames = 0
        self.errors = 0
        self.errors_by_reason: Counter[str] = Counter()
        self.last_error: str | None = None

    def feed(self, data: bytes | bytearray | memoryview) -> SampleBlock:
        """Decode one notification's bytes; return the samples it completes (maybe none)."""
        try:
            return concat_blocks(self._decode(bytes(data)))
        except DecodeFailure as exc:
            self._count_error(exc.reason)
        except _MALFORMED as exc:
            self._count_error(f"malformed ({type(exc).__name__})")
        return empty_block()

    def reset(self) -> None:  # noqa: B027 - stateless decoders have nothing to forget
        """Forget stream state (buffers, previous timestamps) after a reconnect; keep the counters."""

    def _count_error(self, reason: str) -> None:
        self.errors += 1
        self.errors_by_reason[reason] += 1
        self.last_error = reason

    @abstractmethod
    def _decode(self, data: bytes) -> list[SampleBlock]:
        """Return the completed samples; raise DecodeFailure to reject the whole notification.

        A decoder that must skip part of a notification but keep the rest calls
        `_count_error` itself and returns what it could decode.
        """


class IndexClock:
    """Sensor time for formats without timestamps: sample index / rate, from the stream start."""

    def __init__(self, rate_hz: float) -> None:
        if rate_hz <= 0:
            raise ValueError("rate_hz must be positive")
        self.rate_hz = rate_hz
        self.index = 0

    def take(self, n: int) -> FloatArray:
        t = (self.index + np.arange(n, dtype=np.float64)) / self.rate_hz
        self.index += n
        return t

    def reset(self) -> None:
        self.index = 0
