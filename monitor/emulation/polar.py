"""Emulated Polar H10 and Verity Sense: PMD control point, ACC stream, heart rate, battery.

The control point answers like the SDK documents: START/STOP/GET_SETTINGS with `F0` responses as
indications, a FACTOR in the Verity's start response, and refusals for rates it does not have.
The H10 streams raw int16 mG frames (type 01), the Verity delta frames (type 80, g x FACTOR).
"""

from __future__ import annotations

import numpy as np
from bumble.device import Connection
from bumble.gatt import Characteristic, CharacteristicValue, Service

from monitor.devices import polar_pmd as pmd
from monitor.devices.base import DecodeFailure
from monitor.devices.heart_rate import HEART_RATE_MEASUREMENT, HEART_RATE_SERVICE
from monitor.emulation.peripheral import (
    INDICATE,
    NOTIFY,
    READ,
    READ_WRITE,
    READABLE,
    WRITE,
    EmulatedPeripheral,
    SampleSource,
    characteristic,
)
from monitor.model import SampleBlock

DEVICE_EPOCH_NS = 123_456_789_000  # the sensor's clock was never set: a couple of minutes past 2000


class EmulatedPolar(EmulatedPeripheral):
    rates: tuple[int, ...] = ()
    ranges: tuple[int, ...] = ()
    frame_type = 0x01
    factor = 1.0

    def __init__(self, source: SampleSource, **kwargs: object) -> None:
        super().__init__(source, **kwargs)  # type: ignore[arg-type]
        self.range_g = self.ranges[-1]
        self.control_log: list[bytes] = []
        self._control = characteristic(pmd.PMD_CONTROL, READ | WRITE | INDICATE, READ_WRITE,
                                       CharacteristicValue(read=self._read_features, write=self._on_control))
        self._data = characteristic(pmd.PMD_DATA, NOTIFY, READABLE)

    def services(self) -> list[Service]:
        heart_rate = Service(HEART_RATE_SERVICE, [characteristic(HEART_RATE_MEASUREMENT, NOTIFY)])
        return [Service(pmd.PMD_SERVICE, [self._control, self._data]), heart_rate]

    def advertised_uuids(self) -> list[str]:
        return ["180D", pmd.PMD_SERVICE]

    def data_characteristic(self) -> Characteristic[bytes]:
        return self._data

    def samples_per_frame(self, mtu: int) -> int:
        # As many int16 samples as one notification holds after the 10-byte header.
        return max(1, min(36, (mtu - 3 - pmd.HEADER.size) // 6))

    def encode(self, block: SampleBlock, mtu: int) -> list[bytes]:
        stamp = DEVICE_EPOCH_NS + round((float(block.t[-1]) - self.source.start) * 1e9)
        if self.frame_type == 0x01:
            return [pmd.encode_raw_frame(stamp, np.round(block.xyz * 1000.0), 0x01)]
        raw = np.round(block.xyz / self.factor)
        return [pmd.encode_delta_frame(stamp, raw, self.frame_type)]

    def _read_features(self, connection: Connection) -> bytes:
        return bytes((pmd.FEATURES_CODE, 1 << pmd.Measurement.ECG | 1 << pmd.Measurement.ACC, 0))

    def _on_control(self, connection: Connection, value: bytes) -> None:
        self.control_log.append(bytes(value))
        response = self._answer(bytes(value))
        self.spawn(self._indicate(connection, response))

    async def _indicate(self, connection: Connection, response: bytes) -> None:
        if self.device is not None:
            await self.device.indicate_subscriber(connection, self._control, response)

    def _answer(self, request: bytes) -> bytes:
        if len(request) < 2:
            return pmd.control_response(request[0] if request else 0, 0, pmd.Status.INVALID_LENGTH)
        opcode, measurement = request[0], request[1] & 0x3F
        if opcode not in (pmd.Opcode.GET_SETTINGS, pmd.Opcode.START, pmd.Opcode.STOP):
            return pmd.control_response(opcode, measurement, pmd.Status.INVALID_OP_CODE)
        if measurement != pmd.Measurement.ACC:
            return pmd.control_response(opcode, measurement, pmd.Status.NOT_SUPPORTED)
        if opcode == pmd.Opcode.GET_SETTINGS:
            return pmd.control_response(opcode, measurement, parameters=pmd.settings_parameters({
                pmd.Setting.SAMPLE_RATE: tuple(float(r) for r in self.rates),
                pmd.Setting.RESOLUTION: (16.0,), pmd.Setting.RANGE: tuple(float(r) for r in self.ranges)}))
        if opcode == pmd.Opcode.STOP:
            was = self.streaming
            self.stop_stream()
            return pmd.control_response(opcode, measurement,
                                        pmd.Status.SUCCESS if was else pmd.Status.ALREADY_IN_STATE)
        return self._start(request)

    def _start(self, request: bytes) -> bytes:
        acc = pmd.Measurement.ACC
        try:
            _, settings = pmd.parse_start_request(request)
        except DecodeFailure:
            return pmd.control_response(pmd.Opcode.START, acc, pmd.Status.INVALID_PARAMETER)
        rate = int(settings.get(pmd.Setting.SAMPLE_RATE, 0))
        if rate not in self.rates:
            return pmd.control_response(pmd.Opcode.START, acc, pmd.Status.INVALID_SAMPLE_RATE)
        range_g = int(settings.get(pmd.Setting.RANGE, self.ranges[-1]))
        if range_g not in self.ranges:
            return pmd.control_response(pmd.Opcode.START, acc, pmd.Status.INVALID_RANGE)
        if self.streaming:
            return pmd.control_response(pmd.Opcode.START, acc, pmd.Status.ALREADY_IN_STATE)
        self.rate_hz, self.range_g = float(rate), range_g
        self.start_stream()
        factor = pmd.settings_parameters({pmd.Setting.FACTOR: (self.factor,)})
        return pmd.control_response(pmd.Opcode.START, acc, parameters=factor)


class EmulatedPolarH10(EmulatedPolar):
    kind = "polar-h10"
    default_name = "Polar H10 E1A2B3C4"
    rates = (25, 50, 100, 200)
    ranges = (2, 4, 8)


class EmulatedPolarVerity(EmulatedPolar):
    kind = "polar-verity"
    default_name = "Polar Sense D5E6F7A8"
    rates = (26, 52, 104, 208, 416)
    ranges = (2, 4, 8, 16)
    frame_type = 0x80
    factor = 2.0**-12  # 1/4096 g per count at +-8 g, as the vendor's delta example implies

    def __init__(self, source: SampleSource, **kwargs: object) -> None:
        kwargs.setdefault("rate_hz", 52.0)
        super().__init__(source, **kwargs)
