"""A gateway keeps its batches on disk while the broker is away and delivers all of them when it is back."""

from __future__ import annotations

import threading

import paho.mqtt.client as mqtt
from fleet_support import FleetBroker
from paho.mqtt.enums import CallbackAPIVersion, MQTTProtocolVersion

from monitor.config import MqttSettings
from monitor.fleet.buffer import BufferedSender, DiskBuffer
from monitor.fleet.gateway import Gateway, WearerStream
from monitor.fleet.wire import decode
from monitor.scripted_day import DEMO_DAY, ThighMotion

T0 = 1_800_000_000.0


class Batches:
    def __init__(self, port: int, topic: str) -> None:
        self.seqs: list[int] = []
        self._cond = threading.Condition()
        ready = threading.Event()
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, protocol=MQTTProtocolVersion.MQTTv5)
        self.client.on_connect = lambda c, *_: c.subscribe(topic, qos=1)
        self.client.on_subscribe = lambda *_: ready.set()
        self.client.on_message = self._on_message
        self.client.connect("127.0.0.1", port)
        self.client.loop_start()
        assert ready.wait(20)

    def _on_message(self, _c: object, _u: object, msg: mqtt.MQTTMessage) -> None:
        with self._cond:
            self.seqs.append(decode(msg.payload).seq)
            self._cond.notify_all()

    def wait_for(self, seqs: set[int], timeout: float) -> bool:
        with self._cond:
            return self._cond.wait_for(lambda: seqs <= set(self.seqs), timeout)

    def close(self) -> None:
        self.client.loop_stop()
        self.client.disconnect()


def test_batches_wait_on_disk_while_the_broker_is_away(tmp_path):
    broker = FleetBroker(tmp_path / "broker")
    settings = MqttSettings(port=broker.port, reconnect_min_seconds=1, reconnect_max_seconds=1)
    buffer = DiskBuffer(tmp_path / "buffer.sqlite3")
    sender = BufferedSender(buffer, settings, "gw-test")
    gateway = Gateway("gw-a", "fleet-gw", buffer, sender)
    stream = WearerStream("w-7", ThighMotion(DEMO_DAY, T0, 25.0))
    sender.start()  # no broker yet: connecting keeps failing, batches pile up on disk
    for second in range(0, 30, 5):
        gateway.forward(stream, T0 + second, T0 + second + 5)
    assert buffer.size() == 6 and not sender.connected
    broker.start()
    batches = Batches(broker.port, "fleet-gw/fleet/samples/+")
    try:
        assert sender.wait_empty(30), "the buffer was not delivered"
        assert batches.wait_for({i * 125 for i in range(6)}, 30)
        assert sorted(set(batches.seqs)) == [i * 125 for i in range(6)]
    finally:
        batches.close()
        sender.stop()
        buffer.close()
        broker.stop()
