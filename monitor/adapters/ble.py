"""The Bluetooth edge: keeps every configured wearable connected and streams its samples out.

    manager = WearableManager(settings.wearables, sink, clock)           # real BlueZ through bleak
    manager = WearableManager(..., backend_scanner=world.scanner_backend,
                              backend_client=world.client_backend)       # emulated, same code path
    await manager.run()          # until cancelled; never raises on radio trouble
    await manager.buzz("thigh")  # True if the wearable vibrated / flashed / beeped

Per wearable, one loop: find it (by address, else by advertised service or name), connect,
negotiate (bleak/BlueZ raise the MTU), start its stream through a driver (`ble_drivers.py`),
then watch for a disconnection, a sensor that stops sending (data timeout on the injected clock)
or an in-band stream error, and start again after a pure backoff (`ble_backoff.py`). Every
notification is decoded (`monitor.devices`), placed on the host clock's time line
(`Timeline`) and handed to the sink; the interval between the last sample before a drop and the
first after it goes to `sink.gap` so that it is stored as unknown, never as sitting or standing.

Time: the clock decides data timeouts, battery periods and sample times; `clock.wall_delay`
turns its seconds into real waits. Scanning and connecting take real time whatever the clock.
"""

from __future__ import annotations

import asyncio
import contextlib
import csv
import logging
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Protocol, TextIO

import numpy as np
from bleak import BleakClient, BleakScanner
from bleak.backends.client import BaseBleakClient
from bleak.backends.device import BLEDevice
from bleak.backends.scanner import AdvertisementData, BaseBleakScanner

from monitor.adapters.ble_backoff import BackoffPolicy, Failure
from monitor.adapters.ble_drivers import DRIVERS, Driver, driver_for, identify
from monitor.clock import Clock
from monitor.config import WearableSettings
from monitor.devices.base import Decoder
from monitor.devices.timeline import Timeline
from monitor.model import SampleBlock
from monitor.recordings import SITMON_COLUMNS, SITMON_PREAMBLE, sitmon_rows

log = logging.getLogger(__name__)

MIN_POLL_WALL_S = 0.005
MAX_PENDING = 256  # notifications held while a sensor's start handshake completes
STOP_TIMEOUT_S = 3.0
BUZZ_TIMEOUT_S = 5.0


@dataclass(frozen=True, slots=True)
class WearableStatus:
    name: str
    kind: str
    connected: bool = False
    address: str = ""
    battery_percent: int | None = None
    last_data_at: float | None = None
    reconnects: int = 0
    decode_errors: int = 0
    last_error: str = ""


class WearableSink(Protocol):
    def samples(self, wearable: str, block: SampleBlock) -> None: ...

    def gap(self, wearable: str, start: float, end: float) -> None: ...

    def status(self, wearable: str, status: WearableStatus) -> None: ...


@dataclass(frozen=True, slots=True)
class ManagerTiming:
    """Knobs with defaults for real sensors; tests shrink the wall-time ones."""

    scan_timeout_s: float = 10.0  # wall seconds per search
    connect_timeout_s: float = 20.0  # wall seconds
    data_timeout_s: float = 10.0  # clock seconds without a sample before reconnecting
    battery_period_s: float = 300.0  # clock seconds
    poll_s: float = 0.5  # clock seconds between watchdog checks
    command_gap_s: float = 0.1  # wall seconds between configuration writes some sensors need
    gap_threshold_s: float = 1.0  # a hole in the samples this long is reported as a gap
    backoff: BackoffPolicy = field(default_factory=BackoffPolicy)


class _SessionEnd(Exception):
    def __init__(self, failure: Failure, detail: str = "") -> None:
        super().__init__(detail or failure.value)
        self.failure = failure


class _SetupFailed(Exception):
    """Connected, but starting the stream failed (the cause is chained)."""


@dataclass(slots=True)
class _Wearable:
    settings: WearableSettings
    status: WearableStatus
    timeline: Timeline
    driver: Driver | None = None
    client: BleakClient | None = None
    new_session: bool = True
    failure: str | None = None
    attempts: int = 0
    pending: list[tuple[bytes, float]] = field(default_factory=list)


