"""The fleet end to end: two gateways, a private Mosquitto, two central workers sharing one MQTT 5
subscription, the local PostgreSQL. Several wearers are replayed; one walks from one gateway to the
other (both hear it for a while); one central worker stops half-way. Every wearer's events must be
exactly those one uninterrupted pipeline makes from the same samples: complete, in order, once."""

from __future__ import annotations

import json
import threading
from collections import defaultdict
from pathlib import Path

import numpy as np
import paho.mqtt.client as mqtt
import pytest
from fleet_support import FleetBroker
from paho.mqtt.enums import CallbackAPIVersion, MQTTProtocolVersion
from pg_support import pg_schema
from sqlalchemy import select

from monitor.adapters.store import Store
from monitor.config import Settings
from monitor.daemon import prompt_rules_from, rules_from
from monitor.fleet.buffer import BufferedSender, DiskBuffer
from monitor.fleet.central import CentralWorker
from monitor.fleet.gateway import Gateway, WearerStream
from monitor.fleet.schema import fleet_inbox, fleet_streams
from monitor.fleet.settings import FleetSettings
from monitor.fleet.wire import MILLI_G
from monitor.model import Activity, Event, Placement, SampleBlock
from monitor.pipeline import Pipeline
from monitor.scripted_day import Segment, ThighMotion

T0 = 1_800_000_000.0
RATE = 25.0
CHUNK = 10.0
SIT, STAND, MOVE = Activity.SIT, Activity.STAND, Activity.MOVE


def script(k: int) -> list[Segment]:
    """Different days for different wearers: long sits that earn prompts, breaks, short stands."""
    return [Segment(SIT, 60.0 * (6 + k)), Segment(MOVE, 90.0), Segment(STAND, 40.0 + 10 * k),
            Segment(SIT, 60.0 * (8 - k % 3)), Segment(STAND, 20.0), Segment(SIT, 240.0), Segment(MOVE, 120.0)]


def settings_for(broker: FleetBroker, base: str, url: str) -> Settings:
    return Settings.model_validate({
        "wearer": {"timezone": "UTC"},
        "tracker": {"prompt_after_minutes": 5, "repeat_minutes": 2},
        "mqtt": {"port": broker.port, "base_topic": base, "protocol": "5"},
        "store": {"url": url},
    })


def reference_events(settings: Settings, stream: WearerStream, until: float) -> list[Event]:
    """What one pipeline, never interrupted, says about the samples as the wire carries them."""
    block = stream.motion.samples(T0, until)
    xyz = np.rint(block.xyz * MILLI_G) / MILLI_G
    pipeline = Pipeline(stream.wearer, Placement.THIGH, rules_from(settings), prompt_rules_from(settings))
    events: list[Event] = []
    for start in range(0, len(block), 997):  # any split gives the same judgement
        events += pipeline.push(SampleBlock(block.t[start:start + 997], xyz[start:start + 997])).events
    return events


class EventListener:
    """Every event the central workers publish back, per wearer, in arrival order."""

    def __init__(self, port: int, base: str) -> None:
        self.ids: dict[str, list[str]] = defaultdict(list)
        self._cond = threading.Condition()
        self._ready = threading.Event()
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, protocol=MQTTProtocolVersion.MQTTv5)
        self.client.on_connect = lambda c, *_: c.subscribe(f"{base}/+/event/#", qos=1)
        self.client.on_subscribe = lambda *_: self._ready.set()
        self.client.on_message = self._on_message
        self.client.connect("127.0.0.1", port)
        self.client.loop_start()
        assert self._ready.wait(20)

    def _on_message(self, _c: object, _u: object, msg: mqtt.MQTTMessage) -> None:
        payload = json.loads(msg.payload)
        with self._cond:
            self.ids[payload["wearer"]].append(payload["id"])
            self._cond.notify_all()

    def wait_for(self, expected: dict[str, list[Event]], timeout: float) -> bool:
        with self._cond:
            return self._cond.wait_for(
                lambda: all(len(self.ids[w]) >= len(events) for w, events in expected.items()), timeout)

    def close(self) -> None:
        self.client.loop_stop()
        self.client.disconnect()


