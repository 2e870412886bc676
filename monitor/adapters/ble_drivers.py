"""Per-family session drivers: how to start, stop, read the battery of and buzz each wearable.

A driver speaks only through bleak's `BleakClient` and the pure builders and decoders in
`monitor.devices`; it does not know about reconnects, clocks or sinks (the manager in `ble.py`
does). `start` subscribes the data characteristic and hands every notification's bytes to
`deliver`; once it returns, `decoder` is ready (bytes delivered before that are held by the
manager, with their arrival times, and decoded then). A stream error the sensor reports in-band (the
Polar control point saying "stopped") is passed to `fail`, which ends the session.
"""

from __future__ import annotations

import asyncio
import contextlib
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping

from bleak import BleakClient
from bleak.backends.characteristic import BleakGATTCharacteristic

from monitor.config import WearableSettings
from monitor.devices import metawear as mw
from monitor.devices import polar_pmd as pmd
from monitor.devices import sitmon_profile as sp
from monitor.devices import thingy52 as thingy
from monitor.devices import witmotion as wit
from monitor.devices.base import DecodeFailure, Decoder
from monitor.devices.heart_rate import BATTERY_LEVEL, decode_battery_level

Deliver = Callable[[bytes], None]
Fail = Callable[[str], None]
RESPONSE_TIMEOUT_S = 10.0


class StartError(Exception):
    """The wearable refused to stream (control point status, missing characteristic, ...)."""


def _nearest(value: float, options: tuple[float, ...]) -> float:
    return min(options, key=lambda o: abs(o - value))


def _has_char(client: BleakClient, uuid: str) -> bool:
    return client.services.get_characteristic(uuid) is not None


class Driver(ABC):
    kind: str = ""
    service_uuid: str = ""
    name_prefixes: tuple[str, ...] = ()
    # The battery reading answers on the data stream (so the stream must be started to read it).
    battery_in_band: bool = False

    def __init__(self, settings: WearableSettings, command_gap_s: float = 0.1) -> None:
        self.settings = settings
        self.command_gap_s = command_gap_s
        self.decoder: Decoder | None = None
        self.rate_hz = settings.rate_hz

    @abstractmethod
    async def start(self, client: BleakClient, deliver: Deliver, fail: Fail) -> None:
        """Configure and start the stream; subscribe so that each notification reaches `deliver`."""

    async def stop(self, client: BleakClient) -> None:  # noqa: B027 - most sensors need nothing
        """Ask the sensor to stop streaming before disconnecting (some keep running otherwise)."""

    async def read_battery(self, client: BleakClient) -> int | None:
        if not _has_char(client, BATTERY_LEVEL):
            return None
        return decode_battery_level(bytes(await client.read_gatt_char(BATTERY_LEVEL)))

    async def buzz(self, client: BleakClient) -> bool:
        """Prompt the wearer on the device itself; False if it has no way to."""
        return False

    @classmethod
    def matches_name(cls, name: str | None) -> bool:
        return name is not None and any(name.startswith(p) for p in cls.name_prefixes)

    @classmethod
    def matches_service(cls, service_uuids: list[str]) -> bool:
        return bool(cls.service_uuid) and cls.service_uuid in service_uuids


