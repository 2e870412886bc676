"""A sitmon daemon in a process of its own, for kill -9 tests: the emulated thigh wearable playing the
demo day sped up, from the script's start `script_start`, with the clock starting at `origin`.

    python tests/mqtt_daemon_process.py CONFIG SCRIPT_START ORIGIN SPEED
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from monitor.adapters.emulator import EmulatedWearable
from monitor.clock import ScaledClock
from monitor.config import load_settings
from monitor.scripted_day import DEMO_DAY
from monitor.service import RunOptions, serve, setup_logging


def main() -> None:
    config, script_start, origin, speed = sys.argv[1], float(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4])
    settings = load_settings(Path(config), environ={})
    setup_logging("INFO")
    clock = ScaledClock(origin=origin, speed=speed)
    wearable = EmulatedWearable(settings.wearables[0].name, DEMO_DAY, clock, 25.0, script_start=script_start)
    asyncio.run(serve(settings, clock, [wearable], RunOptions()))


if __name__ == "__main__":
    main()
