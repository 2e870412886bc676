"""The daemon reading an emulated Bluetooth wearable through bleak, and buzzing it for a prompt;
`sitmon scan` over the same emulated radio."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time

from monitor.clock import ScaledClock
from monitor.config import parse_settings
from monitor.emulation import emulated_peripheral
from monitor.emulation.demo import EmulatedBluetoothWearables
from monitor.scripted_day import DEMO_DAY, ThighMotion
from monitor.service import RunOptions, serve


async def test_a_prompt_buzzes_the_wearable_through_bleak(tmp_path):
    settings = parse_settings({
        "wearer": {"id": "w", "timezone": "UTC"},
        "wearables": [{"name": "thigh", "kind": "sitmon", "placement": "thigh"}],
        "tracker": {"prompt_after_minutes": 1.0},
        "notify": {"desktop": False, "escalation": [["buzz"]]},
        "mqtt": {"enabled": False}, "dashboard": {"enabled": False},
        "store": {"path": str(tmp_path / "bt.sqlite3")},
    }, environ={})
    start = time.time()
    clock = ScaledClock(origin=start, speed=30)
    peripheral = emulated_peripheral("sitmon", ThighMotion(DEMO_DAY, start=start), rate_hz=25)
    source = EmulatedBluetoothWearables(settings.wearables, clock, [peripheral])
    stop = asyncio.Event()
    run = asyncio.create_task(serve(settings, clock, [source], RunOptions(stop=stop)))
    try:
        async with asyncio.timeout(90):
            while not peripheral.prompts:  # the first prompt falls due one emulated minute in
                await asyncio.sleep(0.05)
    finally:
        stop.set()
        daemon = await asyncio.wait_for(run, 30)
    assert daemon.prompts_delivered and daemon.prompts_delivered[0].data["channels"] == ["mqtt", "buzz"]
    assert daemon.wearable_status["thigh"].connected in (True, False)
    assert daemon.today().sitting_seconds > 30


def test_sitmon_scan_lists_every_emulated_family_as_json():
    result = subprocess.run([sys.executable, "-m", "monitor", "scan", "--emulated", "--json", "--timeout", "2"],
                            capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr
    found = [json.loads(line) for line in result.stdout.splitlines()]
    assert sorted(f["kind"] for f in found) == sorted(
        ["polar-h10", "polar-verity", "thingy52", "witmotion", "metawear", "sitmon"])
    assert all(f["address"] and isinstance(f["rssi"], int) for f in found)


def test_sitmon_scan_without_a_radio_says_what_to_check():
    env = {**os.environ, "DBUS_SYSTEM_BUS_ADDRESS": "unix:path=/nonexistent/sitmon-test-bus"}
    result = subprocess.run([sys.executable, "-m", "monitor", "scan", "--timeout", "1"], capture_output=True,
                            text=True, timeout=60, env=env, check=False)
    assert result.returncode == 1
    assert "Bluetooth is not available" in result.stderr and "bluetoothd" in result.stderr
