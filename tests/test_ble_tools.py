"""`sitmon scan` and `sitmon record` logic, and the pure reconnect policy."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from ble.helpers import recording

from monitor.adapters.ble import ManagerTiming, record, scan
from monitor.adapters.ble_backoff import BackoffPolicy, Failure
from monitor.adapters.ble_drivers import identify
from monitor.clock import ManualClock
from monitor.config import WearableSettings
from monitor.devices import polar_pmd as pmd
from monitor.devices import witmotion as wit
from monitor.emulation import (
    EmulatedMetaWear,
    EmulatedPolarVerity,
    EmulatedSitmonSensor,
    EmulatedWitMotion,
    EmulatedWorld,
    RecordingSource,
)
from monitor.recordings import RecordingFormat, read_recording


async def test_scan_lists_supported_wearables_with_battery():
    source = RecordingSource(recording(60))
    sensors = [EmulatedPolarVerity(source), EmulatedMetaWear(source), EmulatedWitMotion(source),
               EmulatedSitmonSensor(source)]
    async with EmulatedWorld(ManualClock(0.0), sensors) as world:
        found = await scan(0.3, world.scanner_backend, world.client_backend)
    by_kind = {f.kind: f for f in found}
    assert set(by_kind) == {"polar-verity", "metawear", "witmotion", "sitmon"}
    assert by_kind["polar-verity"].battery_percent == 87
    assert by_kind["metawear"].battery_percent == 87
    assert by_kind["witmotion"].battery_percent == 40
    assert by_kind["sitmon"].address == sensors[3].address
    assert by_kind["sitmon"].as_dict()["rssi"] == -50


async def test_record_writes_a_recording_the_reader_accepts(tmp_path: Path):
    block = recording(120)
    sensor = EmulatedSitmonSensor(RecordingSource(block))
    clock = ManualClock(1_800_000_000.0)
    out = tmp_path / "thigh.csv"
    async with EmulatedWorld(clock, [sensor]) as world:
        rows = await record(WearableSettings(name="thigh", kind="sitmon"), out, 60.0, clock,
                            world.scanner_backend, world.client_backend, ManagerTiming(scan_timeout_s=2.0))
    back = read_recording(out, RecordingFormat.SITMON).block
    assert rows == len(back) >= 60 * 50
    np.testing.assert_allclose(back.xyz, block.xyz[:len(back)], atol=0.0005 + 1e-5)
    assert out.read_text().startswith("# sitmon recording v1\n")


def test_identify_by_name_before_service():
    assert identify("Polar Sense 1234", [pmd.PMD_SERVICE]) == "polar-verity"
    assert identify("Polar H10 1234", [pmd.PMD_SERVICE]) == "polar-h10"
    assert identify(None, [wit.SERVICE]) == "witmotion"
    assert identify("Headphones", []) is None


def test_backoff_policy():
    policy = BackoffPolicy(initial_s=1.0, factor=2.0, max_s=60.0, jitter=0.2)
    assert policy.delay(0, Failure.DISCONNECTED, "thigh") == 0.0  # a drop: retry at once
    delays = [policy.delay(a, Failure.NOT_FOUND, "thigh") for a in range(12)]
    assert delays == [policy.delay(a, Failure.NOT_FOUND, "thigh") for a in range(12)]  # deterministic
    for attempt, delay in enumerate(delays):
        base = min(60.0, 2.0**attempt)
        assert base * 0.8 <= delay <= min(60.0, base * 1.2)
    assert delays[-1] <= 60.0
    assert policy.delay(3, Failure.CONNECT, "thigh") != policy.delay(3, Failure.CONNECT, "back")


@pytest.mark.parametrize("attempt", [0, 1, 40, 10_000])
def test_backoff_never_negative_or_above_cap(attempt):
    assert 0.0 <= BackoffPolicy().delay(attempt, Failure.SETUP, "x") <= 60.0
