"""The MQTT interface against the real Mosquitto on 127.0.0.1:1883, with the real daemon behind it:
Home Assistant discovery, commands and their responses, samples arriving over MQTT."""

from __future__ import annotations

import asyncio
import json
import logging
import uuid

import numpy as np
import paho.mqtt.client as mqtt
from mqtt_schemas import check
from paho.mqtt.enums import CallbackAPIVersion, MQTTProtocolVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from support import Subscriber, clear_retained

from monitor.adapters.mqtt_interface import MqttInterface
from monitor.adapters.outbox import Outbox
from monitor.adapters.publisher import Publisher
from monitor.clock import ManualClock
from monitor.config import Settings, parse_settings
from monitor.daemon import Daemon
from monitor.messages import Topics
from monitor.scripted_day import DEMO_DAY, ThighMotion

T0 = 1_795_597_200.0


def settings_for(broker, base_topic: str, wearer: str = "w", wearables=None, **mqtt_extra) -> Settings:
    return parse_settings({
        "wearer": {"id": wearer, "name": "Test Wearer", "timezone": "UTC"},
        "wearables": wearables or [{"name": "thigh", "kind": "emulated"}],
        "mqtt": {"host": broker[0], "port": broker[1], "base_topic": base_topic,
                 "discovery_prefix": f"{base_topic}-ha", **mqtt_extra},
        "notify": {"desktop": False},
    }, environ={})


class Running:
    """A daemon with its publisher and MQTT interface, connected; the test drives its clock."""

    def __init__(self, settings: Settings, store, clock: ManualClock) -> None:
        self.settings = settings
        self.topics = Topics(settings.mqtt.base_topic, settings.wearer.id)
        self.publisher = Publisher(settings.mqtt, self.topics, f"t-{uuid.uuid4().hex[:8]}",
                                   Outbox(store.engine, settings.wearer.id))
        self.daemon = Daemon(settings, clock, store, self.publisher)
        self.interface = MqttInterface(settings, self.publisher, store, clock, self.daemon,
                                       asyncio.get_running_loop())
        self.interface.attach()

    async def start(self) -> None:
        self.publisher.start()
        assert await asyncio.to_thread(self.publisher.wait_connected, 10)

    async def stop(self) -> None:
        await asyncio.to_thread(self.publisher.stop)


async def wait(sub: Subscriber, predicate, count: int = 1) -> list[tuple[str, bytes, bool]]:
    return await asyncio.to_thread(sub.wait_for, predicate, count)


def configs(sub: Subscriber) -> dict[str, dict]:
    """The latest config per discovery topic ({} once removed)."""
    latest: dict[str, dict] = {}
    for topic, payload, _ in sub.messages:
        if topic.endswith("/config"):
            latest[topic] = json.loads(payload) if payload else {}
    return latest


async def test_discovery_announces_every_entity_with_the_fields_home_assistant_needs(broker, base_topic, store):
    settings = settings_for(broker, base_topic, wearables=[{"name": "thigh", "kind": "emulated"},
                                                           {"name": "chest", "kind": "polar-h10"}])
    sub = Subscriber(*broker, f"{base_topic}-ha/#")
    running = Running(settings, store, ManualClock(T0))
    await running.start()
    got = await wait(sub, lambda m: m[0].endswith("/config"), count=14)
    for topic, payload, _ in got:
        check(topic, payload)
    by_object = {topic.split("/")[-2]: json.loads(payload) for topic, payload, _ in got}
    assert set(by_object) == {"activity", "posture", "sitting_today", "current_streak", "breaks_today",
                              "last_prompt", "sitting", "snooze", "pause", "resume", "thigh_battery",
                              "thigh_connected", "chest_battery", "chest_connected"}
    for object_id, config in by_object.items():
        assert config["unique_id"] == f"sitmon_w_{object_id}"
        assert config["availability_topic"] == running.topics.availability
        assert config["device"]["identifiers"] == ["sitmon_w"] and config["origin"]["name"] == "sitmon"
    assert (by_object["sitting_today"]["device_class"], by_object["sitting_today"]["state_class"],
            by_object["sitting_today"]["unit_of_measurement"]) == ("duration", "total", "min")
    assert by_object["sitting_today"]["last_reset_value_template"] == "{{ value_json.today.day_start }}"
    assert by_object["current_streak"]["state_class"] == "measurement"
    assert by_object["breaks_today"]["state_class"] == "total_increasing"
    assert by_object["last_prompt"]["device_class"] == "timestamp"
    assert by_object["thigh_battery"]["device_class"] == "battery"
    assert by_object["thigh_battery"]["unit_of_measurement"] == "%"
    assert by_object["chest_connected"]["device_class"] == "connectivity"
    assert by_object["activity"]["options"] == ["sit", "stand", "move", "lie", "unknown"]
    assert by_object["snooze"]["command_topic"] == running.topics.command("snooze")
    late = Subscriber(*broker, f"{base_topic}-ha/#")
    assert all(m[2] for m in await wait(late, lambda m: m[0].endswith("/config"), count=14))

    # Home Assistant restarts and says online: everything is announced again.
    before = len(sub.messages)
    sub.client.publish(f"{base_topic}-ha/status", b"online", qos=1).wait_for_publish(5)
    assert len(await wait(sub, lambda m: m[0].endswith("/config"), count=28)) >= 28 > before
    await running.stop()
    late.close()
    sub.close()
    clear_retained(*broker, [*configs(sub), running.topics.availability, running.topics.state])


