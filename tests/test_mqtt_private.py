"""Auth, TLS and outages against a private Mosquitto the test starts and stops: a password file, TLS with
client certificates, persistence. Nothing published is lost, reordered or published twice."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import signal
import subprocess
import sys
import threading
import uuid
from pathlib import Path

import pytest
from mqtt_private_broker import PASSWORD, DurableSubscriber, PrivateBroker
from mqtt_schemas import check

from monitor.adapters.mqtt_interface import MqttInterface
from monitor.adapters.outbox import Outbox
from monitor.adapters.publisher import Publisher
from monitor.adapters.store import Store
from monitor.clock import ManualClock
from monitor.config import MqttSettings, Settings, parse_settings
from monitor.daemon import Daemon, prompt_rules_from, rules_from
from monitor.messages import Topics
from monitor.model import Placement
from monitor.pipeline import Pipeline
from monitor.scripted_day import DEMO_DAY, ThighMotion

T0 = 1_795_597_200.0  # 09:00 UTC
HERE = Path(__file__).resolve().parent


@pytest.fixture
def private_broker(tmp_path):
    broker = PrivateBroker(tmp_path / "broker")
    broker.start()
    yield broker
    broker.stop()


def test_credentials_tls_and_a_client_certificate_connect_with_mqtt_311_and_5(private_broker):
    for protocol in ("3.1.1", "5"):
        settings = MqttSettings.model_validate(private_broker.mqtt_settings(protocol=protocol))
        publisher = Publisher(settings, Topics("sitmon", "w"), f"t-tls-{protocol}")
        publisher.start()
        assert publisher.wait_connected(20), "".join(private_broker.log[-5:])
        publisher.stop()


def test_a_wrong_password_is_refused_and_logged_without_the_password(private_broker, caplog, tmp_path):
    secret = "not-the-password-" + uuid.uuid4().hex
    password_file = tmp_path / "mqtt-password"
    password_file.write_text(secret + "\n")
    settings = MqttSettings.model_validate(private_broker.mqtt_settings(password="", password_file=str(password_file)))
    refused = threading.Event()

    class Watch(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            if "refused the connection" in record.getMessage():
                refused.set()

    watch = Watch()
    logging.getLogger("monitor.adapters.publisher").addHandler(watch)
    publisher = Publisher(settings, Topics("sitmon", "w"), "t-badpass")
    publisher.start()
    assert refused.wait(20)
    assert not publisher.connected
    publisher.stop()
    logging.getLogger("monitor.adapters.publisher").removeHandler(watch)
    assert "refused the connection" in caplog.text
    assert secret not in caplog.text and PASSWORD not in caplog.text


def test_plain_tcp_to_the_tls_port_never_connects(private_broker, caplog):
    settings = MqttSettings.model_validate(private_broker.mqtt_settings(tls=False, ca_file=None, cert_file=None,
                                                                        key_file=None))
    publisher = Publisher(settings, Topics("sitmon", "w"), "t-plain")
    publisher.start()
    assert not publisher.wait_connected(3)
    publisher.stop()


def settings_for(broker: PrivateBroker, base: str, store_path: Path) -> Settings:
    return parse_settings({
        "wearer": {"id": "w", "timezone": "UTC"},
        "wearables": [{"name": "thigh", "kind": "emulated"}],
        "mqtt": {**broker.mqtt_settings(), "base_topic": base, "discovery_prefix": f"{base}-ha"},
        "store": {"path": str(store_path)},
        "dashboard": {"enabled": False},
        "notify": {"desktop": False},
    }, environ={})


def replay_ids(settings: Settings) -> list[str]:
    pipeline = Pipeline("w", Placement.THIGH, rules_from(settings), prompt_rules_from(settings))
    motion = ThighMotion(DEMO_DAY, start=T0, rate_hz=25)
    return [e.id for second in range(0, 100 * 60, 5)
            for e in pipeline.push(motion.samples(T0 + second, T0 + second + 5)).events]


def received_events(sub: DurableSubscriber) -> list[dict]:
    return [json.loads(payload) for topic, payload in sub.messages if "/event/" in topic]


async def test_a_ten_minute_outage_in_a_replayed_day_loses_reorders_and_repeats_nothing(private_broker, tmp_path):
    base = f"sitmon-{uuid.uuid4().hex[:8]}"
    sub = DurableSubscriber(private_broker, "#")
    settings = settings_for(private_broker, base, tmp_path / "day.sqlite3")
    store = Store.open(settings.store.sqlalchemy_url())
    clock = ManualClock(T0)
    topics = Topics(base, "w")
    outbox = Outbox(store.engine, "w")
    publisher = Publisher(settings.mqtt, topics, "t-outage", outbox)
    daemon = Daemon(settings, clock, store, publisher)
    MqttInterface(settings, publisher, store, clock, daemon, asyncio.get_running_loop()).attach()
    publisher.start()
    assert await asyncio.to_thread(publisher.wait_connected, 20)

    motion = ThighMotion(DEMO_DAY, start=T0, rate_hz=25)
    outage = (26 * 60, 36 * 60)  # covers the first prompt (30:00), its outcome and the break after it
    held = 0
    for second in range(0, 100 * 60, 5):
        if second == outage[0]:
            assert await asyncio.to_thread(publisher.flush, 20)  # nothing in flight when the broker goes
            await asyncio.to_thread(private_broker.stop)
        if second == outage[1]:
            held = outbox.size()
            await asyncio.to_thread(private_broker.start)
        clock.set(T0 + second + 5)
        daemon.samples("thigh", motion.samples(T0 + second, T0 + second + 5))
        await asyncio.sleep(0)  # let the loop run what the MQTT thread handed over
    assert await asyncio.to_thread(publisher.flush, 30)
    await asyncio.to_thread(publisher.stop)

    # Event ids are deterministic: the pure pipeline replaying the same samples names the same events,
    # in the order the daemon produced them.
    expected = replay_ids(settings)
    stored = store.events_between("w", T0, T0 + 86_400)
    assert {e.id for e in stored} == set(expected)
    in_outage = [e for e in stored if T0 + outage[0] <= e.t < T0 + outage[1]]
    assert held >= 3 and {e.type.value for e in in_outage} >= {"prompt", "break_taken", "prompt_outcome"}
    assert await asyncio.to_thread(sub.wait_until,
                                   lambda m: len([x for x in m if "/event/" in x[0]]) >= len(expected))
    assert [e["id"] for e in received_events(sub)] == expected  # none lost, none twice, in order
    assert publisher.sent == len(expected) and outbox.size() == 0
    for topic, payload in sub.messages:
        check(topic, payload)
    sub.close()
    store.close()


def write_config(path: Path, settings: dict[str, dict[str, object]]) -> None:
    lines = []
    for section, values in settings.items():
        lines.append(f"[[{section}]]" if section == "wearables" else f"[{section}]")
        for key, value in values.items():
            lines.append(f"{key} = {json.dumps(value)}")
    path.write_text("\n".join(lines) + "\n")


def start_daemon(config: Path, script_start: float, origin: float, speed: float,
                 stderr: object = subprocess.PIPE) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": f"{HERE.parent}{os.pathsep}{HERE}"}
    return subprocess.Popen([sys.executable, str(HERE / "mqtt_daemon_process.py"), str(config), str(script_start),
                             str(origin), str(speed)], stderr=stderr, text=True, env=env)  # type: ignore[call-overload]


def wait_for_line(proc: subprocess.Popen[str], needle: str, count: int, seen: list[str]) -> bool:
    assert proc.stderr is not None
    for line in proc.stderr:
        seen.append(line)
        if sum(needle in s for s in seen) >= count:
            return True
    return False


def test_kill_9_while_the_broker_is_down_loses_no_event(tmp_path):
    broker = PrivateBroker(tmp_path / "broker")  # not started: the broker is down from the beginning
    base = f"sitmon-{uuid.uuid4().hex[:8]}"
    db = tmp_path / "killed.sqlite3"
    config = tmp_path / "sitmon.toml"
    write_config(config, {
        "wearer": {"id": "w", "timezone": "UTC"},
        "wearables": {"name": "thigh", "kind": "emulated"},
        "mqtt": {k: v for k, v in broker.mqtt_settings(base_topic=base, discovery=False).items()},
        "store": {"path": str(db)},
        "dashboard": {"enabled": False},
        "notify": {"desktop": False},
    })
    start = T0
    proc = start_daemon(config, start, start, 600.0)
    seen: list[str] = []
    try:
        # The daemon logs an event only after the transaction holding it (and its outbox row) committed.
        assert wait_for_line(proc, "event prompt", 1, seen), "".join(seen[-20:])
        assert wait_for_line(proc, "event break_taken", 2, seen), "".join(seen[-20:])
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(20)
        assert proc.stderr is not None
        proc.stderr.close()
    store = Store.open(f"sqlite:///{db}")
    stored = store.events_between("w", 0, 2 * T0)
    queued = [item.message_id for item in Outbox(store.engine, "w").pending(limit=10_000)]
    assert len(stored) >= 4 and sorted(queued) == sorted(e.id for e in stored)
    last_t = store.snapshot("w").last_t
    store.close()

    broker.start()
    sub = DurableSubscriber(broker, f"{base}/#")
    with (tmp_path / "second-run.log").open("w") as log:
        proc = start_daemon(config, start, last_t + 1, 600.0, stderr=log)
        try:
            assert sub.wait_until(lambda m: len([x for x in m if "/event/" in x[0]]) >= len(queued))
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.wait(30)
    got = received_events(sub)
    assert [e["id"] for e in got[: len(queued)]] == queued  # first, in their order, each once
    ids = [e["id"] for e in got]
    assert len(ids) == len(set(ids))
    for topic, payload in sub.messages:
        check(topic, payload)
    sub.close()
    broker.stop()
