"""WitMotion BLE 5.0 IMUs (BWT901BLECL / WT901BLECL): 20-byte frames on a byte stream.

Format source: WITMOTION/WitBluetooth_BWT901BLE5_0 (`Python/BWT901BLE5.0_python_sdk/device_model.py`,
Android `Bwt901bleResolver.java`) and WITMOTION/WitStandardProtocol_JY901 `REG.h`. There is no
specification text, no checksum and no timestamp: frames are cut after the `55 61` / `55 71` sync
pair, may be split or merged across notifications, and samples are stamped index / rate.
"""

from __future__ import annotations

import struct
from collections.abc import Mapping

import numpy as np

from monitor.devices.base import Decoder, IndexClock, block
from monitor.model import SampleBlock

# Note the vendor's non-standard base (…9a34fb): the short forms do not expand to these.
SERVICE = "0000ffe5-0000-1000-8000-00805f9a34fb"
NOTIFY = "0000ffe4-0000-1000-8000-00805f9a34fb"
WRITE = "0000ffe9-0000-1000-8000-00805f9a34fb"

SYNC = 0x55
DATA = 0x61
REGISTERS = 0x71
FRAME_SIZE = 20
FRAME_TYPES = frozenset((DATA, REGISTERS))
ACC_FULL_SCALE_G = 16.0
BATTERY_REGISTER = 0x64
RATE_REGISTER = 0x03

UNLOCK = bytes.fromhex("FFAA6988B5")
SAVE = bytes.fromhex("FFAA000000")

# Return-rate register codes (JY901 REG.h).
RATE_CODES: Mapping[float, int] = {0.2: 0x01, 0.5: 0x02, 1: 0x03, 2: 0x04, 5: 0x05, 10: 0x06, 20: 0x07,
                                   50: 0x08, 100: 0x09, 200: 0x0B}

# Battery voltage (V) → percent for one-cell units, points from the vendor app; linear between them.
BATTERY_CURVE_V = (3.40, 3.79, 3.99)
BATTERY_CURVE_PERCENT = (0.0, 40.0, 100.0)

_DATA_FORMAT = struct.Struct("<2x9h")
_REGISTER_FORMAT = struct.Struct("<2xH8h")


def write_register(register: int, value: int) -> bytes:
    return bytes((0xFF, 0xAA, register)) + struct.pack("<H", value & 0xFFFF)


def read_registers(register: int) -> bytes:
    return bytes((0xFF, 0xAA, 0x27, register, 0x00))


def rate_commands(rate_hz: float) -> list[bytes]:
    """Unlock, set the nearest supported return rate, save (the vendor waits ~100 ms between)."""
    nearest = min(RATE_CODES, key=lambda r: abs(r - rate_hz))
    return [UNLOCK, write_register(RATE_REGISTER, RATE_CODES[nearest]), SAVE]


def nearest_rate(rate_hz: float) -> float:
    return float(min(RATE_CODES, key=lambda r: abs(r - rate_hz)))


def encode_data_frame(accel_g: np.ndarray, gyro_dps: tuple[float, float, float] = (0.0, 0.0, 0.0),
                      angle_deg: tuple[float, float, float] = (0.0, 0.0, 0.0)) -> bytes:
    acc = np.clip(np.round(np.asarray(accel_g) / ACC_FULL_SCALE_G * 32768), -32768, 32767).astype(int)
    gyro = [round(v / 2000 * 32768) for v in gyro_dps]
    angle = [round(v / 180 * 32768) for v in angle_deg]
    return bytes((SYNC, DATA)) + struct.pack("<9h", *acc.tolist(), *gyro, *angle)


def encode_register_frame(register: int, values: tuple[int, ...]) -> bytes:
    padded = (tuple(values) + (0,) * 8)[:8]
    return bytes((SYNC, REGISTERS)) + struct.pack("<H8h", register, *padded)


def battery_percent_from_volts(volts: float) -> int:
    return round(float(np.interp(volts, BATTERY_CURVE_V, BATTERY_CURVE_PERCENT)))


class WitMotionDecoder(Decoder):
    """Reassembles frames from the notify byte stream; keeps the latest register values."""

    def __init__(self, rate_hz: float) -> None:
        super().__init__()
        self.clock = IndexClock(rate_hz)
        self.registers: dict[int, int] = {}
        self._buffer = bytearray()

    @property
    def battery_percent(self) -> int | None:
        raw = self.registers.get(BATTERY_REGISTER)
        return None if raw is None else battery_percent_from_volts(raw / 100.0)

    def reset(self) -> None:
        self._buffer.clear()
        self.clock.reset()

    def _decode(self, data: bytes) -> list[SampleBlock]:
        self._buffer += data
        buf = self._buffer
        rows: list[tuple[int, ...]] = []
        i = 0
        skipped = 0
        while len(buf) - i >= 2:
            if buf[i] != SYNC or buf[i + 1] not in FRAME_TYPES:
                sync = buf.find(SYNC, i + 1)
                step = (len(buf) - i) if sync < 0 else (sync - i)
                i += step
                skipped += step
                continue
            if len(buf) - i < FRAME_SIZE:
                break
            if buf[i + 1] == DATA:
                rows.append(_DATA_FORMAT.unpack_from(buf, i)[:3])
            else:
                register, *values = _REGISTER_FORMAT.unpack_from(buf, i)
                for k, value in enumerate(values[:4]):
                    self.registers[register + k] = value & 0xFFFF
            self.frames += 1
            i += FRAME_SIZE
        del buf[:i]
        if skipped:
            self._count_error("resync: bytes outside a frame")
        if not rows:
            return []
        xyz = np.array(rows, dtype=np.float64) * (ACC_FULL_SCALE_G / 32768.0)
        return [block(self.clock.take(len(rows)), xyz)]
