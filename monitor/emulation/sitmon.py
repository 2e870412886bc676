"""Emulated sitmon-profile sensor (docs/sensor-profile.md): what an ESP32 running the profile does."""

from __future__ import annotations

import numpy as np
from bumble import att
from bumble.device import Connection
from bumble.gatt import Characteristic, CharacteristicValue, Service

from monitor.devices import sitmon_profile as sp
from monitor.devices.base import DecodeFailure
from monitor.emulation.peripheral import (
    NOTIFY,
    READ,
    READ_WRITE,
    READABLE,
    WRITE,
    WRITEABLE,
    EmulatedPeripheral,
    SampleSource,
    characteristic,
)
from monitor.model import SampleBlock

SENSOR_BOOT_US = 3_600_000_000  # the sensor has been on for an hour: t0 wraps after 12 minutes


class EmulatedSitmonSensor(EmulatedPeripheral):
    kind = "sitmon"
    default_name = "sitmon"

    def __init__(self, source: SampleSource, *, vibration: bool = True, **kwargs: object) -> None:
        super().__init__(source, **kwargs)  # type: ignore[arg-type]
        self.config = sp.SensorConfig(rate_hz=round(self.rate_hz))
        self.info = sp.SensorInfo(capabilities=(sp.CAP_VIBRATION if vibration else 0) | sp.CAP_BATTERY)
        self.seq = 0
        self._samples = characteristic(sp.SAMPLES, NOTIFY)
        self._samples.on("subscription", self._on_subscription)

    def services(self) -> list[Service]:
        characteristics = [
            self._samples,
            characteristic(sp.CONFIG, READ | WRITE, READ_WRITE,
                           CharacteristicValue(read=lambda c: self.config.encode(), write=self._on_config)),
            characteristic(sp.INFO, READ, READABLE, self.info.encode())]
        if self.info.can_vibrate:
            characteristics.append(characteristic(sp.VIBRATION, WRITE, WRITEABLE,
                                                  CharacteristicValue(write=self._on_vibration)))
        return [Service(sp.SERVICE, characteristics)]

    def advertised_uuids(self) -> list[str]:
        return [sp.SERVICE]

    def data_characteristic(self) -> Characteristic[bytes]:
        return self._samples

    def samples_per_frame(self, mtu: int) -> int:
        return max(1, min(sp.MAX_SAMPLES, (mtu - 3 - sp.frame_size(0)) // sp.SAMPLE_SIZE))

    def encode(self, block: SampleBlock, mtu: int) -> list[bytes]:
        t0_us = SENSOR_BOOT_US + round((float(block.t[0]) - self.source.start) * 1e6)
        frame = sp.encode_frame(self.seq, t0_us, round(1e6 / self.rate_hz), np.round(block.xyz * 1000.0))
        self.seq = (self.seq + 1) & 0xFF
        return [frame]

    def _on_subscription(self, connection: Connection, notify: bool, indicate: bool) -> None:
        if notify:
            self.start_stream()
        else:
            self.stop_stream()

    def _on_config(self, connection: Connection, value: bytes) -> None:
        try:
            config = sp.SensorConfig.decode(bytes(value))
        except DecodeFailure:
            raise att.ATT_Error(att.ErrorCode.VALUE_NOT_ALLOWED) from None
        if config.rate_hz > self.info.max_rate_hz:
            raise att.ATT_Error(att.ErrorCode.VALUE_NOT_ALLOWED)
        self.config = config
        self.rate_hz = float(config.rate_hz)

    def _on_vibration(self, connection: Connection, value: bytes) -> None:
        self.prompts.append(bytes(value))
