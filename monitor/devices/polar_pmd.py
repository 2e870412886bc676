"""Polar Measurement Data (PMD): accelerometer stream of the Polar H10 and Verity Sense.

Format source: polarofficial/polar-ble-sdk, `technical_documentation/Polar_Measurement_Data_Specification.pdf`
and the Android SDK's PMD client (`BlePMDClient.kt`, `PmdControlPoint*.kt`, `PmdSetting.kt`,
`PmdTimeStampUtils.kt`); summarised byte by byte in the project's BLE protocol notes.

Control point (CP) requests and responses are built and parsed here; the data characteristic's
frames are decoded by `PmdAccDecoder`. The encoders exist so the emulated sensor speaks the same
bytes the decoder is tested against.
"""

from __future__ import annotations

import math
import struct
from collections.abc import Mapping
from dataclasses import dataclass
from enum import IntEnum

import numpy as np

from monitor.devices.base import DecodeFailure, Decoder, block
from monitor.model import FloatArray, SampleBlock

PMD_SERVICE = "fb005c80-02e7-f387-1cad-8acd2d8df0c8"
PMD_CONTROL = "fb005c81-02e7-f387-1cad-8acd2d8df0c8"
PMD_DATA = "fb005c82-02e7-f387-1cad-8acd2d8df0c8"

NS_PER_S = 1_000_000_000
HEADER = struct.Struct("<BQB")  # measurement type, timestamp ns (last sample), frame type
RESPONSE_CODE = 0xF0
FEATURES_CODE = 0x0F


class Measurement(IntEnum):
    ECG = 0
    PPG = 1
    ACC = 2
    PPI = 3
    GYRO = 5
    MAG = 6
    SKIN_TEMP = 7
    SDK_MODE = 9


class Opcode(IntEnum):
    GET_SETTINGS = 1
    START = 2
    STOP = 3
    GET_SDK_MODE_SETTINGS = 4
    GET_STATUS = 5


class Setting(IntEnum):
    SAMPLE_RATE = 0
    RESOLUTION = 1
    RANGE = 2
    RANGE_MILLIUNIT = 3
    CHANNELS = 4
    FACTOR = 5
    SECURITY = 6


class Status(IntEnum):
    SUCCESS = 0
    INVALID_OP_CODE = 1
    INVALID_MEASUREMENT_TYPE = 2
    NOT_SUPPORTED = 3
    INVALID_LENGTH = 4
    INVALID_PARAMETER = 5
    ALREADY_IN_STATE = 6
    INVALID_RESOLUTION = 7
    INVALID_SAMPLE_RATE = 8
    INVALID_RANGE = 9
    INVALID_MTU = 10
    INVALID_NUMBER_OF_CHANNELS = 11
    INVALID_STATE = 12
    DEVICE_IN_CHARGER = 13
    DISK_FULL = 14


# Setting type -> (bytes per value, struct code). FACTOR is a float; the rest are unsigned.
SETTING_FIELDS: Mapping[int, tuple[int, str]] = {
    Setting.SAMPLE_RATE: (2, "<H"),
    Setting.RESOLUTION: (2, "<H"),
    Setting.RANGE: (2, "<H"),
    Setting.RANGE_MILLIUNIT: (4, "<I"),
    Setting.CHANNELS: (1, "<B"),
    Setting.FACTOR: (4, "<f"),
    Setting.SECURITY: (16, "16s"),
}

# Raw frame type -> bytes per channel value. Values are mG (times FACTOR when the device sent one).
RAW_FRAME_BYTES: Mapping[int, int] = {0x00: 1, 0x01: 2, 0x02: 3}
# Compressed frame type -> True when the decoded values are in g (x FACTOR) rather than mG.
DELTA_FRAME_IN_G: Mapping[int, bool] = {0x80: True, 0x81: False}


# ---------------------------------------------------------------- control point: requests

def start_request(measurement: int, settings: Mapping[int, int]) -> bytes:
    """`02 <type> {<setting> 01 <value>}…`; every setting carries exactly one value."""
    out = bytearray((Opcode.START, measurement & 0x7F))
    for kind, value in settings.items():
        _size, code = SETTING_FIELDS[kind]
        out += bytes((kind, 1)) + struct.pack(code, value)
    return bytes(out)