class WearableManager:
    def __init__(self, wearables: list[WearableSettings], sink: WearableSink, clock: Clock,
                 backend_scanner: type[BaseBleakScanner] | None = None,
                 backend_client: type[BaseBleakClient] | None = None,
                 timing: ManagerTiming | None = None) -> None:
        self.sink = sink
        self.clock = clock
        self.timing = timing or ManagerTiming()
        self._scanner_backend = backend_scanner
        self._client_backend = backend_client
        self._wearables = {w.name: _Wearable(w, WearableStatus(w.name, w.kind), Timeline())
                           for w in wearables}
        unknown = sorted({w.kind for w in wearables} - set(DRIVERS))
        if unknown:
            raise ValueError(f"no Bluetooth driver for wearable kind(s): {', '.join(unknown)}")
        self._claimed: dict[str, str] = {}  # address -> wearable name, for wearables found by scanning

    # ------------------------------------------------------------------ public surface

    def status(self) -> dict[str, WearableStatus]:
        return {name: w.status for name, w in self._wearables.items()}

    async def run(self) -> None:
        """Keep every wearable connected until cancelled."""
        async with asyncio.TaskGroup() as group:
            for wearable in self._wearables.values():
                group.create_task(self._keep_connected(wearable), name=f"wearable-{wearable.settings.name}")

    async def buzz(self, name: str) -> bool:
        wearable = self._wearables.get(name)
        if wearable is None or wearable.client is None or wearable.driver is None:
            return False
        try:
            async with asyncio.timeout(BUZZ_TIMEOUT_S):
                return await wearable.driver.buzz(wearable.client)
        except Exception as exc:  # a prompt must never take the daemon down
            log.warning("%s: buzz failed: %r", name, exc)
            return False

    # ------------------------------------------------------------------ the loop per wearable

    async def _keep_connected(self, wearable: _Wearable) -> None:
        name = wearable.settings.name
        while True:
            failure = Failure.NOT_FOUND
            try:
                device = await self._find(wearable)
                if device is not None:
                    await self._session(wearable, device)
            except _SessionEnd as end:
                failure = end.failure
                self._update(wearable, last_error=str(end))
                log.info("%s: %s", name, end)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # radio trouble of any kind: log, back off, try again
                failure = Failure.SETUP if isinstance(exc, _SetupFailed) else Failure.CONNECT
                cause = exc.__cause__ if isinstance(exc, _SetupFailed) else exc
                self._update(wearable, last_error=f"{failure.value}: {cause!r}")
                log.warning("%s: %s: %r", name, failure.value, cause)
            delay = self.timing.backoff.delay(wearable.attempts, failure, name)
            wearable.attempts += 1
            await self._sleep_clock(delay)

    async def _find(self, wearable: _Wearable) -> BLEDevice | str | None:
        address = wearable.settings.address
        if address:
            # Ask the adapter first so that a known device needs no advertisement to be connectable.
            found = await BleakScanner.find_device_by_address(
                address, timeout=self.timing.scan_timeout_s, **self._scanner_kwargs())
            return found
        kind = wearable.settings.kind

        def wanted(device: BLEDevice, adv: AdvertisementData) -> bool:
            claimed = self._claimed.get(device.address)
            if claimed not in (None, wearable.settings.name):
                return False
            return identify(adv.local_name or device.name, adv.service_uuids) == DRIVERS[kind].kind
        found = await BleakScanner.find_device_by_filter(wanted, timeout=self.timing.scan_timeout_s,
                                                         **self._scanner_kwargs())
        if found is not None:
            self._claimed[found.address] = wearable.settings.name
        return found

    async def _session(self, wearable: _Wearable, device: BLEDevice | str) -> None:
        name = wearable.settings.name
        disconnected = asyncio.Event()
        client = BleakClient(device, disconnected_callback=lambda _: disconnected.set(),
                             timeout=self.timing.connect_timeout_s, **self._client_kwargs())
        await client.connect()
        driver = driver_for(wearable.settings, self.timing.command_gap_s)
        wearable.failure = None
        # A reconnect is a session after one that delivered data (decided before this one does).
        reconnects = wearable.status.reconnects + (1 if wearable.status.last_data_at is not None else 0)
        try:
            wearable.driver = driver
            wearable.timeline.reset()
            wearable.new_session = True
            wearable.pending.clear()
            try:
                await driver.start(client, lambda data: self._on_data(wearable, data),
                                   lambda reason: setattr(wearable, "failure", reason))
            except Exception as exc:  # connected, but the sensor would not start streaming
                raise _SetupFailed from exc
            self._flush_pending(wearable)
            wearable.client = client
            started = self.clock.now()
            self._update(wearable, connected=True, address=client.address, reconnects=reconnects,
                         last_error="")
            log.info("%s: streaming from %s at %g Hz", name, client.address, driver.rate_hz)
            await self._watch(wearable, client, driver, disconnected, started)
        finally:
            wearable.client = None
            wearable.driver = None
            self._update(wearable, connected=False)
            if client.is_connected:
                with contextlib.suppress(Exception):
                    async with asyncio.timeout(STOP_TIMEOUT_S):
                        await driver.stop(client)
                with contextlib.suppress(Exception):
                    async with asyncio.timeout(STOP_TIMEOUT_S):
                        await client.disconnect()

    async def _watch(self, wearable: _Wearable, client: BleakClient, driver: Driver,
                     disconnected: asyncio.Event, started: float) -> None:
        next_battery = self.clock.now()
        while True:
            if self.clock.now() >= next_battery:
                await self._read_battery(wearable, client, driver)
                next_battery = self.clock.now() + self.timing.battery_period_s
            # asyncio.timeout rather than wait_for: 3.11's wait_for can hang when the task is
            # cancelled while its timeout fires.
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self._wall(self.timing.poll_s)):
                    await disconnected.wait()
            if disconnected.is_set():
                raise _SessionEnd(Failure.DISCONNECTED)
            if wearable.failure is not None:
                raise _SessionEnd(Failure.SETUP, wearable.failure)
            last = wearable.status.last_data_at
            quiet_since = started if last is None or last < started else last
            if self.clock.now() - quiet_since > self.timing.data_timeout_s:
                raise _SessionEnd(Failure.DATA_TIMEOUT,
                                  f"no data for {self.timing.data_timeout_s:g} s")

    async def _read_battery(self, wearable: _Wearable, client: BleakClient, driver: Driver) -> None:
        try:
            async with asyncio.timeout(self.timing.connect_timeout_s):
                percent = await driver.read_battery(client)
        except Exception as exc:  # optional information: keep streaming
            log.debug("%s: battery read failed: %r", wearable.settings.name, exc)
            return
        if percent is not None and percent != wearable.status.battery_percent:
            self._update(wearable, battery_percent=percent)

    # ------------------------------------------------------------------ data path

    def _on_data(self, wearable: _Wearable, data: bytes) -> None:
        driver = wearable.driver
        if driver is None:
            return
        if driver.decoder is None:
            if len(wearable.pending) < MAX_PENDING:
                wearable.pending.append((data, self.clock.now()))
            return
        if wearable.pending:
            self._flush_pending(wearable)
        self._decode(wearable, driver.decoder, data, self.clock.now())

    def _flush_pending(self, wearable: _Wearable) -> None:
        driver = wearable.driver
        if driver is None or driver.decoder is None:
            return
        pending, wearable.pending = wearable.pending, []
        for data, arrival in pending:
            self._decode(wearable, driver.decoder, data, arrival)

    def _decode(self, wearable: _Wearable, decoder: Decoder, data: bytes, arrival: float) -> None:
        errors_before = decoder.errors
        block = decoder.feed(data)
        if decoder.errors != errors_before:
            log.debug("%s: decode error: %s", wearable.settings.name, decoder.last_error)
            self._update(wearable, decode_errors=wearable.status.decode_errors + decoder.errors - errors_before)
        if len(block) == 0:
            return
        previous = wearable.timeline.last  # the newest sample placed before this block
        placed = SampleBlock(wearable.timeline.place(block.t, arrival), block.xyz)
        self._report_gap(wearable, placed, previous)
        wearable.attempts = 0
        wearable.status = replace(wearable.status, last_data_at=arrival)
        if wearable.new_session:
            wearable.new_session = False
            self.sink.status(wearable.settings.name, wearable.status)
        self.sink.samples(wearable.settings.name, placed)

    def _report_gap(self, wearable: _Wearable, block: SampleBlock, previous: float | None) -> None:
        if previous is None:
            return
        first = float(block.t[0])
        inner = np.diff(block.t)
        if wearable.new_session or first - previous > self.timing.gap_threshold_s:
            self.sink.gap(wearable.settings.name, previous, first)
        if inner.size and float(inner.max()) > self.timing.gap_threshold_s:
            k = int(inner.argmax())
            self.sink.gap(wearable.settings.name, float(block.t[k]), float(block.t[k + 1]))

    # ------------------------------------------------------------------ helpers

    def _update(self, wearable: _Wearable, **changes: Any) -> None:
        wearable.status = replace(wearable.status, **changes)
        self.sink.status(wearable.settings.name, wearable.status)

    def _wall(self, clock_seconds: float) -> float:
        return max(MIN_POLL_WALL_S, self.clock.wall_delay(clock_seconds))

    async def _sleep_clock(self, clock_seconds: float) -> None:
        await asyncio.sleep(self.clock.wall_delay(clock_seconds) if clock_seconds > 0 else 0)

    def _scanner_kwargs(self) -> dict[str, Any]:
        return _backend(self._scanner_backend)

    def _client_kwargs(self) -> dict[str, Any]:
        return _backend(self._client_backend)


