"""The rest of the MQTT interface around the publisher: Home Assistant discovery, commands, samples in.

paho calls the handlers on its own thread; everything that touches the daemon or the store is handed
to the daemon's event loop with `call_soon_threadsafe`, so the daemon stays single-threaded.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any, Protocol

from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from sqlalchemy import delete, insert, select

from monitor import __version__
from monitor.clock import Clock
from monitor.commands import CommandError, parse_command
from monitor.commands import execute as execute_command
from monitor.config import Settings
from monitor.discovery import Wearable, Wearer, discovery_messages, removal_message
from monitor.messages import ONLINE, Message, Topics, command_response_message, command_response_payload
from monitor.model import SampleBlock
from monitor.schema import mqtt_announced

from .mqtt_samples import MqttSampleInput
from .publisher import Publisher
from .store import Store

log = logging.getLogger(__name__)

HA_STATUS = "status"


class Daemonish(Protocol):
    def samples(self, wearable: str, block: SampleBlock) -> None: ...

    def publish_state(self) -> None: ...


def announce_owner(settings: Settings) -> str:
    """Whose discovery topics these are in the store: the configured client id, so that a changed
    wearer id still finds (and withdraws) what the previous one announced."""
    return settings.mqtt.client_id or "sitmon"


class MqttInterface:
    def __init__(self, settings: Settings, publisher: Publisher, store: Store, clock: Clock, daemon: Daemonish,
                 loop: asyncio.AbstractEventLoop, target: Any = None) -> None:
        self.settings = settings
        self.publisher = publisher
        self.store = store
        self.clock = clock
        self.daemon = daemon
        self.loop = loop
        # The command target: the daemon unless a test brings its own; a method it lacks is refused.
        self.target: Any = daemon if target is None else target
        self.topics = Topics(settings.mqtt.base_topic, settings.wearer.id)
        self.prefix = settings.mqtt.discovery_prefix
        self.owner = announce_owner(settings)
        mqtt_fed = [w.name for w in settings.wearables if w.kind == "mqtt"]
        self.samples = MqttSampleInput(self.topics, mqtt_fed, daemon.samples, loop)
        self.commands_ok = 0
        self.commands_refused = 0

    def attach(self) -> None:
        self.publisher.route(self.topics.commands, self._on_command)
        if self.settings.mqtt.discovery:
            self.publisher.route(f"{self.prefix}/{HA_STATUS}", self._on_ha_status)
        self.samples.attach(self.publisher)
        self.publisher.on_connected(lambda: self.loop.call_soon_threadsafe(self._after_connect))

    def metrics(self) -> dict[str, int]:
        numbers = {f"outbox_{k}": v for k, v in (self.publisher.outbox.metrics().items()
                                                  if self.publisher.outbox is not None else [])}
        numbers |= {f"samples_{k}": v for k, v in self.samples.metrics().items()}
        numbers |= {"commands_ok_total": self.commands_ok, "commands_refused_total": self.commands_refused,
                    "connected": int(self.publisher.connected)}
        return numbers

    # --- connect and Home Assistant discovery ---------------------------------------------------
    def _after_connect(self) -> None:
        if self.settings.mqtt.discovery:
            self.announce()
        self.daemon.publish_state()

    def _on_ha_status(self, _topic: str, payload: bytes, _properties: Properties | None) -> None:
        # Home Assistant (re)started and forgot non-retained state; configs are retained, but HA asks.
        if payload.strip() == ONLINE.encode():
            self.loop.call_soon_threadsafe(self.announce)

    def discovery(self) -> list[Message]:
        wearer = Wearer(self.settings.wearer.id, self.settings.wearer.name)
        wearables = [Wearable(w.name, w.kind) for w in self.settings.wearables]
        return discovery_messages(self.prefix, self.topics, wearer, wearables, __version__)

    def announce(self) -> None:
        """Publish every config, and withdraw what an earlier configuration announced and this one lacks."""
        messages = self.discovery() if self.settings.mqtt.discovery else []
        current = {m.topic for m in messages}
        with self.store.engine.begin() as conn:
            query = select(mqtt_announced.c.topic).where(mqtt_announced.c.owner == self.owner)
            previous = set(conn.execute(query).scalars())
            stale = sorted(previous - current)
            for topic in stale:
                self.publisher.publish(removal_message(topic))
            if stale:
                conn.execute(delete(mqtt_announced).where(mqtt_announced.c.owner == self.owner,
                                                          mqtt_announced.c.topic.in_(stale)))
                log.info("withdrew %d Home Assistant entities no longer configured", len(stale))
            new = sorted(current - previous)
            if new:
                conn.execute(insert(mqtt_announced), [{"owner": self.owner, "topic": t} for t in new])
        for message in messages:
            self.publisher.publish(message)

    # --- commands --------------------------------------------------------------------------------
    def _on_command(self, topic: str, payload: bytes, properties: Properties | None) -> None:
        name = topic.rsplit("/", 1)[-1]
        self.loop.call_soon_threadsafe(self.run_command, name, payload, properties)

    def run_command(self, name: str, payload: bytes, properties: Properties | None = None) -> None:
        now = self.clock.now()
        request_id = None
        try:
            request = parse_command(name, payload, now, [w.name for w in self.settings.wearables])
            request_id = request.request_id
            method = type(request.command).__name__.lower()
            if not callable(getattr(self.target, method, None)):
                raise CommandError(name, "this sitmon cannot do that yet", request_id)
            outcome = execute_command(request.command, self.target)
            ok = not outcome.startswith("refused")
        except CommandError as exc:
            request_id = exc.request_id
            outcome, ok = exc.reason, False
        except Exception as exc:  # the target failed: answer, and keep running
            log.exception("command %s failed", name)
            outcome, ok = f"failed: {exc}", False
        if ok:
            self.commands_ok += 1
            log.info("command %s: %s", name, outcome)
        else:
            self.commands_refused += 1
            log.warning("command %s refused: %s (payload %r)", name, outcome, payload[:200])
        self._respond(name, ok, outcome, now, request_id, properties)

    def _respond(self, name: str, ok: bool, outcome: str, now: float, request_id: str | None,
                 properties: Properties | None) -> None:
        response = command_response_payload(name, ok, outcome, now, self.settings.tz(), request_id)
        message = command_response_message(self.topics, response)
        reply_to = getattr(properties, "ResponseTopic", None) if properties is not None else None
        if reply_to:
            # MQTT 5 request/response: answer where the requester asked, with its correlation data.
            props = Properties(PacketTypes.PUBLISH)  # type: ignore[no-untyped-call]
            correlation = getattr(properties, "CorrelationData", None)
            if correlation is not None:
                props.CorrelationData = correlation
            self.publisher.publish(Message(reply_to, message.payload, 1, False), props)
        else:
            self.publisher.publish(message)

