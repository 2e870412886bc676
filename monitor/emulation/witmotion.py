"""Emulated WitMotion BWT901BLECL: FFE4 notify stream, FFE9 register commands, battery register.

Streaming starts when notifications are enabled, at the return rate (default 10 Hz; the unlock,
rate and save commands change it). A register read (`FF AA 27 R 00`) is answered with a `55 71`
frame. The BLE module forwards the IMU's UART bytes, so several 20-byte frames may share a
notification; `frames_per_notification` sets how many.
"""

from __future__ import annotations

from bumble.device import Connection
from bumble.gatt import Characteristic, CharacteristicValue, Service

from monitor.devices import witmotion as wit
from monitor.emulation.peripheral import (
    NOTIFY,
    WRITE,
    WRITE_NO_RESPONSE,
    WRITEABLE,
    EmulatedPeripheral,
    SampleSource,
    characteristic,
)
from monitor.model import SampleBlock

RATE_BY_CODE = {code: rate for rate, code in wit.RATE_CODES.items()}


class EmulatedWitMotion(EmulatedPeripheral):
    kind = "witmotion"
    default_name = "WT901BLE68"

    def __init__(self, source: SampleSource, *, frames_per_notification: int = 1, battery_volts: float = 3.79,
                 **kwargs: object) -> None:
        kwargs.setdefault("rate_hz", 10.0)
        super().__init__(source, **kwargs)  # type: ignore[arg-type]
        self.frames_per_notification = frames_per_notification
        self.battery_volts = battery_volts
        self.unlocked = False
        self._notify = characteristic(wit.NOTIFY, NOTIFY)
        self._notify.on("subscription", self._on_subscription)

    def services(self) -> list[Service]:
        return [Service(wit.SERVICE, [
            self._notify,
            characteristic(wit.WRITE, WRITE | WRITE_NO_RESPONSE, WRITEABLE,
                           CharacteristicValue(write=self._on_command))])]

    def has_battery_service(self) -> bool:
        return False

    def advertised_uuids(self) -> list[str]:
        return [wit.SERVICE]

    def data_characteristic(self) -> Characteristic[bytes]:
        return self._notify

    def samples_per_frame(self, mtu: int) -> int:
        return max(1, min(self.frames_per_notification, (mtu - 3) // wit.FRAME_SIZE))

    def encode(self, block: SampleBlock, mtu: int) -> list[bytes]:
        return [b"".join(wit.encode_data_frame(row) for row in block.xyz)]

    def _on_subscription(self, connection: Connection, notify: bool, indicate: bool) -> None:
        if notify:
            self.start_stream()
        else:
            self.stop_stream()

    def _on_command(self, connection: Connection, value: bytes) -> None:
        command = bytes(value)
        if len(command) != 5 or command[:2] != b"\xff\xaa":
            return
        register, low = command[2], command[3]
        if command == wit.UNLOCK:
            self.unlocked = True
        elif register == wit.RATE_REGISTER and self.unlocked and low in RATE_BY_CODE:
            self.rate_hz = float(RATE_BY_CODE[low])
            if self.streaming:  # a new rate applies from the next frame
                self.stop_stream()
                self.start_stream()
        elif register == 0x27:
            values = (round(self.battery_volts * 100),) if low == wit.BATTERY_REGISTER else (0,)
            self.spawn(self._send(wit.encode_register_frame(low, values)))
        elif register == 0x00:
            self.unlocked = False

    async def _send(self, value: bytes) -> None:
        if self.device is not None:
            await self.device.notify_subscribers(self._notify, value)
