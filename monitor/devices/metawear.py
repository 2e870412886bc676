"""MetaWear (MetaMotion R/RL/C/S, BMI160 accelerometer): command builders and notify decoder.

Format source: mbientlab/MetaWear-SDK-Cpp (`src/metawear/impl/cpp/metawearboard.cpp`,
`sensor/cpp/accelerometer_bosch.cpp`, `peripheral/cpp/haptic.cpp`, `core/module.h`) and its
unit tests, which give the exact bytes. Every message is `module register payload`; a notification
is one message. Streamed packets have no timestamp: samples are stamped index / ODR.
"""

from __future__ import annotations

import struct
from collections.abc import Mapping

import numpy as np

from monitor.devices.base import DecodeFailure, Decoder, IndexClock, block
from monitor.model import SampleBlock

SERVICE = "326a9000-85cb-9195-d9dd-464cfbbae75a"
COMMAND = "326a9001-85cb-9195-d9dd-464cfbbae75a"
NOTIFY = "326a9006-85cb-9195-d9dd-464cfbbae75a"

ACCELEROMETER = 0x03
HAPTIC = 0x08
SETTINGS = 0x11

ACC_POWER = 0x01
ACC_SAMPLING = 0x02
ACC_CONFIG = 0x03
ACC_DATA = 0x04
ACC_PACKED_DATA = 0x1C
BATTERY = 0x0C
READ = 0x80
SILENT = 0x40  # a read the board answers without logging it as an event

# Output data rate (Hz) -> acc_conf byte (ODR code + normal bandwidth, under-sampling below 12.5 Hz).
ODR_CODES: Mapping[float, int] = {6.25: 0x84, 12.5: 0x25, 25: 0x26, 50: 0x27, 100: 0x28, 200: 0x29,
                                  400: 0x2A, 800: 0x2B, 1600: 0x2C}
# Range (± g) -> (range code, LSB per g).
RANGES: Mapping[int, tuple[int, float]] = {2: (0x03, 16384.0), 4: (0x05, 8192.0), 8: (0x08, 4096.0),
                                           16: (0x0C, 2048.0)}
_LSB_BY_RANGE_CODE = {code: lsb for code, lsb in RANGES.values()}


def nearest_odr(rate_hz: float) -> float:
    return float(min(ODR_CODES, key=lambda r: abs(r - rate_hz)))


def configure_accelerometer(rate_hz: float, range_g: int) -> bytes:
    code, _ = RANGES[range_g]
    return bytes((ACCELEROMETER, ACC_CONFIG, ODR_CODES[nearest_odr(rate_hz)], code))


def start_accelerometer(packed: bool = False) -> list[bytes]:
    """SDK order: enable sampling, subscribe to data, power on."""
    data = ACC_PACKED_DATA if packed else ACC_DATA
    return [bytes((ACCELEROMETER, ACC_SAMPLING, 0x01, 0x00)), bytes((ACCELEROMETER, data, 0x01)),
            bytes((ACCELEROMETER, ACC_POWER, 0x01))]


def stop_accelerometer(packed: bool = False) -> list[bytes]:
    data = ACC_PACKED_DATA if packed else ACC_DATA
    return [bytes((ACCELEROMETER, ACC_POWER, 0x00)), bytes((ACCELEROMETER, ACC_SAMPLING, 0x00, 0x01)),
            bytes((ACCELEROMETER, data, 0x00))]


def motor_pulse(duty_percent: float, duration_ms: int) -> bytes:
    duty = round(max(0.0, min(100.0, duty_percent)) / 100.0 * 248)
    return bytes((HAPTIC, 0x01, duty)) + struct.pack("<H", duration_ms) + b"\x00"


def buzzer_pulse(duration_ms: int) -> bytes:
    return bytes((HAPTIC, 0x01, 0x7F)) + struct.pack("<H", duration_ms) + b"\x01"


def battery_read() -> bytes:
    return bytes((SETTINGS, BATTERY | READ | SILENT))


def module_info_read(module: int) -> bytes:
    return bytes((module, READ))


def encode_acc_data(accel_g: np.ndarray, range_g: int, packed: bool = False) -> bytes:
    _, lsb = RANGES[range_g]
    raw = np.clip(np.round(np.asarray(accel_g, dtype=np.float64) * lsb), -32768, 32767).astype("<i2")
    return bytes((ACCELEROMETER, ACC_PACKED_DATA if packed else ACC_DATA)) + raw.tobytes()


def encode_battery(percent: int, millivolts: int) -> bytes:
    return bytes((SETTINGS, BATTERY | READ, percent)) + struct.pack("<H", millivolts)


class MetaWearDecoder(Decoder):
    """Notify characteristic: acceleration (single or packed), battery, module discovery."""

    def __init__(self, rate_hz: float, range_g: int = 4) -> None:
        super().__init__()
        self.clock = IndexClock(rate_hz)
        self.lsb_per_g = RANGES[range_g][1]
        self.battery_percent: int | None = None
        self.battery_mv: int | None = None
        self.modules: dict[int, bytes] = {}
        self.other = 0

    def reset(self) -> None:
        self.clock.reset()

    def _decode(self, data: bytes) -> list[SampleBlock]:
        if len(data) < 2:
            raise DecodeFailure("message shorter than module + register")
        module, register = data[0], data[1]
        body = data[2:]
        if module == ACCELEROMETER and register in (ACC_DATA, ACC_PACKED_DATA):
            expected = 6 if register == ACC_DATA else 18
            if len(body) != expected:
                raise DecodeFailure("acceleration payload of the wrong length")
            xyz = np.frombuffer(body, dtype="<i2").reshape(-1, 3) / self.lsb_per_g
            self.frames += 1
            return [block(self.clock.take(len(xyz)), xyz)]
        if module == ACCELEROMETER and register == ACC_CONFIG | READ and len(body) >= 2:
            # A config read reports the range the board is using; trust it over our request.
            lsb = _LSB_BY_RANGE_CODE.get(body[1] & 0x0F)
            if lsb is not None:
                self.lsb_per_g = lsb
        if module == SETTINGS and register == BATTERY | READ:
            if len(body) != 3 or body[0] > 100:
                raise DecodeFailure("battery reply of the wrong length or range")
            self.battery_percent = body[0]
            self.battery_mv = int.from_bytes(body[1:3], "little")
        elif register == READ:
            self.modules[module] = bytes(body)
        else:
            self.other += 1
        return []