@pytest.fixture
def broker(tmp_path: Path):
    b = FleetBroker(tmp_path / "broker")
    b.start()
    yield b
    b.stop()


def test_two_gateways_and_two_workers_keep_every_wearers_events_complete_ordered_and_single(broker, tmp_path):
    base = f"fleet-{tmp_path.name[-12:]}".replace("_", "-")
    duration = 20 * 60.0
    with pg_schema() as url:
        settings = settings_for(broker, base, url)
        fleet = FleetSettings(partitions=8, rebalance_seconds=0.2, poll_seconds=0.02)
        listener = EventListener(broker.port, base)
        stores = [Store.open(url), Store.open(url)]
        workers = [CentralWorker(settings, fleet, stores[i], f"worker-{i}") for i in range(2)]
        for worker in workers:
            worker.start()
        # The first worker took every partition; it gives half back once it sees the second.
        assert workers[0].wait(lambda: len(workers[0].owner.owned) == 4, 30)
        assert workers[1].wait(lambda: len(workers[1].owner.owned) == 4, 30)
        gateways: list[Gateway] = []
        for name in ("gw-a", "gw-b"):
            buffer = DiskBuffer(tmp_path / f"{name}.sqlite3")
            sender = BufferedSender(buffer, settings.mqtt, f"sitmon-gateway-{name}-{base}")
            sender.start()
            gateways.append(Gateway(name, base, buffer, sender))
        streams = [WearerStream(f"w{k}", ThighMotion(script(k), T0, RATE, seed=k)) for k in range(5)]
        mover = streams[1]
        try:
            t = T0
            while t < T0 + duration:
                elapsed = t - T0
                for stream in streams:
                    if stream is mover and elapsed >= 600:
                        continue  # left gw-a's range
                    home = gateways[0] if int(stream.wearer[1:]) % 2 == 0 or stream is mover else gateways[1]
                    home.forward(stream, t, t + CHUNK)
                if elapsed >= 540:
                    # From minute 9 gw-b hears the mover too, in batches cut elsewhere (7 s, offset 3 s).
                    for start in np.arange(max(t, T0 + 543), t + CHUNK, 7.0):
                        gateways[1].forward(mover, float(start), float(min(start + 7.0, t + CHUNK)))
                if elapsed == duration / 2:
                    # One worker leaves mid-run, once it has done its share of the first half; the other
                    # takes over its wearers from their checkpoints.
                    assert workers[1].wait(lambda: workers[1].stats.batches_processed > 20, 60)
                    workers[1].stop()
                t += CHUNK
            for gateway in gateways:
                assert gateway.sender is not None and gateway.sender.wait_empty(60), "a gateway did not drain"

            final = int(duration * RATE)
            engine = stores[0].engine

            def all_processed() -> bool:
                with engine.connect() as conn:
                    seqs = dict(conn.execute(select(fleet_streams.c.wearer, fleet_streams.c.next_seq)).all())
                    left = conn.execute(select(fleet_inbox.c.seq)).all()
                return not left and all(seqs.get(s.wearer) == final for s in streams)

            assert workers[0].wait(all_processed, 120), "the surviving worker did not finish every wearer"
            for stream in streams:
                expected = reference_events(settings, stream, T0 + duration)
                assert any(e.type.value == "prompt" for e in expected)
                stored = stores[0].events_between(stream.wearer, T0 - 1, T0 + duration + 3600)
                assert sorted(stored, key=lambda e: (e.t, e.id)) == sorted(expected, key=lambda e: (e.t, e.id))
            assert workers[1].stats.batches_received > 0 and workers[1].stats.batches_processed > 0
            # Published back once each, in the order the pipeline made them.
            assert listener_ids_complete(listener, {s.wearer: reference_events(settings, s, T0 + duration)
                                                    for s in streams})
        finally:
            for gateway in gateways:
                if gateway.sender is not None:
                    gateway.sender.stop()
                gateway.buffer.close()
            workers[0].stop()
            listener.close()
            for store in stores:
                store.close()


def listener_ids_complete(listener: EventListener, expected: dict[str, list[Event]]) -> bool:
    listener.wait_for(expected, 30)
    for wearer, events in expected.items():
        assert listener.ids[wearer] == [e.id for e in events], wearer
    return True
