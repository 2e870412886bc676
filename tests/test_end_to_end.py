"""The demo pipeline end to end: emulated thigh samples -> classifier -> tracker -> SQLite, the real
Mosquitto and the dashboard's HTTP API, with time driven by the test (no sleeps, no wall clock)."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
from support import Subscriber, clear_retained, free_port

from monitor.clock import ManualClock
from monitor.config import parse_settings
from monitor.model import Activity
from monitor.scripted_day import DEMO_DAY, ThighMotion, seconds_of
from monitor.service import RunOptions, serve

T0 = 1_795_597_200.0  # 09:00 UTC on a weekday
MINUTES = 100
# The classifier may place a transition a second or two off, and each bout edge costs at most that.
SITTING_TOLERANCE = 0.02


class DrivenWearable:
    """Plays the demo script into the daemon as fast as the loop allows, advancing the clock itself."""

    name = "demo-thigh"

    def __init__(self, clock: ManualClock, seconds: float, step: float = 5.0) -> None:
        self.clock = clock
        self.motion = ThighMotion(DEMO_DAY, start=clock.now())
        self.seconds = seconds
        self.step = step
        self.done = asyncio.Event()

    async def run(self, sink: Any) -> None:
        t = self.motion.start
        while t < self.motion.start + self.seconds:
            block = self.motion.samples(t, t + self.step)
            t += self.step
            self.clock.set(t)
            sink.samples(self.name, block)
            await asyncio.sleep(0)
        self.done.set()
        await asyncio.Event().wait()  # stay connected until the test stops the daemon


async def test_demo_day_reaches_the_broker_the_store_and_the_api(tmp_path, broker, base_topic):
    port = free_port()
    settings = parse_settings({
        "wearer": {"id": "demo", "timezone": "UTC"},
        "wearables": [{"name": "demo-thigh", "kind": "emulated", "placement": "thigh"}],
        "mqtt": {"host": broker[0], "port": broker[1], "base_topic": base_topic},
        "store": {"path": str(tmp_path / "e2e.sqlite3")},
        "dashboard": {"port": port},
        "notify": {"desktop": False},
    }, environ={})
    sub = Subscriber(*broker, f"{base_topic}/#")
    clock = ManualClock(T0)
    wearable = DrivenWearable(clock, MINUTES * 60)
    stop = asyncio.Event()
    run = asyncio.create_task(serve(settings, clock, [wearable], RunOptions(stop=stop)))
    await asyncio.wait_for(wearable.done.wait(), 120)

    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as http:
        for _ in range(100):
            try:
                today = (await http.get("/api/v1/today")).json()
                break
            except httpx.TransportError:
                await asyncio.sleep(0.05)
        page = await http.get("/")
    stop.set()
    await asyncio.wait_for(run, 30)

    expected_sit = seconds_of(DEMO_DAY, Activity.SIT, until=MINUTES * 60)
    assert abs(today["totals"]["sitting_seconds"] - expected_sit) <= SITTING_TOLERANCE * expected_sit
    # Script: 34 min sitting -> prompt at 30:00. From minute 41 a streak survives a 30-s stand but ends
    # with the walk at 62.5; the streak that starts at 64.5 earns the second prompt at 94.5.
    assert [p["t"] for p in today["prompts"]] == ["2026-11-25T09:30:00+00:00", "2026-11-25T10:34:30+00:00"]
    assert today["totals"]["breaks"] >= 2
    assert today["current"]["activity"] == "sit"
    assert page.status_code == 200 and "<h1" in page.text  # the pages themselves: tests/test_dashboard*.py

    root = f"{base_topic}/demo"
    messages = sub.wait_for(lambda m: m[0].endswith("/event/prompt"), count=2)
    assert len(messages) == 2
    first_prompt = json.loads(messages[0][1])
    assert first_prompt["data"]["streak_seconds"] == 1800
    seen = {m[0] for m in sub.messages}
    assert {f"{root}/availability", f"{root}/state", f"{root}/event/sitting_started",
            f"{root}/event/break_taken"} <= seen
    assert (f"{root}/availability", b"online", False) in sub.messages
    assert sub.wait_for(lambda m: m[0] == f"{root}/availability" and m[1] == b"offline")
    sub.close()
    clear_retained(*broker, [f"{root}/availability", f"{root}/state"])


def test_sitmon_demo_runs_by_itself_and_exits_0(tmp_path, broker):
    """`sitmon demo --speed ... --duration ...` as a newcomer runs it, watched on the real broker."""
    port = free_port()
    env = {**os.environ, "SITMON_WEARER__ID": f"demo{os.getpid()}", "SITMON_NOTIFY__DESKTOP": "false",
           "HOME": str(tmp_path)}
    wearer = env["SITMON_WEARER__ID"]
    sub = Subscriber(*broker, f"sitmon/{wearer}/#")
    started = time.monotonic()
    proc = subprocess.run(
        [sys.executable, "-m", "monitor", "demo", "--speed", "300", "--duration", "12", "--port", str(port)],
        capture_output=True, text=True, timeout=120, env=env, check=False)
    assert proc.returncode == 0, proc.stderr
    assert time.monotonic() - started < 60
    assert f"http://127.0.0.1:{port}/" in proc.stdout
    assert "mosquitto_sub" in proc.stdout
    assert "demo finished: sitting_minutes=" in proc.stdout
    assert sub.wait_for(lambda m: m[0].endswith("/event/prompt"))
    topics = {m[0] for m in sub.messages}
    root = f"sitmon/{wearer}"
    assert {f"{root}/availability", f"{root}/state", f"{root}/event/sitting_started"} <= topics
    assert Path(tmp_path, ".local/state/sitmon/demo.sqlite3").exists()
    sub.close()
    clear_retained(*broker, [f"sitmon/{wearer}/availability", f"sitmon/{wearer}/state"])