def acc_start_request(rate_hz: int, range_g: int, resolution: int = 16, channels: int | None = None) -> bytes:
    settings: dict[int, int] = {Setting.SAMPLE_RATE: rate_hz, Setting.RESOLUTION: resolution,
                                Setting.RANGE: range_g}
    if channels is not None:
        settings[Setting.CHANNELS] = channels
    return start_request(Measurement.ACC, settings)


def stop_request(measurement: int) -> bytes:
    return bytes((Opcode.STOP, measurement & 0x7F))


def get_settings_request(measurement: int) -> bytes:
    return bytes((Opcode.GET_SETTINGS, measurement & 0x7F))


# ---------------------------------------------------------------- control point: responses

@dataclass(frozen=True, slots=True)
class ControlResponse:
    opcode: int
    measurement: int
    status: int
    more: bool
    parameters: bytes

    @property
    def ok(self) -> bool:
        return self.status == Status.SUCCESS


@dataclass(frozen=True, slots=True)
class MeasurementStopped:
    """Unsolicited `01 <type>…` indication: the sensor ended these streams (e.g. on the charger)."""

    measurements: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class Features:
    measurements: frozenset[int]


@dataclass(frozen=True, slots=True)
class Malformed:
    reason: str


ControlMessage = ControlResponse | MeasurementStopped | Features | Malformed

_FEATURE_BITS = {0: Measurement.ECG, 1: Measurement.PPG, 2: Measurement.ACC, 3: Measurement.PPI,
                 5: Measurement.GYRO, 6: Measurement.MAG, 7: Measurement.SKIN_TEMP}


def parse_control(data: bytes) -> ControlMessage:
    """Parse one CP indication or CP read value; never raises."""
    if not data:
        return Malformed("empty control message")
    if data[0] == RESPONSE_CODE:
        if len(data) < 5:
            return Malformed("short control response")
        return ControlResponse(data[1], data[2] & 0x3F, data[3], data[4] != 0, bytes(data[5:]))
    if data[0] == FEATURES_CODE:
        if len(data) < 2:
            return Malformed("short feature value")
        return Features(frozenset(m for bit, m in _FEATURE_BITS.items() if data[1] >> bit & 1))
    if data[0] == Opcode.GET_SETTINGS:  # 0x01 as the first byte of an indication = streams stopped
        return MeasurementStopped(tuple(b & 0x3F for b in data[1:]))
    return Malformed(f"unknown control message 0x{data[0]:02x}")


class ControlAssembler:
    """Join CP responses that the sensor split over several indications (`more` ≠ 0)."""

    def __init__(self) -> None:
        self._head: ControlResponse | None = None
        self._params = bytearray()

    def feed(self, data: bytes) -> ControlMessage | None:
        message = parse_control(data)
        if not isinstance(message, ControlResponse):
            return message
        if self._head is not None and (message.opcode, message.measurement) != (
                self._head.opcode, self._head.measurement):
            self._head = None  # a new response interrupts a partial one: drop the partial
            self._params.clear()
        if self._head is None:
            self._head = message
        self._params += message.parameters
        if message.more:
            return None
        head, params = self._head, bytes(self._params)
        self._head = None
        self._params.clear()
        return ControlResponse(head.opcode, head.measurement, message.status, False, params)


def parse_settings(parameters: bytes) -> dict[int, tuple[float, ...]]:
    """Setting TLVs `type count valuexcount` → {type: values}; raises DecodeFailure on bad input."""
    out: dict[int, tuple[float, ...]] = {}
    i = 0
    while i < len(parameters):
        if i + 2 > len(parameters):
            raise DecodeFailure("truncated setting header")
        kind, count = parameters[i], parameters[i + 1]
        field = SETTING_FIELDS.get(kind)
        if field is None:
            raise DecodeFailure(f"unknown setting type {kind}")
        size, code = field
        end = i + 2 + size * count
        if end > len(parameters):
            raise DecodeFailure("truncated setting values")
        if kind == Setting.SECURITY:
            values: tuple[float, ...] = ()
        else:
            values = tuple(float(struct.unpack_from(code, parameters, i + 2 + size * k)[0])
                           for k in range(count))
        out[kind] = values
        i = end
    return out