async def test_entities_of_a_removed_wearable_and_a_renamed_wearer_are_withdrawn(broker, base_topic, store):
    two = [{"name": "thigh", "kind": "emulated"}, {"name": "chest", "kind": "polar-h10"}]
    sub = Subscriber(*broker, f"{base_topic}-ha/#")
    first = Running(settings_for(broker, base_topic, wearables=two), store, ManualClock(T0))
    await first.start()
    await wait(sub, lambda m: m[0].endswith("/config"), count=14)
    await first.stop()

    second = Running(settings_for(broker, base_topic, wearables=two[:1]), store, ManualClock(T0))
    await second.start()
    await wait(sub, lambda m: m[0].endswith("/config") and not m[1], count=2)
    removed = {t.split("/")[-2] for t, c in configs(sub).items() if not c}
    assert removed == {"chest_battery", "chest_connected"}
    await second.stop()

    third = Running(settings_for(broker, base_topic, wearer="v", wearables=two[:1]), store, ManualClock(T0))
    await third.start()
    await wait(sub, lambda m: m[0].endswith("/config") and not m[1], count=14)
    await wait(sub, lambda m: "/sitmon_v/" in m[0] and m[1], count=12)
    latest = configs(sub)
    assert all(not c for t, c in latest.items() if "/sitmon_w/" in t)
    assert sum(1 for t, c in latest.items() if "/sitmon_v/" in t and c) == 12
    await third.stop()
    sub.close()
    clear_retained(*broker, [*latest, first.topics.availability, first.topics.state, third.topics.availability,
                             third.topics.state])


async def test_a_valid_command_acts_and_is_answered_and_a_bad_one_changes_nothing(
        broker, base_topic, store, caplog):
    caplog.set_level(logging.INFO)
    settings = settings_for(broker, base_topic, discovery=False)
    clock = ManualClock(T0)
    sub = Subscriber(*broker, f"{base_topic}/#")
    running = Running(settings, store, clock)
    await running.start()
    topics = running.topics

    async def command(name: str, payload: bytes) -> dict:
        count = len([m for m in sub.messages if m[0] == topics.response(name)]) + 1
        sub.client.publish(topics.command(name), payload, qos=1).wait_for_publish(5)
        got = await wait(sub, lambda m: m[0] == topics.response(name), count=count)
        check(got[-1][0], got[-1][1])
        return json.loads(got[-1][1])

    prompter_before = running.daemon.pipeline.prompter.snapshot
    for name, payload, reason in [
        ("snooze", b'{"minutes": 500, "id": "r1"}', "minutes must be between 1 and 240 (got 500)"),
        ("snooze", b"{not json", "payload is not JSON"),
        ("snooze", b'{"minutes": 5, "volume": 11}', "unknown argument volume"),
        ("pause", b'{"until": "2020-01-01T00:00:00+00:00"}', "until is in the past"),
        ("pause", b'{"until": "tomorrow"}', "until is not an ISO 8601 time"),
        ("calibrate", b'{"wearable": "ankle"}', "no wearable named 'ankle'"),
        ("reboot", b"", "unknown command"),
    ]:
        answer = await command(name, payload)
        assert answer["ok"] is False and reason in answer["message"], answer
        assert reason in caplog.text
    assert (await command("snooze", b'{"minutes": 500, "id": "r1"}'))["id"] == "r1"
    assert running.daemon.pipeline.prompter.snapshot == prompter_before
    assert not [m for m in sub.messages if "/event/" in m[0]]

    answer = await command("snooze", b'{"minutes": 20, "id": "kitchen"}')
    assert answer == {"schema": 1, "command": "snooze", "ok": True, "message": "snoozed for 20 minutes",
                      "t": "2026-11-25T09:00:00+00:00", "id": "kitchen"}
    snoozed = await wait(sub, lambda m: m[0] == f"{topics.root}/event/snoozed")
    check(snoozed[0][0], snoozed[0][1])
    assert json.loads(snoozed[0][1])["data"]["until"] == "2026-11-25T09:20:00+00:00"
    assert (await command("pause", b"30"))["ok"] is True
    assert (await command("resume", b""))["ok"] is True
    assert running.interface.metrics()["commands_refused_total"] == 8
    await running.stop()
    sub.close()
    clear_retained(*broker, [topics.availability, topics.state])


