"""Standard Heart Rate Measurement (0x2A37) and Battery Level (0x2A19) values.

Format source: Bluetooth SIG GATT Specification Supplement (Heart Rate Measurement, Battery Level).
"""

from __future__ import annotations

from dataclasses import dataclass

HEART_RATE_SERVICE = "0000180d-0000-1000-8000-00805f9b34fb"
HEART_RATE_MEASUREMENT = "00002a37-0000-1000-8000-00805f9b34fb"
BATTERY_SERVICE = "0000180f-0000-1000-8000-00805f9b34fb"
BATTERY_LEVEL = "00002a19-0000-1000-8000-00805f9b34fb"


@dataclass(frozen=True, slots=True)
class HeartRate:
    bpm: int
    rr_intervals_s: tuple[float, ...]


def decode_heart_rate(data: bytes) -> HeartRate | None:
    """flags, HR (uint8 or uint16), [energy uint16], RR uint16 x n in 1/1024 s; None if malformed."""
    if len(data) < 2:
        return None
    flags = data[0]
    wide = bool(flags & 0x01)
    offset = 3 if wide else 2
    if len(data) < offset:
        return None
    bpm = int.from_bytes(data[1:offset], "little")
    if flags & 0x08:
        offset += 2
    rr: tuple[float, ...] = ()
    if flags & 0x10:
        tail = data[offset:]
        if len(tail) % 2:
            return None
        rr = tuple(int.from_bytes(tail[i:i + 2], "little") / 1024.0 for i in range(0, len(tail), 2))
    return HeartRate(bpm, rr)


def decode_battery_level(data: bytes) -> int | None:
    """uint8 percent; None if the value is absent or out of range."""
    if len(data) != 1 or data[0] > 100:
        return None
    return data[0]