def response_factor(response: ControlResponse) -> float:
    """FACTOR carried by a START response, 1.0 when absent or unreadable."""
    try:
        values = parse_settings(response.parameters).get(Setting.FACTOR, ())
    except DecodeFailure:
        return 1.0
    factor = values[0] if values else 1.0
    return factor if math.isfinite(factor) and factor > 0 else 1.0


def control_response(opcode: int, measurement: int, status: int = Status.SUCCESS,
                     parameters: bytes = b"", more: bool = False) -> bytes:
    return bytes((RESPONSE_CODE, opcode, measurement, status, int(more))) + parameters


def settings_parameters(settings: Mapping[int, tuple[float, ...]]) -> bytes:
    out = bytearray()
    for kind, values in settings.items():
        _size, code = SETTING_FIELDS[kind]
        out += bytes((kind, len(values)))
        for value in values:
            out += struct.pack(code, value if kind == Setting.FACTOR else int(value))
    return bytes(out)


def parse_start_request(data: bytes) -> tuple[int, dict[int, float]]:
    """The sensor side of START: (measurement, {setting: value}); raises DecodeFailure."""
    if len(data) < 2 or data[0] != Opcode.START:
        raise DecodeFailure("not a start request")
    settings = parse_settings(data[2:])
    if any(len(v) != 1 for k, v in settings.items() if k != Setting.SECURITY):
        raise DecodeFailure("start request settings must carry one value each")
    return data[1] & 0x3F, {k: v[0] for k, v in settings.items() if v}


# ---------------------------------------------------------------- data frames

def _signed(values: np.ndarray, bits: int) -> np.ndarray:
    values = values.astype(np.int64)
    sign = np.int64(1) << (bits - 1)
    return (values ^ sign) - sign


def _le_ints(data: bytes, width: int, signed_bits: int) -> np.ndarray:
    raw = np.frombuffer(data, dtype=np.uint8).reshape(-1, width).astype(np.int64)
    values = np.zeros(raw.shape[0], dtype=np.int64)
    for k in range(width):
        values |= raw[:, k] << (8 * k)
    return _signed(values, signed_bits)


def decode_raw_payload(payload: bytes, frame_type: int, channels: int = 3) -> np.ndarray:
    width = RAW_FRAME_BYTES[frame_type]
    if not payload or len(payload) % (width * channels):
        raise DecodeFailure("raw payload is not a whole number of samples")
    return _le_ints(payload, width, 8 * width).reshape(-1, channels)


