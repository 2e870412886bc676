"""Memory of the daemon over a sped-up week: RSS after each replayed day.

Run from the repository root (Mosquitto on 127.0.0.1:1883 if --mqtt):

    .venv/bin/python bench/ops_memory.py [--days 7] [--mqtt] [--db FILE]

Runs the whole daemon in this process, through `serve()` as `sitmon run` does (store, dashboard,
status file, metrics, retention, and the MQTT publisher with its outbox when --mqtt), with the emulated
thigh wearable's scripted day played as fast as the loop allows on a manual clock, one 5-second
block per step. After each day it prints the process's resident set size (VmRSS) and its peak
(VmHWM) from /proc/self/status. A flat VmRSS from day 2 on means nothing grows with time.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import socket
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from monitor.adapters.broker import broker_reachable  # noqa: E402
from monitor.clock import ManualClock  # noqa: E402
from monitor.config import parse_settings  # noqa: E402
from monitor.scripted_day import DEMO_DAY, ThighMotion  # noqa: E402
from monitor.service import RunOptions, serve  # noqa: E402

T0 = 1_795_597_200.0
DAY = 86_400.0
STEP = 5.0


def memory() -> dict[str, int]:
    fields = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            fields[key] = int(value.split()[0])  # kB
    return fields


class WeekWearable:
    name = "thigh"

    def __init__(self, clock: ManualClock, days: int, done: asyncio.Event) -> None:
        self.clock, self.days, self.done = clock, days, done
        self.motion = ThighMotion(DEMO_DAY, start=T0)
        self.started = time.monotonic()

    async def run(self, sink: Any) -> None:
        t = T0
        for day in range(1, self.days + 1):
            while t < T0 + day * DAY:
                block = self.motion.samples(t, t + STEP)
                t += STEP
                self.clock.set(t)
                sink.samples(self.name, block)
                await asyncio.sleep(0)
            print(json.dumps({"day": day, "wall_s": round(time.monotonic() - self.started, 1), **memory()}),
                  flush=True)
        self.done.set()
        await asyncio.Event().wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=7)
    parser.add_argument("--mqtt", action="store_true", help="Publish to the broker on 127.0.0.1:1883.")
    parser.add_argument("--db", type=Path, default=None)
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)
    if args.mqtt and not broker_reachable("127.0.0.1", 1883, timeout=2):
        parser.error("no broker on 127.0.0.1:1883")
    db = args.db or Path(tempfile.mkdtemp(prefix="sitmon-week-")) / "week.sqlite3"
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    settings = parse_settings({
        "wearer": {"id": "week", "timezone": "UTC"},
        "wearables": [{"name": "thigh", "kind": "emulated", "placement": "thigh"}],
        "mqtt": {"enabled": args.mqtt, "base_topic": "sitmon-bench"},
        "dashboard": {"port": port}, "notify": {"desktop": False},
        "store": {"path": str(db)},
    }, environ={})
    print(json.dumps({"day": 0, "db": str(db), **memory()}), flush=True)
    clock = ManualClock(T0)

    async def run() -> None:
        done = asyncio.Event()
        await serve(settings, clock, [WeekWearable(clock, args.days, done)], RunOptions(stop=done))

    asyncio.run(run())
    print(json.dumps({"end": True, "db_bytes": db.stat().st_size, **memory()}), flush=True)


if __name__ == "__main__":
    main()
