"""The MQTT edge against the real Mosquitto on 127.0.0.1:1883."""

from __future__ import annotations

import json
import socket

from support import clear_retained

from monitor.adapters.publisher import Publisher
from monitor.config import MqttSettings
from monitor.messages import Topics, event_message
from monitor.model import Event, EventType


def test_availability_is_retained_online_and_offline_after_a_clean_stop(broker, base_topic, subscribe):
    topics = Topics(base_topic, "w")
    publisher = Publisher(MqttSettings(host=broker[0], port=broker[1], base_topic=base_topic), topics, "t-avail")
    publisher.start()
    assert publisher.wait_connected(10)
    sub = subscribe(f"{base_topic}/#")
    assert sub.wait_for(lambda m: m[0] == topics.availability and m[1] == b"online")
    late = subscribe(f"{base_topic}/#")  # subscribes once "online" is surely on the broker
    got = late.wait_for(lambda m: m[0] == topics.availability)
    assert got and got[0][1:] == (b"online", True)  # delivered as retained to a late subscriber
    publisher.stop()
    assert sub.wait_for(lambda m: m[0] == topics.availability and m[1] == b"offline")
    clear_retained(*broker, [topics.availability])


def test_last_will_says_offline_when_the_connection_dies(broker, base_topic, subscribe):
    topics = Topics(base_topic, "w")
    publisher = Publisher(MqttSettings(host=broker[0], port=broker[1], base_topic=base_topic, keepalive=5),
                          topics, "t-will")
    publisher.start()
    assert publisher.wait_connected(10)
    sub = subscribe(f"{base_topic}/#")
    assert sub.wait_for(lambda m: m[1] == b"online")
    # Cut the TCP connection under paho, as a killed process would.
    sock = publisher._client.socket()
    assert sock is not None
    sock.shutdown(socket.SHUT_RDWR)
    assert sub.wait_for(lambda m: m[0] == topics.availability and m[1] == b"offline", timeout=30)
    publisher.stop()
    clear_retained(*broker, [topics.availability])


def test_events_are_published_with_qos1_and_a_unique_id(broker, base_topic, subscribe):
    topics = Topics(base_topic, "w")
    sub = subscribe(f"{base_topic}/w/event/#")
    publisher = Publisher(MqttSettings(host=broker[0], port=broker[1], base_topic=base_topic), topics, "t-ev")
    publisher.start()
    assert publisher.wait_connected(10)
    for n in range(3):
        event = Event(f"id-{n}", EventType.PROMPT, 1_800_000_000.0 + n, "w", {"streak_seconds": 1800, "number": n})
        publisher.publish(event_message(topics, event, None))
    got = sub.wait_for(lambda m: "/event/prompt" in m[0], count=3)
    payloads = [json.loads(m[1]) for m in got]
    assert [p["id"] for p in payloads] == ["id-0", "id-1", "id-2"]
    assert all(p["schema"] == 1 and p["type"] == "prompt" and p["t"][19] in "+-" for p in payloads)
    publisher.stop()
    clear_retained(*broker, [topics.availability])
