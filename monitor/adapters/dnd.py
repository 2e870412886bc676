"""Do-not-disturb from MQTT: a topic (e.g. Home Assistant's "in a call" sensor) says busy or free."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

import paho.mqtt.client as mqtt
from paho.mqtt.reasoncodes import ReasonCode

from monitor.adapters.publisher import new_client
from monitor.config import MqttSettings

log = logging.getLogger(__name__)

BUSY_WORDS = frozenset({"on", "true", "busy", "1", "yes", "dnd", "in_call", "in a call"})
FREE_WORDS = frozenset({"off", "false", "free", "0", "no", "available", "idle"})


def parse_busy(payload: bytes | bytearray) -> bool | None:
    """True for busy, False for free, None for a payload that says neither."""
    word = payload.decode("utf-8", errors="replace").strip().strip('"').lower()
    if word in BUSY_WORDS:
        return True
    if word in FREE_WORDS:
        return False
    return None


class DndListener:
    """Subscribes to the topic and hands each change to `on_change` on the daemon's event loop."""

    def __init__(self, settings: MqttSettings, topic: str, on_change: Callable[[bool], None],
                 loop: asyncio.AbstractEventLoop, client_id: str) -> None:
        self.topic = topic
        self._on_change = on_change
        self._loop = loop
        # The broker's credentials, TLS and backoff as the publisher has them (the same broker).
        self._client = new_client(settings, client_id)
        self._client.on_connect = self._on_connect
        self._client.on_message = self._on_message
        self._settings = settings

    def start(self) -> None:
        self._client.connect_async(self._settings.host, self._settings.port, keepalive=self._settings.keepalive)
        self._client.loop_start()

    def stop(self) -> None:
        self._client.disconnect()
        self._client.loop_stop()
        self._client.on_connect = self._client.on_message = None  # lets paho close its sockets now

    def _on_connect(self, client: mqtt.Client, _u: object, _f: object, reason: ReasonCode, _p: object) -> None:
        if not reason.is_failure:
            client.subscribe(self.topic, qos=1)  # a retained state arrives at once

    def _on_message(self, _c: mqtt.Client, _u: object, message: mqtt.MQTTMessage) -> None:
        busy = parse_busy(message.payload)
        if busy is None:
            log.warning("do-not-disturb topic %s: payload %r is neither busy nor free; ignored",
                        message.topic, message.payload[:40])
            return
        self._loop.call_soon_threadsafe(self._on_change, busy)