def decode_delta_payload(payload: bytes, resolution: int, channels: int = 3) -> np.ndarray:
    """Reference sample, then blocks of `bits count packed-deltas` (LSB-first bit stream)."""
    ref_bytes = math.ceil(resolution / 8) * channels
    if len(payload) < ref_bytes:
        raise DecodeFailure("delta frame shorter than its reference sample")
    rows = [_le_ints(payload[:ref_bytes], ref_bytes // channels, resolution).reshape(1, channels)]
    offset = ref_bytes
    while offset < len(payload):
        if offset + 2 > len(payload):
            raise DecodeFailure("truncated delta block header")
        bits, count = payload[offset], payload[offset + 1]
        if not 1 <= bits <= 32 or count == 0:
            raise DecodeFailure("invalid delta block header")
        size = math.ceil(bits * channels * count / 8)
        start = offset + 2
        if start + size > len(payload):
            raise DecodeFailure("truncated delta block")
        stream = np.unpackbits(np.frombuffer(payload, np.uint8, size, start), bitorder="little")
        fields = stream[: bits * channels * count].reshape(-1, bits).astype(np.int64)
        deltas = _signed(fields @ (np.int64(1) << np.arange(bits, dtype=np.int64)), bits)
        rows.append(deltas.reshape(count, channels))
        offset = start + size
    samples = np.cumsum(np.concatenate(rows), axis=0)
    return samples


def encode_raw_frame(timestamp_ns: int, samples_mg: np.ndarray, frame_type: int = 0x01) -> bytes:
    """Raw ACC frame (types 00/01/02): integer mG values, channels interleaved."""
    width = RAW_FRAME_BYTES[frame_type]
    values = np.asarray(samples_mg, dtype=np.int64).reshape(-1)
    raw = (values & ((1 << (8 * width)) - 1)).astype("<u4").view(np.uint8).reshape(-1, 4)[:, :width]
    return HEADER.pack(Measurement.ACC, timestamp_ns, frame_type) + raw.tobytes()


def _pack_bits(values: np.ndarray, bits: int) -> bytes:
    masked = (values.astype(np.int64) & ((1 << bits) - 1)).reshape(-1, 1)
    stream = ((masked >> np.arange(bits, dtype=np.int64)) & 1).astype(np.uint8).reshape(-1)
    return np.packbits(stream, bitorder="little").tobytes()


def encode_delta_frame(timestamp_ns: int, samples: np.ndarray, frame_type: int = 0x80,
                       resolution: int = 16, block_size: int = 255) -> bytes:
    """Compressed ACC frame: reference sample then delta blocks, each with the narrowest width."""
    values = np.asarray(samples, dtype=np.int64).reshape(-1, 3)
    width = math.ceil(resolution / 8)
    mask = (1 << (8 * width)) - 1
    ref = (values[0] & mask).astype("<u8").view(np.uint8).reshape(-1, 8)[:, :width]
    out = bytearray(HEADER.pack(Measurement.ACC, timestamp_ns, frame_type) + ref.tobytes())
    deltas = np.diff(values, axis=0)
    for start in range(0, len(deltas), block_size):
        chunk = deltas[start:start + block_size]
        peak = int(np.max(np.maximum(chunk, -chunk - 1))) if chunk.size else 0
        bits = max(1, peak.bit_length() + 1)
        out += bytes((bits, len(chunk))) + _pack_bits(chunk, bits)
    return bytes(out)


class PmdAccDecoder(Decoder):
    """ACC frames of the PMD data characteristic → samples in g on the sensor's clock.

    Sample times follow `PmdTimeStampUtils`: the frame stamp is the last sample's time; spacing
    is (T - previous T) / N when the previous frame is known and no frame was lost, else 1 / rate.
    """

    def __init__(self, rate_hz: float, factor: float = 1.0, resolution: int = 16) -> None:
        super().__init__()
        self.rate_hz = rate_hz
        self.factor = factor
        self.resolution = resolution
        self.ignored = 0  # frames of other measurement types (ECG, HR) on the same characteristic
        self._previous_ns: int | None = None

    def reset(self) -> None:
        self._previous_ns = None

    def _decode(self, data: bytes) -> list[SampleBlock]:
        if len(data) < HEADER.size:
            raise DecodeFailure("frame shorter than the PMD header")
        measurement, stamp_ns, frame_type = HEADER.unpack_from(data)
        if measurement & 0x3F != Measurement.ACC:
            self.ignored += 1
            return []
        payload = data[HEADER.size:]
        if frame_type in RAW_FRAME_BYTES:
            xyz = decode_raw_payload(payload, frame_type) * (self.factor / 1000.0)
        elif frame_type in DELTA_FRAME_IN_G:
            scale = self.factor if DELTA_FRAME_IN_G[frame_type] else self.factor / 1000.0
            xyz = decode_delta_payload(payload, self.resolution) * scale
        else:
            raise DecodeFailure(f"unknown ACC frame type 0x{frame_type:02x}")
        if self._previous_ns is not None and stamp_ns <= self._previous_ns:
            raise DecodeFailure("frame timestamp not after the previous frame")
        t = self._sample_times(stamp_ns, len(xyz))
        self._previous_ns = stamp_ns
        self.frames += 1
        return [block(t, xyz)]

    def _sample_times(self, stamp_ns: int, n: int) -> FloatArray:
        nominal = NS_PER_S / self.rate_hz
        spacing = nominal
        if self._previous_ns is not None:
            measured = (stamp_ns - self._previous_ns) / n
            # A lost frame makes the measured spacing too long: fall back to the nominal rate.
            # Shorter spacing is kept as the SDK does, so samples never precede the previous frame.
            if measured <= 2.0 * nominal:
                spacing = measured
        back = (n - 1 - np.arange(n, dtype=np.float64)) * spacing
        return (stamp_ns - back) / NS_PER_S
