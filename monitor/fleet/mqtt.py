"""MQTT 5 clients for the fleet roles, configured from the `[mqtt]` settings (credentials, TLS)."""

from __future__ import annotations

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion, MQTTProtocolVersion

from monitor.adapters.publisher import read_password
from monitor.config import MqttSettings

# Shared subscriptions are an MQTT 5 feature, so the fleet speaks 5 whatever `mqtt.protocol` says.
PROTOCOL = MQTTProtocolVersion.MQTTv5


def make_client(settings: MqttSettings, client_id: str) -> mqtt.Client:
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=client_id, protocol=PROTOCOL)
    if settings.username:
        client.username_pw_set(settings.username, read_password(settings))
    if settings.tls:
        client.tls_set(ca_certs=str(settings.ca_file) if settings.ca_file else None,
                       certfile=str(settings.cert_file) if settings.cert_file else None,
                       keyfile=str(settings.key_file) if settings.key_file else None)
    client.reconnect_delay_set(min_delay=settings.reconnect_min_seconds, max_delay=settings.reconnect_max_seconds)
    return client
