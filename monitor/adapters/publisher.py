"""The MQTT edge: paho-mqtt 2.x with a last will, retained availability and state, QoS 1 events."""

from __future__ import annotations

import logging
import threading

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion, MQTTProtocolVersion
from paho.mqtt.reasoncodes import ReasonCode

from monitor.config import MqttSettings
from monitor.messages import Message, Topics, availability_message

log = logging.getLogger(__name__)


class Publisher:
    def __init__(self, settings: MqttSettings, topics: Topics, client_id: str) -> None:
        self.settings = settings
        self.topics = topics
        self._connected = threading.Event()
        self._stopping = False
        self._client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=client_id,
                                   protocol=MQTTProtocolVersion.MQTTv311, clean_session=True)
        offline = availability_message(topics, online=False)
        self._client.will_set(offline.topic, offline.payload, qos=offline.qos, retain=offline.retain)
        if settings.username:
            password = settings.password_file.read_text().strip() if settings.password_file else None
            self._client.username_pw_set(settings.username, password)
        self._client.reconnect_delay_set(min_delay=1, max_delay=30)
        self._client.on_connect = self._on_connect
        self._client.on_disconnect = self._on_disconnect

    @property
    def connected(self) -> bool:
        return self._connected.is_set()

    def start(self) -> None:
        self._client.connect_async(self.settings.host, self.settings.port, keepalive=self.settings.keepalive)
        self._client.loop_start()

    def wait_connected(self, timeout: float) -> bool:
        return self._connected.wait(timeout)

    def publish(self, message: Message) -> None:
        info = self._client.publish(message.topic, message.payload, qos=message.qos, retain=message.retain)
        if info.rc not in (mqtt.MQTT_ERR_SUCCESS, mqtt.MQTT_ERR_NO_CONN):
            log.warning("publish to %s failed: %s", message.topic, mqtt.error_string(info.rc))

    def stop(self) -> None:
        self._stopping = True
        if self.connected:
            offline = availability_message(self.topics, online=False)
            info = self._client.publish(offline.topic, offline.payload, qos=1, retain=True)
            info.wait_for_publish(timeout=2)
        self._client.disconnect()
        self._client.loop_stop()

    def _on_connect(self, client: mqtt.Client, _userdata: object, _flags: object,
                    reason: ReasonCode, _props: object) -> None:
        if reason.is_failure:
            log.error("MQTT broker %s:%d refused the connection: %s",
                      self.settings.host, self.settings.port, reason)
            return
        log.info("connected to MQTT broker %s:%d", self.settings.host, self.settings.port)
        online = availability_message(self.topics, online=True)
        client.publish(online.topic, online.payload, qos=online.qos, retain=online.retain)
        self._connected.set()

    def _on_disconnect(self, _client: mqtt.Client, _userdata: object, _flags: object,
                       reason: ReasonCode, _props: object) -> None:
        if self._connected.is_set() and not self._stopping:
            log.warning("lost the MQTT broker (%s); reconnecting", reason)
        self._connected.clear()