class PolarDriver(Driver):
    kind = "polar-h10"
    service_uuid = pmd.PMD_SERVICE
    name_prefixes = ("Polar H10",)
    rates: tuple[float, ...] = (25, 50, 100, 200)
    range_g = 8

    async def start(self, client: BleakClient, deliver: Deliver, fail: Fail) -> None:
        responses: asyncio.Queue[pmd.ControlResponse] = asyncio.Queue()
        assembler = pmd.ControlAssembler()

        def on_control(_: BleakGATTCharacteristic, data: bytearray) -> None:
            message = assembler.feed(bytes(data))
            if isinstance(message, pmd.ControlResponse):
                responses.put_nowait(message)
            elif isinstance(message, pmd.MeasurementStopped) and pmd.Measurement.ACC in message.measurements:
                fail("the sensor stopped the accelerometer stream")

        self.rate_hz = _nearest(self.settings.rate_hz, self.rates)
        await client.start_notify(pmd.PMD_CONTROL, on_control)
        # Data can beat the start response; the manager holds it until `decoder` (and so the
        # FACTOR) is known.
        await client.start_notify(pmd.PMD_DATA, lambda _, data: deliver(bytes(data)))
        request = pmd.acc_start_request(int(self.rate_hz), self.range_g)
        response = await self._command(client, request, responses)
        if response.status == pmd.Status.ALREADY_IN_STATE:  # left running by a previous session
            await self._command(client, pmd.stop_request(pmd.Measurement.ACC), responses)
            response = await self._command(client, request, responses)
        if not response.ok:
            raise StartError(f"PMD start refused with status {response.status}")
        self.decoder = pmd.PmdAccDecoder(self.rate_hz, pmd.response_factor(response))

    async def _command(self, client: BleakClient, request: bytes,
                       responses: asyncio.Queue[pmd.ControlResponse]) -> pmd.ControlResponse:
        await client.write_gatt_char(pmd.PMD_CONTROL, request, response=True)
        while True:
            async with asyncio.timeout(RESPONSE_TIMEOUT_S):
                response = await responses.get()
            if response.opcode == request[0]:
                return response

    async def stop(self, client: BleakClient) -> None:
        # KnownIssues: an H10 left streaming stays on until its battery is removed.
        await client.write_gatt_char(pmd.PMD_CONTROL, pmd.stop_request(pmd.Measurement.ACC), response=True)


class PolarVerityDriver(PolarDriver):
    kind = "polar-verity"
    name_prefixes = ("Polar Sense",)
    rates = (26, 52, 104, 208, 416)


class ThingyDriver(Driver):
    kind = "thingy52"
    service_uuid = thingy.CONFIG_SERVICE
    name_prefixes = ("Thingy",)

    async def start(self, client: BleakClient, deliver: Deliver, fail: Fail) -> None:
        self.rate_hz = float(max(5, min(200, round(self.settings.rate_hz))))
        config = thingy.MotionConfig(motion_rate_hz=int(self.rate_hz))
        await client.write_gatt_char(thingy.MOTION_CONFIG, config.encode(), response=True)
        self.decoder = thingy.ThingyRawDecoder(self.rate_hz)
        await client.start_notify(thingy.RAW_DATA, lambda _, data: deliver(bytes(data)))

    async def buzz(self, client: BleakClient) -> bool:
        await client.write_gatt_char(thingy.LED, thingy.led_one_shot(), response=True)
        await client.write_gatt_char(thingy.SOUND_CONFIG, thingy.SPEAKER_FREQUENCY_MODE, response=True)
        await client.write_gatt_char(thingy.SPEAKER_DATA, thingy.speaker_tone(), response=False)
        return True


class WitMotionDriver(Driver):
    kind = "witmotion"
    service_uuid = wit.SERVICE
    name_prefixes = ("WT901", "BWT901")
    battery_in_band = True

    def __init__(self, settings: WearableSettings, command_gap_s: float = 0.1) -> None:
        super().__init__(settings, command_gap_s)
        self.rate_hz = wit.nearest_rate(settings.rate_hz)
        self._decoder = wit.WitMotionDecoder(self.rate_hz)

    async def start(self, client: BleakClient, deliver: Deliver, fail: Fail) -> None:
        self.decoder = self._decoder
        # Rate first: the stream starts with the notifications, at the rate the sensor has then.
        for command in wit.rate_commands(self.rate_hz):  # the vendor pauses between these writes
            await client.write_gatt_char(wit.WRITE, command, response=True)
            await asyncio.sleep(self.command_gap_s)
        await client.start_notify(wit.NOTIFY, lambda _, data: deliver(bytes(data)))

    async def read_battery(self, client: BleakClient) -> int | None:
        # The reply arrives as a 55 71 frame on the data stream; report what the last one said.
        await client.write_gatt_char(wit.WRITE, wit.read_registers(wit.BATTERY_REGISTER), response=True)
        return self._decoder.battery_percent


