"""MQTT load: events per second one daemon sustains to the broker with QoS 1 through the outbox, and the
latency from a sample's arrival at the daemon to its event at a subscriber.

Run from the repository root, with a broker on 127.0.0.1:1883:

    .venv/bin/python bench/mqtt_load.py [--events 5000] [--minutes 240] [--pace-ms 5]

1. Throughput: the daemon's own write path (one transaction per step: the events, the tracker snapshot
   and their outbox rows, then state) with `--events` synthetic events, one per step, and the time
   until the broker has acknowledged the last; and the drain rate of the same number already waiting in
   the outbox (the broker coming back after an outage).
2. Latency: a scripted thigh day (`--minutes` of it) pushed in 5-second blocks, one block every
   `--pace-ms` of wall time, with prompts every minute of sitting so that events are frequent; for
   each event, the wall time from pushing the block that produced it to the subscriber receiving it.
   Which block produced which event comes from a pure replay (event ids are deterministic).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import paho.mqtt.client as mqtt  # noqa: E402
from paho.mqtt.enums import CallbackAPIVersion  # noqa: E402

from monitor.adapters.outbox import Outbox, outgoing_events  # noqa: E402
from monitor.adapters.publisher import Publisher  # noqa: E402
from monitor.adapters.store import Store  # noqa: E402
from monitor.clock import ManualClock  # noqa: E402
from monitor.config import Settings, parse_settings  # noqa: E402
from monitor.daemon import Daemon, prompt_rules_from, rules_from  # noqa: E402
from monitor.messages import Topics  # noqa: E402
from monitor.model import Event, EventType, Placement  # noqa: E402
from monitor.pipeline import Pipeline, Step  # noqa: E402
from monitor.scripted_day import DEMO_DAY, ThighMotion  # noqa: E402
from monitor.tracker import TrackerOutput  # noqa: E402

BROKER = ("127.0.0.1", 1883)
T0 = 1_795_597_200.0


class Receiver:
    def __init__(self, topic: str) -> None:
        self.times: dict[str, float] = {}
        self.cond = threading.Condition()
        ready = threading.Event()
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"bench-{uuid.uuid4().hex[:8]}")
        self.client.on_connect = lambda c, *_: c.subscribe(topic, qos=1)
        self.client.on_subscribe = lambda *_: ready.set()
        self.client.on_message = self._on_message
        self.client.connect(*BROKER)
        self.client.loop_start()
        assert ready.wait(10)

    def _on_message(self, _c: object, _u: object, msg: mqtt.MQTTMessage) -> None:
        now = time.perf_counter()
        with self.cond:
            self.times.setdefault(json.loads(msg.payload)["id"], now)
            self.cond.notify_all()

    def wait(self, count: int, timeout: float = 300) -> bool:
        with self.cond:
            return self.cond.wait_for(lambda: len(self.times) >= count, timeout)

    def close(self) -> None:
        self.client.loop_stop()
        self.client.disconnect()


def settings_for(base: str, folder: Path) -> Settings:
    return parse_settings({
        "wearer": {"id": "bench", "timezone": "UTC"},
        "wearables": [{"name": "thigh", "kind": "emulated"}],
        "tracker": {"prompt_after_minutes": 1, "repeat_minutes": 1, "break_seconds": 10},
        "mqtt": {"host": BROKER[0], "port": BROKER[1], "base_topic": base, "discovery": False,
                 "outbox_limit": 1_000_000},
        "store": {"path": str(folder / "bench.sqlite3")},
        "notify": {"desktop": False},
    }, environ={})


def build(settings: Settings, clock: ManualClock) -> tuple[Store, Publisher, Daemon]:
    store = Store.open(settings.store.sqlalchemy_url())
    topics = Topics(settings.mqtt.base_topic, settings.wearer.id)
    outbox = Outbox(store.engine, "bench", settings.mqtt.outbox_limit)
    publisher = Publisher(settings.mqtt, topics, f"bench-{uuid.uuid4().hex[:8]}", outbox)
    return store, publisher, Daemon(settings, clock, store, publisher)


def synthetic(n: int, offset: int) -> list[Event]:
    return [Event(f"bench-{offset + i}", EventType.SITTING_STARTED, T0 + offset + i, "bench", {}) for i in range(n)]


def throughput(events: int, folder: Path) -> tuple[float, float]:
    base = f"bench-{uuid.uuid4().hex[:8]}"
    settings = settings_for(base, folder / "t")
    receiver = Receiver(f"{base}/bench/event/#")
    clock = ManualClock(T0)
    store, publisher, daemon = build(settings, clock)
    publisher.start()
    assert publisher.wait_connected(10)
    started = time.perf_counter()
    for event in synthetic(events, 0):
        clock.set(event.t)
        daemon._handle(Step(output=TrackerOutput(events=[event])))
    assert receiver.wait(events)
    live = events / (time.perf_counter() - started)
    publisher.stop()

    # A backlog, as after an outage: rows already in the outbox when the publisher connects.
    backlog = synthetic(events, events)
    topics = Topics(base, "bench")
    assert publisher.outbox is not None
    store.record("bench", [], backlog, None, also=publisher.outbox.writer(outgoing_events(topics, backlog, None)))
    again = Publisher(settings.mqtt, topics, f"bench-{uuid.uuid4().hex[:8]}", publisher.outbox)
    started = time.perf_counter()
    again.start()
    assert receiver.wait(2 * events)
    drained = events / (time.perf_counter() - started)
    again.stop()
    receiver.close()
    store.close()
    return live, drained


async def latency(minutes: int, pace_ms: float, folder: Path) -> list[float]:
    base = f"bench-{uuid.uuid4().hex[:8]}"
    settings = settings_for(base, folder / "l")
    receiver = Receiver(f"{base}/bench/event/#")
    clock = ManualClock(T0)
    store, publisher, daemon = build(settings, clock)
    publisher.start()
    assert publisher.wait_connected(10)
    motion = ThighMotion(DEMO_DAY * (1 + minutes // 100), start=T0, rate_hz=50)
    blocks = [motion.samples(T0 + s, T0 + s + 5) for s in range(0, minutes * 60, 5)]
    pipeline = Pipeline("bench", Placement.THIGH, rules_from(settings), prompt_rules_from(settings))
    produced_by = {e.id: i for i, block in enumerate(blocks) for e in pipeline.push(block).events}
    pushed: list[float] = []
    for i, block in enumerate(blocks):
        clock.set(T0 + 5 * (i + 1))
        pushed.append(time.perf_counter())
        daemon.samples("thigh", block)
        await asyncio.sleep(pace_ms / 1000)  # pacing the replay, not waiting for anything
    assert receiver.wait(len(produced_by))
    publisher.stop()
    receiver.close()
    store.close()
    return [receiver.times[i] - pushed[b] for i, b in produced_by.items()]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=5000)
    parser.add_argument("--minutes", type=int, default=240)
    parser.add_argument("--pace-ms", type=float, default=5.0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        (folder / "t").mkdir()
        (folder / "l").mkdir()
        live, drained = throughput(args.events, folder)
        print(f"throughput: {live:.0f} events/s through the daemon (one transaction per event, QoS 1, "
              f"acknowledged); backlog drain {drained:.0f} events/s ({args.events} events each)")
        lat = sorted(asyncio.run(latency(args.minutes, args.pace_ms, folder)))
        p50, p99 = statistics.median(lat), lat[min(len(lat) - 1, round(0.99 * (len(lat) - 1)))]
        print(f"latency sample -> event at subscriber: p50 {p50 * 1000:.1f} ms, p99 {p99 * 1000:.1f} ms, "
              f"max {lat[-1] * 1000:.1f} ms over {len(lat)} events")


if __name__ == "__main__":
    main()
