"""Do-not-disturb over the real broker holds a due prompt back until the topic says free."""

from __future__ import annotations

import asyncio

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from support import clear_retained

from monitor.adapters.dnd import DndListener, parse_busy
from monitor.config import MqttSettings


def test_payload_words():
    assert parse_busy(b"on") is True and parse_busy(b'"Busy"') is True and parse_busy(b"1") is True
    assert parse_busy(b"off") is False and parse_busy(b"free") is False
    assert parse_busy(b"maybe") is None and parse_busy(b"\xff") is None


async def test_listener_follows_the_topic(broker, base_topic):
    topic = f"{base_topic}/office/in_call"
    changes: list[bool] = []
    changed = asyncio.Event()

    def on_change(busy: bool) -> None:
        changes.append(busy)
        changed.set()

    listener = DndListener(MqttSettings(host=broker[0], port=broker[1]), topic, on_change,
                           asyncio.get_running_loop(), "dnd-test")
    publisher = mqtt.Client(CallbackAPIVersion.VERSION2)
    publisher.connect(*broker)
    publisher.loop_start()
    publisher.publish(topic, b"on", qos=1, retain=True).wait_for_publish(5)
    listener.start()
    try:
        await asyncio.wait_for(changed.wait(), 20)  # the retained "on" arrives on subscribe
        changed.clear()
        publisher.publish(topic, b"gibberish", qos=1).wait_for_publish(5)
        publisher.publish(topic, b"off", qos=1).wait_for_publish(5)
        await asyncio.wait_for(changed.wait(), 20)
    finally:
        listener.stop()
        publisher.loop_stop()
        publisher.disconnect()
        clear_retained(*broker, [topic])
    assert changes == [True, False]