class MetaWearDriver(Driver):
    kind = "metawear"
    service_uuid = mw.SERVICE
    name_prefixes = ("MetaWear",)
    range_g = 4
    battery_in_band = True

    def __init__(self, settings: WearableSettings, command_gap_s: float = 0.1) -> None:
        super().__init__(settings, command_gap_s)
        self.rate_hz = mw.nearest_odr(settings.rate_hz)
        self._decoder = mw.MetaWearDecoder(self.rate_hz, self.range_g)

    async def start(self, client: BleakClient, deliver: Deliver, fail: Fail) -> None:
        self.decoder = self._decoder
        await client.start_notify(mw.NOTIFY, lambda _, data: deliver(bytes(data)))
        await client.write_gatt_char(mw.COMMAND, mw.module_info_read(mw.HAPTIC), response=True)
        await client.write_gatt_char(mw.COMMAND, mw.configure_accelerometer(self.rate_hz, self.range_g), True)
        for command in mw.start_accelerometer(packed=True):
            await client.write_gatt_char(mw.COMMAND, command, response=True)

    async def stop(self, client: BleakClient) -> None:
        for command in mw.stop_accelerometer(packed=True):
            await client.write_gatt_char(mw.COMMAND, command, response=True)

    async def read_battery(self, client: BleakClient) -> int | None:
        await client.write_gatt_char(mw.COMMAND, mw.battery_read(), response=True)
        return self._decoder.battery_percent

    async def buzz(self, client: BleakClient) -> bool:
        # Discovery answers `08 80` with no body when the board has no motor.
        if not self._decoder.modules.get(mw.HAPTIC, b"x"):
            return False
        await client.write_gatt_char(mw.COMMAND, mw.motor_pulse(80, 400), response=True)
        return True


class SitmonDriver(Driver):
    kind = "sitmon"
    service_uuid = sp.SERVICE
    name_prefixes = ("sitmon",)

    def __init__(self, settings: WearableSettings, command_gap_s: float = 0.1) -> None:
        super().__init__(settings, command_gap_s)
        self.info = sp.SensorInfo(capabilities=0)

    async def start(self, client: BleakClient, deliver: Deliver, fail: Fail) -> None:
        with contextlib.suppress(DecodeFailure):
            self.info = sp.SensorInfo.decode(bytes(await client.read_gatt_char(sp.INFO)))
        rate = max(1, min(self.info.max_rate_hz or 1000, round(self.settings.rate_hz)))
        await client.write_gatt_char(sp.CONFIG, sp.SensorConfig(rate_hz=rate).encode(), response=True)
        with contextlib.suppress(DecodeFailure):
            self.rate_hz = sp.SensorConfig.decode(bytes(await client.read_gatt_char(sp.CONFIG))).rate_hz
        self.decoder = sp.SitmonProfileDecoder()
        await client.start_notify(sp.SAMPLES, lambda _, data: deliver(bytes(data)))

    async def buzz(self, client: BleakClient) -> bool:
        if not (self.info.can_vibrate and _has_char(client, sp.VIBRATION)):
            return False
        await client.write_gatt_char(sp.VIBRATION, sp.vibration_command(), response=True)
        return True


DRIVERS: Mapping[str, type[Driver]] = {
    "polar-h10": PolarDriver,
    "polar-verity": PolarVerityDriver,
    "thingy52": ThingyDriver,
    "witmotion": WitMotionDriver,
    "metawear": MetaWearDriver,
    "sitmon": SitmonDriver,
    "emulated": SitmonDriver,  # the emulated wearable speaks the open profile
}


def driver_for(settings: WearableSettings, command_gap_s: float = 0.1) -> Driver:
    return DRIVERS[settings.kind](settings, command_gap_s)


def identify(name: str | None, service_uuids: list[str]) -> str | None:
    """The wearable kind an advertisement belongs to, or None if sitmon cannot read it."""
    # Names first: the H10 and the Verity Sense advertise the same PMD service.
    kinds = [kind for kind in DRIVERS if kind != "emulated"]
    for kind in kinds:
        if DRIVERS[kind].matches_name(name):
            return kind
    for kind in kinds:
        if DRIVERS[kind].matches_service(service_uuids):
            return kind
    return None
