"""What every emulated wearable shares: GATT plumbing, advertising, pacing and sample playback.

A family module (`polar.py`, `thingy.py`, ...) supplies its GATT services, how to start and stop
its stream, and how to encode a block of samples into notifications with the real encoders from
`monitor.devices`. This base turns a `SampleSource` (a recording or scripted motion) into those
notifications, paced by the clock:
- with a `ManualClock` the emulator *drives* time: before sending a frame it moves the clock to
  the frame's end, so ten minutes stream in a few wall seconds and every timestamp is exact;
- with any other clock (system, or the demo's sped-up clock) it sleeps the wall time the clock
  asks for.
The sensor keeps its own time line while nobody listens: after a reconnection it streams the
samples of the present, not those it missed.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import Any, Protocol

import numpy as np
from bumble import data_types
from bumble.core import UUID, AdvertisingData
from bumble.device import Connection, Device
from bumble.gatt import Characteristic, CharacteristicValue, Service

from monitor.clock import Clock, ManualClock
from monitor.devices.heart_rate import BATTERY_LEVEL, BATTERY_SERVICE
from monitor.model import SampleBlock

ADVERTISING_INTERVAL_MS = 20
STALLED_WALL_S = 0.001
SIMULATED_HOPS = 12
TEARDOWN_S = 2.0
READ = Characteristic.Properties.READ
WRITE = Characteristic.Properties.WRITE
WRITE_NO_RESPONSE = Characteristic.Properties.WRITE_WITHOUT_RESPONSE
NOTIFY = Characteristic.Properties.NOTIFY
INDICATE = Characteristic.Properties.INDICATE
READABLE = Characteristic.READABLE
WRITEABLE = Characteristic.WRITEABLE
READ_WRITE = Characteristic.READABLE | Characteristic.WRITEABLE


class SampleSource(Protocol):
    """Motion to play: samples (t in s, g) in [t_from, t_to) on a time line starting at `start`."""

    @property
    def start(self) -> float: ...

    def samples(self, t_from: float, t_to: float) -> SampleBlock: ...


class RecordingSource:
    """Play a recorded block once; past its end the sensor lies still (no samples)."""

    def __init__(self, block: SampleBlock) -> None:
        if len(block) == 0:
            raise ValueError("an empty recording cannot be played")
        self.block = block

    @property
    def start(self) -> float:
        return float(self.block.t[0])

    @property
    def end(self) -> float:
        return float(self.block.t[-1])

    def samples(self, t_from: float, t_to: float) -> SampleBlock:
        lo, hi = np.searchsorted(self.block.t, [t_from, t_to], side="left")
        return SampleBlock(self.block.t[lo:hi], self.block.xyz[lo:hi])


def characteristic(uuid: str, properties: Characteristic.Properties, permissions: Any = READABLE,
                   value: bytes | CharacteristicValue[bytes] = b"") -> Characteristic[bytes]:
    return Characteristic(uuid, properties, permissions, value)


class EmulatedPeripheral(ABC):
    """One emulated wearable on the link. Subclasses speak a family's protocol."""

    kind: str = ""
    default_name: str = ""

    def __init__(self, source: SampleSource, *, name: str | None = None, address: str | None = None,
                 rate_hz: float = 50.0, battery_percent: int = 87) -> None:
        self.source = source
        self.name = name or self.default_name
        self.address = address
        self.rate_hz = rate_hz
        self.battery_percent = battery_percent
        self.prompts: list[bytes] = []  # vibrate / flash / beep commands received
        self.frames_sent = 0
        self.connections = 0
        self.stalled = False
        self.device: Device | None = None
        self.clock: Clock = ManualClock()
        self._origin = 0.0
        self._stream: asyncio.Task[None] | None = None
        self._tasks: set[asyncio.Task[Any]] = set()

    # ------------------------------------------------------------------ family hooks

    @abstractmethod
    def services(self) -> list[Service]:
        """GATT services besides Battery."""

    def advertised_uuids(self) -> list[str]:
        return []

    @abstractmethod
    def data_characteristic(self) -> Characteristic[bytes]:
        """The characteristic that carries the sample notifications."""

    @abstractmethod
    def encode(self, block: SampleBlock, mtu: int) -> list[bytes]:
        """Notifications for one frame's worth of samples."""

    def samples_per_frame(self, mtu: int) -> int:
        return 1

    def has_battery_service(self) -> bool:
        return True

    # ------------------------------------------------------------------ wiring

    async def attach(self, device: Device, clock: Clock) -> None:
        self.device = device
        self.clock = clock
        self._origin = clock.now()
        services = self.services()
        if self.has_battery_service():
            services.append(Service(BATTERY_SERVICE, [characteristic(
                BATTERY_LEVEL, READ | NOTIFY, READABLE, CharacteristicValue(read=self._read_battery))]))
        device.add_services(services)
        device.on("connection", self._on_connection)
        await device.power_on()
        await self.advertise()

    async def detach(self) -> None:
        self.stop_stream()
        for task in list(self._tasks):
            task.cancel()
        if self.device is not None:
            for connection in list(self.device.connections.values()):
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(connection.disconnect(), TEARDOWN_S)
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.device.stop_advertising(), TEARDOWN_S)
        self.device = None

    def _advertising_data(self) -> bytes:
        structures: list[Any] = [data_types.Flags(AdvertisingData.Flags.LE_GENERAL_DISCOVERABLE_MODE
                                                  | AdvertisingData.Flags.BR_EDR_NOT_SUPPORTED),
                                 data_types.CompleteLocalName(self.name)]
        uuids = self.advertised_uuids()
        short = [u for u in uuids if len(u) <= 4]
        long = [u for u in uuids if len(u) > 4]
        if short:
            structures.append(data_types.IncompleteListOf16BitServiceUUIDs([UUID(u) for u in short]))
        if long:
            structures.append(data_types.IncompleteListOf128BitServiceUUIDs([UUID(u) for u in long]))
        return bytes(AdvertisingData(structures))

    async def advertise(self) -> None:
        if self.device is None or self.device.is_advertising:
            return
        self.device.advertising_data = self._advertising_data()
        await self.device.start_advertising(auto_restart=True,
                                            advertising_interval_min=ADVERTISING_INTERVAL_MS,
                                            advertising_interval_max=ADVERTISING_INTERVAL_MS)

    def _on_connection(self, connection: Connection) -> None:
        self.connections += 1
        connection.on("disconnection", lambda reason: self.on_disconnected())

    def on_disconnected(self) -> None:
        """The central went away: a real sensor stops streaming (the CCCDs reset)."""
        self.stop_stream()

    def spawn(self, coroutine: Any) -> None:
        """Run a send from a GATT callback after the callback's ATT response has gone out."""
        task = asyncio.get_running_loop().create_task(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _read_battery(self, connection: Connection) -> bytes:
        return bytes([self.battery_percent])

    # ------------------------------------------------------------------ streaming

    def mtu(self) -> int:
        if self.device is None or not self.device.connections:
            return 23
        return min(c.att_mtu for c in self.device.connections.values())

    def start_stream(self) -> None:
        if self._stream is None or self._stream.done():
            self._stream = asyncio.get_running_loop().create_task(self._run_stream())

    def stop_stream(self) -> None:
        if self._stream is not None:
            self._stream.cancel()
            self._stream = None

    @property
    def streaming(self) -> bool:
        return self._stream is not None and not self._stream.done()

    def now(self) -> float:
        """The present on the source's time line."""
        return self.source.start + (self.clock.now() - self._origin)

    async def _run_stream(self) -> None:
        step = 1.0 / self.rate_hz
        # Frame windows sit half a sample off the sample grid, so float rounding at a boundary
        # can never send a sample twice or skip it.
        index = max(0, math.ceil((self.now() - self.source.start) * self.rate_hz - 1e-9))
        while True:
            n = self.samples_per_frame(self.mtu())
            t_from = self.source.start + (index - 0.5) * step
            t_to = t_from + n * step
            if t_from > getattr(self.source, "end", math.inf) and isinstance(self.clock, ManualClock):
                # A finished recording must not run a driven clock on forever: park until stopped.
                await asyncio.Event().wait()
            await self._wait_until(t_to)
            index += n
            if self.stalled and isinstance(self.clock, ManualClock):
                # A stalled sensor sends nothing and no longer drives the clock: the test does.
                await asyncio.sleep(STALLED_WALL_S)
                continue
            block = self._resample(self.source.samples(t_from, t_to), t_from, n, step)
            if self.stalled or len(block) == 0 or self.device is None:
                continue
            for value in self.encode(block, self.mtu()):
                await self.device.notify_subscribers(self.data_characteristic(), value)
                self.frames_sent += 1

    @staticmethod
    def _resample(block: SampleBlock, t_from: float, n: int, step: float) -> SampleBlock:
        """A source faster than the sensor's rate: keep the sample nearest each sensor tick."""
        if len(block) <= n:
            return block
        ticks = t_from + (np.arange(n) + 0.5) * step
        pick = np.clip(np.searchsorted(block.t, ticks), 0, len(block) - 1)
        return SampleBlock(block.t[pick], block.xyz[pick])

    async def _wait_until(self, source_t: float) -> None:
        target = self._origin + (source_t - self.source.start)
        if isinstance(self.clock, ManualClock):
            # Let the previous frame cross the link before time moves on: the link delivers in
            # call_soon hops, and a sender that ran ahead would make every arrival look late.
            for _ in range(SIMULATED_HOPS):
                await asyncio.sleep(0)
            if self.clock.now() < target:
                self.clock.set(target)
            return
        delay = target - self.clock.now()
        await asyncio.sleep(self.clock.wall_delay(delay) if delay > 0 else 0)

    # ------------------------------------------------------------------ faults for tests

    async def disconnect(self) -> None:
        """Drop every connection from the sensor's side (walked out of range, battery swap)."""
        if self.device is None:
            return
        for connection in list(self.device.connections.values()):
            with contextlib.suppress(Exception):
                await asyncio.wait_for(connection.disconnect(), TEARDOWN_S)

    async def go_silent(self) -> None:
        """Stop advertising and drop connections: the sensor is gone until `come_back`."""
        if self.device is not None:
            await self.device.stop_advertising()
        await self.disconnect()

    async def come_back(self) -> None:
        await self.advertise()


def chunks(block: SampleBlock, size: int) -> Sequence[SampleBlock]:
    return [SampleBlock(block.t[i:i + size], block.xyz[i:i + size]) for i in range(0, len(block), size)]
