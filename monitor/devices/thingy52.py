"""Nordic Thingy:52 motion service (firmware 2.x): raw-data and gravity-vector notifications.

Format source: NordicSemiconductor/Nordic-Thingy52-FW, `source/doc/dox/02_firmware_architecture.dox`,
`source/ble_services/ble_tms.c`, `source/modules/m_motion.c`. Neither characteristic carries a
timestamp: samples are stamped index / rate (the motion processing frequency written to the
config characteristic).
"""

from __future__ import annotations

import struct
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from monitor.devices.base import STANDARD_GRAVITY, DecodeFailure, Decoder, IndexClock, block
from monitor.model import SampleBlock


def thingy_uuid(short: int) -> str:
    return f"ef68{short:04x}-9b35-4933-9b10-52ffa9740042"


CONFIG_SERVICE = thingy_uuid(0x0100)
MOTION_SERVICE = thingy_uuid(0x0400)
MOTION_CONFIG = thingy_uuid(0x0401)
RAW_DATA = thingy_uuid(0x0406)
GRAVITY = thingy_uuid(0x040A)
UI_SERVICE = thingy_uuid(0x0300)
LED = thingy_uuid(0x0301)
BUTTON = thingy_uuid(0x0302)
SOUND_SERVICE = thingy_uuid(0x0500)
SOUND_CONFIG = thingy_uuid(0x0501)
SPEAKER_DATA = thingy_uuid(0x0502)

MOTION_CONFIG_FORMAT = struct.Struct("<HHHHB")
RAW_FRAME_SIZE = 18
GRAVITY_FRAME_SIZE = 12
RAW_ACCEL_LSB_PER_G = 1024.0  # Q6.10


@dataclass(frozen=True, slots=True)
class MotionConfig:
    step_interval_ms: int = 1000
    temperature_interval_ms: int = 500
    magnet_interval_ms: int = 500
    motion_rate_hz: int = 10
    wake_on_motion: bool = True

    def encode(self) -> bytes:
        return MOTION_CONFIG_FORMAT.pack(self.step_interval_ms, self.temperature_interval_ms,
                                         self.magnet_interval_ms, self.motion_rate_hz,
                                         int(self.wake_on_motion))

    @classmethod
    def decode(cls, data: bytes) -> MotionConfig:
        if len(data) != MOTION_CONFIG_FORMAT.size:
            raise DecodeFailure("motion config must be 9 bytes")
        step, temp, magnet, rate, wake = MOTION_CONFIG_FORMAT.unpack(data)
        if not 1 <= rate <= 200:
            raise DecodeFailure("motion rate out of range 1-200 Hz")
        return cls(step, temp, magnet, rate, bool(wake))


def encode_raw(accel_g: np.ndarray) -> bytes:
    """One raw-data notification per sample; gyro and compass zero (the emulator has none)."""
    raw = np.clip(np.round(np.asarray(accel_g, dtype=np.float64) * RAW_ACCEL_LSB_PER_G), -32768, 32767)
    return struct.pack("<3h", *(int(v) for v in raw)) + bytes(12)


def encode_gravity(accel_g: np.ndarray) -> bytes:
    return struct.pack("<3f", *(float(v) * STANDARD_GRAVITY for v in accel_g))


# The LED's one-shot mode as the wearer's prompt: colour, intensity %.
def led_one_shot(colour: int = 1, intensity_percent: int = 100) -> bytes:
    return bytes((0x03, colour, intensity_percent))


def speaker_tone(frequency_hz: int = 440, duration_ms: int = 500, volume_percent: int = 80) -> bytes:
    """Speaker data in frequency mode (sound config `01 01` first)."""
    return struct.pack("<HHB", frequency_hz, duration_ms, volume_percent)


SPEAKER_FREQUENCY_MODE = bytes((0x01, 0x01))


class _FixedFrameDecoder(Decoder):
    """Fixed-size frames; a notification holding several whole frames is accepted."""

    frame_size: int

    def __init__(self, rate_hz: float) -> None:
        super().__init__()
        self.clock = IndexClock(rate_hz)

    def reset(self) -> None:
        self.clock.reset()

    def _decode(self, data: bytes) -> list[SampleBlock]:
        if not data or len(data) % self.frame_size:
            raise DecodeFailure(f"notification is not a multiple of {self.frame_size} bytes")
        xyz = self._accel(data)
        if not np.all(np.isfinite(xyz)):
            raise DecodeFailure("non-finite acceleration")
        self.frames += len(xyz)
        return [block(self.clock.take(len(xyz)), xyz)]

    def _accel(self, data: bytes) -> np.ndarray:
        raise NotImplementedError


class ThingyRawDecoder(_FixedFrameDecoder):
    """0406: accel int16 Q6.10 g, gyro, compass; only the accelerometer is used."""

    frame_size = RAW_FRAME_SIZE

    def _accel(self, data: bytes) -> np.ndarray:
        frames = np.frombuffer(data, dtype="<i2").reshape(-1, 9)
        return frames[:, :3] / RAW_ACCEL_LSB_PER_G


class ThingyGravityDecoder(_FixedFrameDecoder):
    """040A: float32 x, y, z in m/s² (sensor-fusion gravity, already low-pass)."""

    frame_size = GRAVITY_FRAME_SIZE

    def _accel(self, data: bytes) -> np.ndarray:
        values = np.frombuffer(data, dtype="<f4").reshape(-1, 3)
        # Check before widening: casting a signalling NaN raises a floating-point warning.
        if not np.isfinite(values).all():
            raise DecodeFailure("non-finite acceleration")
        return values.astype(np.float64) / STANDARD_GRAVITY


DECODERS: Mapping[str, type[_FixedFrameDecoder]] = {RAW_DATA: ThingyRawDecoder, GRAVITY: ThingyGravityDecoder}
