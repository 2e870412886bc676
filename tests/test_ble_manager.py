"""The connection manager end to end: bleak API -> bumble backend -> emulated wearables.

Time is a ManualClock that the emulated sensor drives, so ten minutes stream in seconds and no
test sleeps to wait for anything.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import tracemalloc
from collections.abc import AsyncIterator
from typing import TypeVar

import numpy as np
import pytest
from ble.helpers import recording, wait_for
from ble.sinks import CountingSink

from monitor.adapters.ble import ManagerTiming, WearableManager
from monitor.clock import ManualClock
from monitor.config import WearableSettings
from monitor.emulation import (
    EmulatedMetaWear,
    EmulatedPeripheral,
    EmulatedPolarH10,
    EmulatedPolarVerity,
    EmulatedSitmonSensor,
    EmulatedThingy52,
    EmulatedWitMotion,
    EmulatedWorld,
    RecordingSource,
)
from monitor.model import SampleBlock

TIMING = ManagerTiming(scan_timeout_s=2.0, connect_timeout_s=10.0, command_gap_s=0.0, data_timeout_s=10.0)
CLOCK_START = 1_800_000_000.0
TIMESTAMPED = {"polar-h10", "polar-verity", "sitmon"}

# kind -> (emulator factory, device rate, quantisation of one count in g)
FAMILIES = {
    "polar-h10": (EmulatedPolarH10, 50.0, 0.001),
    "polar-verity": (EmulatedPolarVerity, 52.0, 2.0**-12),
    # one frame per notification is the real Thingy; packing keeps ten minutes fast
    "thingy52": (lambda s: EmulatedThingy52(s, frames_per_notification=13), 50.0, 1 / 1024),
    "witmotion": (lambda s: EmulatedWitMotion(s, frames_per_notification=12), 50.0, 16 / 32768),
    "metawear": (EmulatedMetaWear, 50.0, 1 / 8192),
    "sitmon": (EmulatedSitmonSensor, 50.0, 0.001),
}


@contextlib.asynccontextmanager
async def running(manager: WearableManager) -> AsyncIterator[asyncio.Task[None]]:
    task = asyncio.get_running_loop().create_task(manager.run())
    try:
        yield task
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


def _manager(world: EmulatedWorld, sink: CountingSink, clock: ManualClock, wearables: list[WearableSettings],
             timing: ManagerTiming = TIMING) -> WearableManager:
    return WearableManager(wearables, sink, clock, world.scanner_backend, world.client_backend, timing)


P = TypeVar("P", bound=EmulatedPeripheral)


@contextlib.asynccontextmanager
async def one_streaming(sensor: P, kind: str) -> AsyncIterator[tuple[P, CountingSink, ManualClock, WearableManager]]:
    """One emulated sensor of `kind`, managed and streaming (1000 samples in)."""
    clock = ManualClock(CLOCK_START)
    sink = CountingSink(keep=False)
    async with EmulatedWorld(clock, [sensor]) as world:
        manager = _manager(world, sink, clock, [WearableSettings(name="w", kind=kind)])
        async with running(manager):
            await wait_for(lambda: sink.count >= 1000)
            yield sensor, sink, clock, manager


def one_sitmon_streaming(seconds: float) -> contextlib.AbstractAsyncContextManager[
        tuple[EmulatedSitmonSensor, CountingSink, ManualClock, WearableManager]]:
    """One emulated sitmon sensor playing `seconds` of recording, managed and streaming."""
    return one_streaming(EmulatedSitmonSensor(RecordingSource(recording(seconds))), "sitmon")


@pytest.mark.parametrize("kind", sorted(FAMILIES))
async def test_ten_minutes_stream_equal_to_the_recording(kind):
    factory, rate, count_g = FAMILIES[kind]
    block = recording(600, rate_hz=rate)
    sensor: EmulatedPeripheral = factory(RecordingSource(block))
    clock = ManualClock(CLOCK_START)
    sink = CountingSink()
    async with EmulatedWorld(clock, [sensor]) as world:
        manager = _manager(world, sink, clock, [WearableSettings(name="w", kind=kind, rate_hz=rate)])
        async with running(manager) as task:
            await wait_for(lambda: sink.count >= len(block) or task.done(), timeout=60)
            assert not task.done()
        received = sink.joined()
    assert len(received) == len(block)
    # values within the device's quantisation (half a count, rounding)
    assert np.abs(received.xyz - block.xyz).max() <= count_g / 2 + 1e-9
    # times: the recording's, moved onto the host clock by one offset. Formats with a sensor
    # clock keep it exactly; the others are stamped index / rate, pulled back to the arrival
    # whenever a notification turns up earlier than that predicts.
    offset = received.t - block.t
    assert np.ptp(offset) < (1e-4 if kind in TIMESTAMPED else 0.25)
    assert CLOCK_START <= received.t[0] <= CLOCK_START + 2
    assert sink.gaps == [] and sink.backwards == 0
    status = sink.statuses["w"]
    assert status.decode_errors == 0 and status.reconnects == 0
    assert status.battery_percent in (87, 40)


async def test_twenty_disconnects_reconnect_report_gaps_and_do_not_grow_memory():
    block = recording(3600)
    sensor = EmulatedSitmonSensor(RecordingSource(block))
    clock = ManualClock(CLOCK_START)
    sink = CountingSink(keep=False)
    outage_s = 5.0
    async with EmulatedWorld(clock, [sensor]) as world:
        manager = _manager(world, sink, clock, [WearableSettings(name="w", kind="sitmon")])
        async with running(manager) as task:
            snapshots = []
            for cycle in range(20):
                before = sink.count
                await wait_for(lambda before=before: sink.count >= before + 500)
                if cycle == 4:
                    gc.collect()
                    tracemalloc.start()
                    snapshots.append(tracemalloc.take_snapshot())
                await sensor.go_silent()
                await wait_for(lambda: not manager.status()["w"].connected)
                clock.advance(outage_s)
                await sensor.come_back()
            await wait_for(lambda: manager.status()["w"].reconnects == 20)
            await wait_for(lambda: len(sink.gaps) == 20)
            gc.collect()
            snapshots.append(tracemalloc.take_snapshot())
            tracemalloc.stop()
            assert not task.done()
    assert sink.backwards == 0
    assert all(end - start >= outage_s for start, end in sink.gaps)
    growth = sum(stat.size_diff for stat in snapshots[1].compare_to(snapshots[0], "filename"))
    assert growth < 512 * 1024, growth  # 15 more sessions must not pile up state


async def test_silent_sensor_is_reconnected_after_the_data_timeout():
    async with one_sitmon_streaming(3600) as (sensor, sink, clock, manager):
        sensor.stalled = True  # connected, but nothing arrives
        clock.advance(TIMING.data_timeout_s + 1)
        await wait_for(lambda: sensor.connections == 2)
        sensor.stalled = False
        await wait_for(lambda: manager.status()["w"].reconnects == 1 and len(sink.gaps) == 1)
    assert "no data for 10 s" in sink.errors
    start, end = sink.gaps[0]
    assert end - start > TIMING.data_timeout_s


async def test_buzz_where_the_wearable_can():
    source = RecordingSource(recording(600))
    sensors = [EmulatedSitmonSensor(source), EmulatedMetaWear(source), EmulatedThingy52(source),
               EmulatedPolarH10(source), EmulatedSitmonSensor(source, name="sitmon-quiet", vibration=False)]
    clock = ManualClock(CLOCK_START)
    sink = CountingSink(keep=False)
    async with EmulatedWorld(clock, sensors) as world:
        # by address this time; the world hands them out when it starts
        wearables = [WearableSettings(name=f"w{i}", kind=s.kind, address=str(s.address))
                     for i, s in enumerate(sensors)]
        manager = _manager(world, sink, clock, wearables)
        assert await manager.buzz("w0") is False  # not connected yet
        async with running(manager):
            await wait_for(lambda: all(s.connected for s in manager.status().values()))
            answers = [await manager.buzz(w.name) for w in wearables]
        assert await manager.buzz("nobody") is False
    assert answers == [True, True, True, False, False]
    assert [len(s.prompts) for s in sensors] == [1, 1, 2, 0, 0]  # Thingy: LED flash and a tone


async def test_several_wearables_found_by_kind_without_addresses():
    source = RecordingSource(recording(600))
    sensors = [EmulatedPolarH10(source), EmulatedWitMotion(source, frames_per_notification=10)]
    clock = ManualClock(CLOCK_START)
    sink = CountingSink(keep=False)
    async with EmulatedWorld(clock, sensors) as world:
        manager = _manager(world, sink, clock, [WearableSettings(name="chest", kind="polar-h10"),
                                                 WearableSettings(name="thigh", kind="witmotion")])
        async with running(manager):
            await wait_for(lambda: all(s.last_data_at is not None for s in manager.status().values()))
            await wait_for(lambda: manager.status()["thigh"].battery_percent == 40)
        statuses = manager.status()
    assert statuses["chest"].address == sensors[0].address
    assert statuses["thigh"].address == sensors[1].address


def test_unknown_kind_is_refused():
    settings = WearableSettings.model_construct(name="x", kind="upright-go", placement="back", address="",
                                                rate_hz=50.0)
    with pytest.raises(ValueError, match="upright-go"):
        WearableManager([settings], CountingSink(), ManualClock())


async def test_polar_stream_stopped_by_the_sensor_restarts():
    async with one_streaming(EmulatedPolarH10(RecordingSource(recording(600))), "polar-h10") as (
            sensor, sink, _clock, manager):
        sensor.stop_stream()
        # "online measurement stopped" (e.g. put on the charger), unsolicited on the CP
        assert sensor.device is not None
        await sensor.device.indicate_subscribers(sensor._control, bytes.fromhex("01 02"))
        await wait_for(lambda: manager.status()["w"].reconnects == 1)
        await wait_for(lambda: sink.count >= 3000)
    assert sink.errors == ["the sensor stopped the accelerometer stream"]


def test_recording_shape_helper():
    assert isinstance(recording(1), SampleBlock)


async def test_a_sensor_that_connects_but_will_not_start_is_a_setup_failure(monkeypatch):
    from monitor.adapters.ble_drivers import SitmonDriver

    real_start = SitmonDriver.start
    refusals = [RuntimeError("configuration refused")]

    async def start_once_refused(self, client, deliver, fail):
        if refusals:
            raise refusals.pop()
        await real_start(self, client, deliver, fail)

    monkeypatch.setattr(SitmonDriver, "start", start_once_refused)
    async with one_sitmon_streaming(600) as (sensor, sink, _clock, _manager):
        pass
    assert sink.errors[0] == "setup failed: RuntimeError('configuration refused')"
    assert sensor.connections == 2
