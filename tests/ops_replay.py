"""A replay daemon to be killed: a zygote that imports everything once, then forks one real daemon
process per `run` line on stdin, each continuing the replayed day from the store's snapshot.

Each child journals every step the store confirmed (`<journal>`: one JSON line per commit, written
after the commit returns), so the test can check that nothing committed was lost after a kill -9.
The journal is written with os.write: it sits in the kernel's page cache, which a SIGKILL keeps.

Usage: python ops_replay.py DB JOURNAL T0 SECONDS    (then `run` lines on stdin; `quit` to end)
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import sys
from typing import Any

from monitor.adapters.store import Store
from monitor.clock import ManualClock
from monitor.config import parse_settings
from monitor.daemon import Daemon
from monitor.scripted_day import DEMO_DAY, ThighMotion

STEP_SECONDS = 5.0


class ReplayedWearable:
    name = "thigh"

    def __init__(self, clock: ManualClock, t0: float, until: float, done: asyncio.Event) -> None:
        self.clock = clock
        self.motion = ThighMotion(DEMO_DAY, start=t0)
        self.until = until
        self.done = done

    async def run(self, sink: Any) -> None:
        t = self.clock.now()
        while t < self.until:
            block = self.motion.samples(t, t + STEP_SECONDS)
            t += STEP_SECONDS
            self.clock.set(t)
            sink.samples(self.name, block)
            await asyncio.sleep(0)
        self.done.set()
        await asyncio.Event().wait()


def child(db: str, journal: str, t0: float, seconds: float) -> None:
    settings = parse_settings({
        "wearer": {"id": "replay", "timezone": "UTC"},
        "wearables": [{"name": "thigh", "kind": "emulated", "placement": "thigh"}],
        "mqtt": {"enabled": False}, "dashboard": {"enabled": False}, "notify": {"desktop": False},
        "store": {"path": db},
    }, environ={})
    store = Store.open(f"sqlite:///{db}")
    snapshot = store.snapshot("replay")
    start = t0 if snapshot is None or snapshot.last_t is None else snapshot.last_t + 1.0
    clock = ManualClock(start)
    daemon = Daemon(settings, clock, store, None, [])
    fd = os.open(journal, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    record = daemon.writer.record
    started: list[bool] = []

    def journaled(wearer: str, bouts: Any, events: Any, *rest: Any, **kw: Any) -> bool:
        bouts, events = list(bouts), list(events)
        ok = record(wearer, bouts, events, *rest, **kw)
        if ok:
            if not started:
                started.append(True)
                os.write(1, f"started {os.getpid()}\n".encode())  # the test's cue: the day is under way
            line = {"pid": os.getpid(), "t": daemon.pipeline.tracker.snapshot.last_t,
                    "bouts": [[b.start, b.end, b.activity.value] for b in bouts], "events": [e.id for e in events]}
            os.write(fd, (json.dumps(line) + "\n").encode())
        return ok

    daemon.writer.record = journaled  # type: ignore[method-assign]
    done = asyncio.Event()

    async def main() -> None:
        await daemon.run([ReplayedWearable(clock, t0, t0 + seconds, done)], done)

    asyncio.run(main())
    store.close()


def zygote() -> None:
    # A replay wakes the prompt timer far more often than the scheduler can run it; that is expected here.
    logging.basicConfig(level=logging.ERROR)
    db, journal, t0, seconds = sys.argv[1], sys.argv[2], float(sys.argv[3]), float(sys.argv[4])
    print("ready", flush=True)
    for line in sys.stdin:
        if line.strip() != "run":
            break
        pid = os.fork()
        if pid == 0:
            try:
                child(db, journal, t0, seconds)
            finally:
                os._exit(0)
        print(f"pid {pid}", flush=True)
        _, status = os.waitpid(pid, 0)
        print(f"exit {pid} {status}", flush=True)


if __name__ == "__main__":
    zygote()
