"""Emulated Nordic Thingy:52: motion config, raw-data and gravity streams, LED and speaker, battery.

Streams start when the client enables notifications on 0406 (raw) or 040A (gravity), at the
motion processing frequency written to 0401, as the firmware does. A real Thingy sends one frame
per notification; `frames_per_notification` > 1 packs several to make long tests fast (the
decoder accepts whole multiples).
"""

from __future__ import annotations

from collections.abc import Callable

from bumble.device import Connection
from bumble.gatt import Characteristic, CharacteristicValue, Service

from monitor.devices import thingy52 as thingy
from monitor.devices.base import DecodeFailure
from monitor.emulation.peripheral import (
    NOTIFY,
    READ,
    READ_WRITE,
    WRITE,
    WRITE_NO_RESPONSE,
    WRITEABLE,
    EmulatedPeripheral,
    SampleSource,
    characteristic,
)
from monitor.model import SampleBlock


class EmulatedThingy52(EmulatedPeripheral):
    kind = "thingy52"
    default_name = "Thingy"

    def __init__(self, source: SampleSource, *, frames_per_notification: int = 1, **kwargs: object) -> None:
        super().__init__(source, **kwargs)  # type: ignore[arg-type]
        self.config = thingy.MotionConfig(motion_rate_hz=round(self.rate_hz))
        self.frames_per_notification = frames_per_notification
        self.gravity_mode = False
        self._raw = characteristic(thingy.RAW_DATA, NOTIFY)
        self._gravity = characteristic(thingy.GRAVITY, NOTIFY)
        for stream, gravity in ((self._raw, False), (self._gravity, True)):
            stream.on("subscription", self._subscription_handler(gravity))

    def _subscription_handler(self, gravity: bool) -> Callable[[Connection, bool, bool], None]:
        def handler(connection: Connection, notify: bool, indicate: bool) -> None:
            if notify:
                self.gravity_mode = gravity
                self.start_stream()
            else:
                self.stop_stream()
        return handler

    def services(self) -> list[Service]:
        motion = Service(thingy.MOTION_SERVICE, [
            characteristic(thingy.MOTION_CONFIG, READ | WRITE, READ_WRITE,
                           CharacteristicValue(read=lambda c: self.config.encode(), write=self._on_config)),
            self._raw, self._gravity])
        ui = Service(thingy.UI_SERVICE, [
            characteristic(thingy.LED, READ | WRITE, READ_WRITE,
                           CharacteristicValue(read=lambda c: bytes.fromhex("02 06 14 AC 0D"),
                                               write=self._on_prompt)),
            characteristic(thingy.BUTTON, NOTIFY)])
        sound = Service(thingy.SOUND_SERVICE, [
            characteristic(thingy.SOUND_CONFIG, READ | WRITE, READ_WRITE,
                           CharacteristicValue(read=lambda c: b"\x01\x01", write=lambda c, v: None)),
            characteristic(thingy.SPEAKER_DATA, WRITE_NO_RESPONSE, WRITEABLE,
                           CharacteristicValue(write=self._on_prompt))])
        return [motion, ui, sound]

    def advertised_uuids(self) -> list[str]:
        return [thingy.CONFIG_SERVICE]

    def data_characteristic(self) -> Characteristic[bytes]:
        return self._gravity if self.gravity_mode else self._raw

    def samples_per_frame(self, mtu: int) -> int:
        size = thingy.GRAVITY_FRAME_SIZE if self.gravity_mode else thingy.RAW_FRAME_SIZE
        return max(1, min(self.frames_per_notification, (mtu - 3) // size))

    def encode(self, block: SampleBlock, mtu: int) -> list[bytes]:
        encode = thingy.encode_gravity if self.gravity_mode else thingy.encode_raw
        return [b"".join(encode(row) for row in block.xyz)]

    def _on_config(self, connection: Connection, value: bytes) -> None:
        try:
            self.config = thingy.MotionConfig.decode(bytes(value))
        except DecodeFailure:
            return  # the firmware ignores an invalid config
        self.rate_hz = float(self.config.motion_rate_hz)

    def _on_prompt(self, connection: Connection, value: bytes) -> None:
        self.prompts.append(bytes(value))