def _backend(cls: type[Any] | None) -> dict[str, Any]:
    """bleak's keyword for a custom backend (the emulated one in tests and the demo), if any."""
    return {} if cls is None else {"backend": cls}


# ---------------------------------------------------------------------- sitmon scan


@dataclass(frozen=True, slots=True)
class FoundWearable:
    kind: str
    name: str
    address: str
    rssi: int
    battery_percent: int | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "name": self.name, "address": self.address, "rssi": self.rssi,
                "battery_percent": self.battery_percent}


async def scan(timeout: float = 5.0, backend_scanner: type[BaseBleakScanner] | None = None,
               backend_client: type[BaseBleakClient] | None = None,
               read_battery: bool = True) -> list[FoundWearable]:
    """Nearby wearables sitmon can read, strongest signal first; battery read by a short connection."""
    seen = await BleakScanner.discover(timeout=timeout, return_adv=True, **_backend(backend_scanner))
    found: list[tuple[FoundWearable, BLEDevice]] = []
    for device, adv in seen.values():
        kind = identify(adv.local_name or device.name, adv.service_uuids)
        if kind is not None:
            found.append((FoundWearable(kind, adv.local_name or device.name or "", device.address, adv.rssi),
                          device))
    found.sort(key=lambda pair: -pair[0].rssi)
    if not read_battery:
        return [f for f, _ in found]
    client_kwargs = _backend(backend_client)
    out = []
    for wearable, device in found:
        out.append(replace(wearable, battery_percent=await _battery_of(wearable.kind, device, client_kwargs)))
    return out


