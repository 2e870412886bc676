"""MQTT 5 clients for the fleet roles, configured from the `[mqtt]` settings (credentials, TLS)."""

from __future__ import annotations

import paho.mqtt.client as mqtt
from paho.mqtt.enums import MQTTProtocolVersion

from monitor.adapters.publisher import new_client
from monitor.config import MqttSettings

# Shared subscriptions are an MQTT 5 feature, so the fleet speaks 5 whatever `mqtt.protocol` says.
PROTOCOL = MQTTProtocolVersion.MQTTv5


def make_client(settings: MqttSettings, client_id: str) -> mqtt.Client:
    return new_client(settings, client_id, PROTOCOL)