async def test_an_mqtt5_request_is_answered_on_its_response_topic_with_its_correlation_data(
        broker, base_topic, store):
    settings = settings_for(broker, base_topic, discovery=False, protocol="5")
    running = Running(settings, store, ManualClock(T0))
    await running.start()
    replies: asyncio.Queue[mqtt.MQTTMessage] = asyncio.Queue()
    loop = asyncio.get_running_loop()
    client = mqtt.Client(CallbackAPIVersion.VERSION2, protocol=MQTTProtocolVersion.MQTTv5)
    subscribed = asyncio.Event()
    client.on_subscribe = lambda *_: loop.call_soon_threadsafe(subscribed.set)
    client.on_message = lambda _c, _u, msg: loop.call_soon_threadsafe(replies.put_nowait, msg)
    client.connect(*broker)
    client.loop_start()
    client.subscribe(f"{base_topic}/replies/me", qos=1)
    await asyncio.wait_for(subscribed.wait(), 10)
    props = Properties(PacketTypes.PUBLISH)
    props.ResponseTopic = f"{base_topic}/replies/me"
    props.CorrelationData = b"req-42"
    client.publish(running.topics.command("resume"), b"{}", qos=1, properties=props)
    reply = await asyncio.wait_for(replies.get(), 20)
    assert reply.properties.CorrelationData == b"req-42"
    assert json.loads(reply.payload)["ok"] is True
    client.loop_stop()
    client.disconnect()
    await running.stop()
    clear_retained(*broker, [running.topics.availability, running.topics.state])


async def test_samples_over_mqtt_go_through_the_pipeline_and_bad_ones_are_dropped_whole(
        broker, base_topic, store, caplog):
    settings = settings_for(broker, base_topic, discovery=False, wearables=[{"name": "phone", "kind": "mqtt"}])
    sub = Subscriber(*broker, f"{base_topic}/w/event/#")
    running = Running(settings, store, ManualClock(T0))
    await running.start()
    motion = ThighMotion(DEMO_DAY, start=T0, rate_hz=25)
    phone = running.topics.samples("phone")
    sender = mqtt.Client(CallbackAPIVersion.VERSION2)
    sender.connect(*broker)
    sender.loop_start()
    infos = [sender.publish(phone, b'{"t0": "soon", "rate_hz": 25, "xyz": [[0, 0, 1]]}', qos=1),
             sender.publish(running.topics.samples("ghost"), b'{"t": 1, "x": 0, "y": 0, "z": 1}', qos=1)]
    for start in range(0, 120, 2):  # two minutes of sitting, as a phone app would send it
        block = motion.samples(T0 + start, T0 + start + 2)
        payload = {"schema": 1, "t": block.t.tolist(), "xyz": np.round(block.xyz, 4).tolist()}
        check(phone, json.dumps(payload).encode())
        infos.append(sender.publish(phone, json.dumps(payload).encode(), qos=1))
    infos.append(sender.publish(phone, json.dumps({"t": T0 + 10, "x": 0, "y": 0, "z": 1}).encode(), qos=1))
    for info in infos:
        info.wait_for_publish(10)
    started = await wait(sub, lambda m: m[0].endswith("/event/sitting_started"))
    assert json.loads(started[0][1])["t"].startswith("2026-11-25T09:00")
    # The rejected messages may still be on their way through paho's thread: wait for all three.
    async with asyncio.timeout(20):
        while running.interface.samples.metrics()["rejected_total"] < 3:
            await asyncio.sleep(0.05)
    numbers = running.interface.samples.metrics()
    assert numbers["rejected_total"] == 3
    assert "t0 must be a finite number" in caplog.text and "'ghost'" in caplog.text
    assert "repeated or out of order" in caplog.text
    sender.loop_stop()
    sender.disconnect()
    await running.stop()
    sub.close()
    clear_retained(*broker, [running.topics.availability, running.topics.state])
