"""Emulated MetaWear (MetaMotion R, BMI160): command/notify characteristics, accelerometer,
battery reply, module discovery and the haptic motor.

Configuration writes are silent, as on the board; data flows once sampling is enabled, the data
signal subscribed and the accelerometer powered, in the SDK's order. The packed-data signal
(`03 1C`) carries three samples per notification.
"""

from __future__ import annotations

from bumble.device import Connection
from bumble.gatt import Characteristic, CharacteristicValue, Service

from monitor.devices import metawear as mw
from monitor.emulation.peripheral import (
    NOTIFY,
    READ,
    READABLE,
    WRITE,
    WRITE_NO_RESPONSE,
    WRITEABLE,
    EmulatedPeripheral,
    SampleSource,
    characteristic,
)
from monitor.model import SampleBlock

ODR_BY_CODE = {code: rate for rate, code in mw.ODR_CODES.items()}
RANGE_BY_CODE = {code: g for g, (code, _) in mw.RANGES.items()}
MODULE_INFO = {mw.ACCELEROMETER: b"\x01\x01", mw.HAPTIC: b"\x00\x00", mw.SETTINGS: b"\x00\x07"}


class EmulatedMetaWear(EmulatedPeripheral):
    kind = "metawear"
    default_name = "MetaWear"

    def __init__(self, source: SampleSource, **kwargs: object) -> None:
        kwargs.setdefault("rate_hz", 100.0)
        super().__init__(source, **kwargs)  # type: ignore[arg-type]
        self.range_g = 2
        self.sampling = False
        self.powered = False
        self.signals: set[int] = set()
        self._notify = characteristic(mw.NOTIFY, NOTIFY)

    def services(self) -> list[Service]:
        info = Service("180A", [characteristic("2A24", READ, READABLE, b"5"),
                                characteristic("2A26", READ, READABLE, b"1.7.3")])
        return [Service(mw.SERVICE, [
            characteristic(mw.COMMAND, WRITE | WRITE_NO_RESPONSE, WRITEABLE,
                           CharacteristicValue(write=self._on_command)),
            self._notify]), info]

    def has_battery_service(self) -> bool:
        return False

    def advertised_uuids(self) -> list[str]:
        return [mw.SERVICE]

    def data_characteristic(self) -> Characteristic[bytes]:
        return self._notify

    def samples_per_frame(self, mtu: int) -> int:
        return 3 if mw.ACC_PACKED_DATA in self.signals else 1

    def encode(self, block: SampleBlock, mtu: int) -> list[bytes]:
        if mw.ACC_PACKED_DATA in self.signals and len(block) == 3:
            return [mw.encode_acc_data(block.xyz, self.range_g, packed=True)]
        return [mw.encode_acc_data(row, self.range_g) for row in block.xyz]

    def on_disconnected(self) -> None:
        super().on_disconnected()
        self.sampling = self.powered = False  # the SDK tears the board down on disconnect
        self.signals.clear()

    def _on_command(self, connection: Connection, value: bytes) -> None:
        command = bytes(value)
        if len(command) < 2:
            return
        module, register, body = command[0], command[1], command[2:]
        if register == mw.READ:
            self.spawn(self._send(bytes((module, mw.READ)) + MODULE_INFO.get(module, b"")))
        elif module == mw.SETTINGS and register & 0x3F == mw.BATTERY:
            self.spawn(self._send(mw.encode_battery(self.battery_percent, 3700 + 5 * self.battery_percent)))
        elif module == mw.HAPTIC and register == 0x01:
            self.prompts.append(command)
        elif module == mw.ACCELEROMETER:
            self._accelerometer(register, body)

    def _accelerometer(self, register: int, body: bytes) -> None:
        if register == mw.ACC_CONFIG and len(body) >= 2:
            self.rate_hz = float(ODR_BY_CODE.get(body[0], self.rate_hz))
            self.range_g = RANGE_BY_CODE.get(body[1], self.range_g)
        elif register == mw.ACC_SAMPLING and body:
            self.sampling = body[0] == 1
        elif register in (mw.ACC_DATA, mw.ACC_PACKED_DATA) and body:
            (self.signals.add if body[0] else self.signals.discard)(register)
        elif register == mw.ACC_POWER and body:
            self.powered = body[0] != 0
        if self.sampling and self.powered and self.signals:
            self.start_stream()
        else:
            self.stop_stream()

    async def _send(self, value: bytes) -> None:
        if self.device is not None:
            await self.device.notify_subscribers(self._notify, value)
