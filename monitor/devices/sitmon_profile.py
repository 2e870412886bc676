"""The sitmon sensor profile: an open GATT profile for home-made wearables (docs/sensor-profile.md).

The frame carries its own sync byte, sample count and CRC, so it survives being split or merged
(a UART bridge, a BLE stack that packs notifications) and a receiver can resynchronise after
garbage. Sample times come from the sensor's microsecond clock, so lost frames do not shift the
samples that follow them.
"""

from __future__ import annotations

import binascii
import struct
from dataclasses import dataclass

import numpy as np

from monitor.devices.base import DecodeFailure, Decoder, block
from monitor.model import SampleBlock


def profile_uuid(short: int) -> str:
    # The base spells "sitmon-senso" in ASCII, which makes a collision with another vendor unlikely.
    return f"5349{short:04x}-7369-746d-6f6e-2d73656e736f"


SERVICE = profile_uuid(0x0001)
SAMPLES = profile_uuid(0x0002)
CONFIG = profile_uuid(0x0003)
INFO = profile_uuid(0x0004)
VIBRATION = profile_uuid(0x0005)

SYNC = 0xA5
VERSION = 1
HEADER = struct.Struct("<BBBBIH")  # sync, version, seq, n, t0 µs (u32, wraps), interval (10 µs units)
CRC_SIZE = 2
SAMPLE_SIZE = 6
MAX_SAMPLES = 38  # 12 + 38 x 6 = 240 bytes: fits one notification at ATT MTU 247
INTERVAL_UNIT_US = 10
WRAP_US = 1 << 32
CONFIG_FORMAT = struct.Struct("<HBB")  # rate Hz, range ± g, flags (reserved, 0)
INFO_FORMAT = struct.Struct("<BBH")  # profile version, capabilities, maximum rate Hz
VIBRATION_FORMAT = struct.Struct("<HB")  # duration ms, intensity %
CAP_VIBRATION = 0x01
CAP_BATTERY = 0x02


def frame_size(n: int) -> int:
    return HEADER.size + SAMPLE_SIZE * n + CRC_SIZE


def crc16(data: bytes) -> int:
    """CRC-16/CCITT-FALSE (poly 0x1021, init 0xFFFF): cheap on a microcontroller, in C here."""
    return binascii.crc_hqx(data, 0xFFFF)


def encode_frame(seq: int, t0_us: int, interval_us: int, samples_mg: np.ndarray) -> bytes:
    values = np.asarray(samples_mg, dtype=np.int64).reshape(-1, 3)
    if not 1 <= len(values) <= MAX_SAMPLES:
        raise ValueError(f"a frame holds 1-{MAX_SAMPLES} samples")
    body = HEADER.pack(SYNC, VERSION, seq & 0xFF, len(values), t0_us % WRAP_US,
                       round(interval_us / INTERVAL_UNIT_US))
    body += np.clip(values, -32768, 32767).astype("<i2").tobytes()
    return body + struct.pack("<H", crc16(body))


@dataclass(frozen=True, slots=True)
class SensorConfig:
    rate_hz: int = 50
    range_g: int = 8
    flags: int = 0

    def encode(self) -> bytes:
        return CONFIG_FORMAT.pack(self.rate_hz, self.range_g, self.flags)

    @classmethod
    def decode(cls, data: bytes) -> SensorConfig:
        if len(data) != CONFIG_FORMAT.size:
            raise DecodeFailure("config must be 4 bytes")
        rate, range_g, flags = CONFIG_FORMAT.unpack(data)
        if not 1 <= rate <= 1000 or range_g == 0:
            raise DecodeFailure("config out of range")
        return cls(rate, range_g, flags)


@dataclass(frozen=True, slots=True)
class SensorInfo:
    version: int = VERSION
    capabilities: int = CAP_VIBRATION | CAP_BATTERY
    max_rate_hz: int = 200

    @property
    def can_vibrate(self) -> bool:
        return bool(self.capabilities & CAP_VIBRATION)

    def encode(self) -> bytes:
        return INFO_FORMAT.pack(self.version, self.capabilities, self.max_rate_hz)

    @classmethod
    def decode(cls, data: bytes) -> SensorInfo:
        if len(data) < INFO_FORMAT.size:  # later versions may append fields
            raise DecodeFailure("info shorter than 4 bytes")
        return cls(*INFO_FORMAT.unpack_from(data))


def vibration_command(duration_ms: int = 400, intensity_percent: int = 80) -> bytes:
    return VIBRATION_FORMAT.pack(duration_ms, max(0, min(100, intensity_percent)))


class SitmonProfileDecoder(Decoder):
    """Frames from the samples characteristic's byte stream → samples in g on the sensor clock."""

    def __init__(self) -> None:
        super().__init__()
        self.lost_frames = 0
        self._buffer = bytearray()
        self._next_seq: int | None = None
        self._wraps = 0
        self._last_t0: int | None = None
        self._last_sample_us: int | None = None

    def reset(self) -> None:
        self._buffer.clear()
        self._next_seq = None
        self._wraps = 0
        self._last_t0 = None
        self._last_sample_us = None

    def _decode(self, data: bytes) -> list[SampleBlock]:
        self._buffer += data
        buf = self._buffer
        out: list[SampleBlock] = []
        i = 0
        while True:
            start = buf.find(SYNC, i)
            if start < 0:
                if i < len(buf):
                    self._count_error("resync: bytes outside a frame")
                i = len(buf)
                break
            if start > i:
                self._count_error("resync: bytes outside a frame")
            i = start
            if len(buf) - i < HEADER.size:
                break
            _, version, seq, n, t0, interval = HEADER.unpack_from(buf, i)
            if version != VERSION or not 1 <= n <= MAX_SAMPLES or interval == 0:
                i += 1  # not a frame start after all: look for the next sync byte
                continue
            size = frame_size(n)
            if len(buf) - i < size:
                break
            frame = bytes(buf[i:i + size])
            if crc16(frame[:-CRC_SIZE]) != int.from_bytes(frame[-CRC_SIZE:], "little"):
                self._count_error("bad CRC")
                i += 1
                continue
            i += size
            decoded = self._frame(seq, n, t0, interval, frame)
            if decoded is not None:
                out.append(decoded)
        del buf[:i]
        return out

    def _frame(self, seq: int, n: int, t0: int, interval: int, frame: bytes) -> SampleBlock | None:
        if self._next_seq is not None and seq != self._next_seq:
            self.lost_frames += (seq - self._next_seq) & 0xFF
            self._count_error("out-of-sequence frame")
        self._next_seq = (seq + 1) & 0xFF
        if self._last_t0 is not None and t0 < self._last_t0 and self._last_t0 - t0 > WRAP_US // 2:
            self._wraps += 1
        self._last_t0 = t0
        first_us = t0 + self._wraps * WRAP_US
        step_us = interval * INTERVAL_UNIT_US
        if self._last_sample_us is not None and first_us <= self._last_sample_us:
            self._count_error("frame time not after the previous frame")
            return None
        self._last_sample_us = first_us + step_us * (n - 1)
        self.frames += 1
        xyz = np.frombuffer(frame, dtype="<i2", count=3 * n, offset=HEADER.size).reshape(n, 3) / 1000.0
        t = (first_us + step_us * np.arange(n, dtype=np.float64)) / 1e6
        return block(t, xyz)