async def _battery_of(kind: str, device: BLEDevice, client_kwargs: dict[str, Any]) -> int | None:
    driver = driver_for(WearableSettings(kind=kind), command_gap_s=0.0)  # type: ignore[arg-type]
    try:
        async with BleakClient(device, timeout=10.0, **client_kwargs) as client:
            if driver.battery_in_band:
                def feed(data: bytes) -> None:
                    if driver.decoder is not None:
                        driver.decoder.feed(data)

                await driver.start(client, feed, lambda reason: None)
                percent = await driver.read_battery(client)
                for _ in range(50):
                    if percent is not None:
                        break
                    await asyncio.sleep(0.02)
                    percent = await driver.read_battery(client)
                with contextlib.suppress(Exception):
                    await driver.stop(client)
                return percent
            return await driver.read_battery(client)
    except Exception as exc:  # a scan lists what it can
        log.debug("battery of %s: %r", device.address, exc)
        return None


# ---------------------------------------------------------------------- sitmon record



class CsvRecorder:
    """A WearableSink that writes one wearable's samples in the sitmon CSV format.

    Gaps and status changes become `#` comment lines, which the recording reader skips.
    """

    def __init__(self, out: TextIO, wearable: WearableSettings) -> None:
        self.out = out
        self.rows = 0
        self._writer = csv.writer(out, lineterminator="\n")
        out.write(SITMON_PREAMBLE)
        out.write(f"# wearable {wearable.name}, kind {wearable.kind}, placement {wearable.placement.value}\n")
        self._writer.writerow(SITMON_COLUMNS)

    def samples(self, wearable: str, block: SampleBlock) -> None:
        self._writer.writerows(sitmon_rows(block))
        self.rows += len(block)

    def gap(self, wearable: str, start: float, end: float) -> None:
        self.out.write(f"# gap {start:.4f} {end:.4f}\n")

    def status(self, wearable: str, status: WearableStatus) -> None:
        pass


async def record(wearable: WearableSettings, out: Path, seconds: float, clock: Clock,
                 backend_scanner: type[BaseBleakScanner] | None = None,
                 backend_client: type[BaseBleakClient] | None = None,
                 timing: ManagerTiming | None = None,
                 progress: Callable[[int], None] | None = None) -> int:
    """Stream one wearable into a CSV for `seconds` of clock time; return the number of samples."""
    with out.open("w", encoding="utf-8", newline="") as fh:
        recorder = CsvRecorder(fh, wearable)
        manager = WearableManager([wearable], recorder, clock, backend_scanner, backend_client, timing)
        task = asyncio.get_running_loop().create_task(manager.run())
        end = clock.now() + seconds
        try:
            while clock.now() < end and not task.done():
                await asyncio.sleep(max(MIN_POLL_WALL_S, min(1.0, clock.wall_delay(end - clock.now()))))
                if progress is not None:
                    progress(recorder.rows)
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        return recorder.rows
