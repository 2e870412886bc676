"""The MQTT edge: paho-mqtt 2.x, MQTT 3.1.1 or 5, optional TLS and credentials, the outbox drain.

Threads: paho's network loop calls our callbacks on its own thread; a second thread, the drain,
moves outbox rows to paho in `seq` order and deletes each row once paho reports the broker's PUBACK
for it (`on_publish` with the message id). The two meet under `_lock`:

- On every (re)connect `_on_connect` drops whatever paho still holds from the last connection and
  rewinds the drain to the oldest unacknowledged row. Without the drop, paho would resend its own
  copies after the CONNACK while the drain sends newer rows, and order would be lost; with it, the
  store is the one queue and a row is re-sent only when its PUBACK never came.
- `on_publish` never takes `_lock` (paho calls it holding its own message lock, which the drain
  needs for `publish`): it only queues the message id, and the drain resolves it under `_lock`.
"""

from __future__ import annotations

import logging
import queue
import ssl
import threading
from collections.abc import Callable, Sequence
from datetime import tzinfo
from pathlib import Path

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion, MQTTProtocolVersion
from paho.mqtt.properties import Properties
from paho.mqtt.reasoncodes import ReasonCode
from sqlalchemy import Connection

from monitor.config import MqttSettings
from monitor.errors import BrokerError
from monitor.messages import Message, Topics, availability_message
from monitor.model import Event
from monitor.secrets import read_secret_file

from .outbox import Outbox, outgoing_events

log = logging.getLogger(__name__)

# Rows handed to paho and not yet acknowledged; paho's own in-flight window matches it.
WINDOW = 100

Handler = Callable[[str, bytes, Properties | None], None]


def read_password(settings: MqttSettings) -> str | None:
    """The broker password: `password_file` first, else `password` (SITMON_MQTT__PASSWORD sets it)."""
    if settings.password_file is not None:
        # A relative name is a systemd credential ($CREDENTIALS_DIRECTORY).
        return read_secret_file("mqtt.password_file", settings.password_file)
    return settings.password.get_secret_value() or None


def _tls_context(settings: MqttSettings) -> ssl.SSLContext:
    def readable(key: str, path: Path | None) -> str | None:
        if path is None:
            return None
        if not path.expanduser().is_file():
            raise BrokerError(f"mqtt.{key}: {path} is not a readable file")
        return str(path.expanduser())

    context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cafile=readable("ca_file", settings.ca_file))
    cert = readable("cert_file", settings.cert_file)
    if cert is not None:
        context.load_cert_chain(cert, readable("key_file", settings.key_file))
    return context


def new_client(settings: MqttSettings, client_id: str, protocol: MQTTProtocolVersion | None = None) -> mqtt.Client:
    """A paho client with the `[mqtt]` credentials, TLS and reconnect backoff; `protocol` overrides
    `mqtt.protocol` (the fleet needs MQTT 5 for shared subscriptions)."""
    if protocol is None:
        protocol = MQTTProtocolVersion.MQTTv5 if settings.protocol == "5" else MQTTProtocolVersion.MQTTv311
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=client_id, protocol=protocol)
    if settings.username:
        client.username_pw_set(settings.username, read_password(settings))
    if settings.tls:
        client.tls_set_context(_tls_context(settings))
    client.reconnect_delay_set(min_delay=settings.reconnect_min_seconds, max_delay=settings.reconnect_max_seconds)
    return client


class Publisher:
    def __init__(self, settings: MqttSettings, topics: Topics, client_id: str, outbox: Outbox | None = None) -> None:
        self.settings = settings
        self.topics = topics
        self.outbox = outbox
        self._connected = threading.Event()
        self._stopping = False
        self._v5 = settings.protocol == "5"
        self._client = new_client(settings, client_id)
        self._client.max_inflight_messages_set(WINDOW)
        offline = availability_message(topics, online=False)
        self._client.will_set(offline.topic, offline.payload, qos=offline.qos, retain=offline.retain)
        self._client.on_connect = self._on_connect
        self._client.on_disconnect = self._on_disconnect
        self._client.on_publish = self._on_publish
        self._client.on_message = self._on_message
        self._routes: list[tuple[str, Handler]] = []
        self._connect_hooks: list[Callable[[], object]] = []
        # The drain's state, guarded by _lock.
        self._lock = threading.Lock()
        self._inflight: dict[int, int] = {}  # paho message id -> outbox seq
        self._cursor = 0  # highest seq handed to paho on this connection
        self._acked: list[int] = []  # seqs acknowledged, not yet deleted from the store
        self._acks: queue.SimpleQueue[int] = queue.SimpleQueue()
        self._wake = threading.Event()
        self._idle = threading.Condition()
        self._drain_thread: threading.Thread | None = None
        self.sent = 0  # outbox rows handed to paho (a re-send after a lost PUBACK counts again)

    @property
    def connected(self) -> bool:
        return self._connected.is_set()

    # --- wiring for the rest of the MQTT interface --------------------------------------------
    def route(self, topic_filter: str, handler: Handler) -> None:
        """Subscribe to `topic_filter` (now if connected, and after every reconnect) and call `handler`
        on paho's thread for each message."""
        self._routes.append((topic_filter, handler))
        if self.connected:
            self._client.subscribe(topic_filter, qos=1)

    def on_connected(self, hook: Callable[[], object]) -> None:
        """Call `hook` on paho's thread after every (re)connect, once availability says online."""
        self._connect_hooks.append(hook)

    # --- lifecycle ------------------------------------------------------------------------------
    def start(self) -> None:
        if self.outbox is not None and self._drain_thread is None:
            self._drain_thread = threading.Thread(target=self._drain_loop, name="sitmon-outbox", daemon=True)
            self._drain_thread.start()
        self._client.connect_async(self.settings.host, self.settings.port, keepalive=self.settings.keepalive)
        self._client.loop_start()

    def wait_connected(self, timeout: float) -> bool:
        return self._connected.wait(timeout)

    def publish(self, message: Message, properties: Properties | None = None) -> None:
        """Publish directly, not through the outbox: for retained state, discovery and replies."""
        info = self._client.publish(message.topic, message.payload, qos=message.qos, retain=message.retain,
                                    properties=properties)
        if info.rc not in (mqtt.MQTT_ERR_SUCCESS, mqtt.MQTT_ERR_NO_CONN):
            log.warning("publish to %s failed: %s", message.topic, mqtt.error_string(info.rc))

    def outbox_writer(self, events: Sequence[Event], tz: tzinfo | None) -> Callable[[Connection], None] | None:
        """What `Store.record(..., also=...)` needs to queue `events` with them; None when there is nothing to queue."""
        if self.outbox is None or not events:
            return None
        return self.outbox.writer(outgoing_events(self.topics, events, tz))

    def kick(self) -> None:
        """New rows are in the outbox: wake the drain."""
        self._wake.set()

    def flush(self, timeout: float) -> bool:
        """Wait until the broker has acknowledged every queued row (True) or `timeout` seconds passed (False)."""
        if self.outbox is None:
            return True
        self.kick()
        with self._idle:
            return self._idle.wait_for(self._drained, timeout)

    def stop(self, flush_timeout: float = 5.0) -> None:
        if self.connected:
            self.flush(flush_timeout)
        self._stopping = True
        self._wake.set()
        if self.connected:
            offline = availability_message(self.topics, online=False)
            info = self._client.publish(offline.topic, offline.payload, qos=1, retain=True)
            try:
                info.wait_for_publish(timeout=2)
            except (RuntimeError, ValueError) as exc:
                # The connection died after the check above; the broker publishes the last will
                # ("offline") for a connection that drops, so nothing is lost.
                log.info("could not say offline on the way out (%s); the last will says it", exc)
        self._client.disconnect()
        self._client.loop_stop()
        if self._drain_thread is not None:
            self._drain_thread.join(timeout=10)
        # Break the client <-> callback cycle so paho's finaliser closes its sockets when the
        # publisher goes, rather than the garbage collector meeting them open.
        self._client.on_connect = self._client.on_disconnect = None
        self._client.on_publish = self._client.on_message = None

    # --- the drain ------------------------------------------------------------------------------
    def _drained(self) -> bool:
        with self._lock:
            return not self._inflight and not self._acked and self._acks.empty() and self._pending_after() == 0

    def _pending_after(self) -> int:
        assert self.outbox is not None
        return len(self.outbox.pending(self._cursor, limit=1))

    def _drain_loop(self) -> None:
        while not self._stopping:
            # The timeout is a safety net only: every new row, PUBACK and connect sets _wake.
            self._wake.wait(timeout=5.0)
            self._wake.clear()
            try:
                more = self._drain_once()
            except Exception:
                log.exception("the MQTT outbox drain failed; retrying")
                more = False
            if more:
                self._wake.set()
            with self._idle:
                self._idle.notify_all()

    def _collect_acks(self) -> None:
        """Move the PUBACKs paho reported (by message id) onto the rows they confirm; under _lock."""
        while True:
            try:
                mid = self._acks.get_nowait()
            except queue.Empty:
                return
            seq = self._inflight.pop(mid, None)
            if seq is not None:
                self._acked.append(seq)

    def _drain_once(self) -> bool:
        assert self.outbox is not None
        with self._lock:
            self._collect_acks()
            if self._acked:
                self.outbox.mark_delivered(self._acked)
                self._acked = []
            if not self.connected or self._stopping:
                return False
            room = WINDOW - len(self._inflight)
            if room <= 0:
                return False
            rows = self.outbox.pending(self._cursor, limit=room)
            for row in rows:
                info = self._client.publish(row.topic, row.payload, qos=row.qos)
                if info.rc == mqtt.MQTT_ERR_NO_CONN:
                    # paho keeps it queued, but _on_connect drops that copy and rewinds to this row.
                    return False
                self._inflight[info.mid] = row.seq
                self._cursor = row.seq
                self.sent += 1
            return len(rows) == room

    # --- paho callbacks (paho's thread) -----------------------------------------------------------
    def _on_connect(self, client: mqtt.Client, _userdata: object, _flags: object,
                    reason: ReasonCode, _props: object) -> None:
        if reason.is_failure:
            log.error("MQTT broker %s:%d refused the connection: %s",
                      self.settings.host, self.settings.port, reason)
            return
        with self._lock:
            client.drop_out_messages()
            self._collect_acks()
            self._inflight.clear()
            self._cursor = 0
        log.info("connected to MQTT broker %s:%d", self.settings.host, self.settings.port)
        online = availability_message(self.topics, online=True)
        client.publish(online.topic, online.payload, qos=online.qos, retain=online.retain)
        for topic_filter, _handler in self._routes:
            client.subscribe(topic_filter, qos=1)
        self._connected.set()
        self._wake.set()
        for hook in self._connect_hooks:
            try:
                hook()
            except Exception:
                log.exception("an MQTT connect hook failed")

    def _on_disconnect(self, _client: mqtt.Client, _userdata: object, _flags: object,
                       reason: ReasonCode, _props: object) -> None:
        if self._connected.is_set() and not self._stopping:
            log.warning("lost the MQTT broker (%s); reconnecting", reason)
        self._connected.clear()
        with self._idle:
            self._idle.notify_all()

    def _on_publish(self, _client: mqtt.Client, _userdata: object, mid: int, _reason: ReasonCode,
                    _props: object) -> None:
        self._acks.put(mid)
        self._wake.set()

    def _on_message(self, _client: mqtt.Client, _userdata: object, message: mqtt.MQTTMessage) -> None:
        properties = message.properties if self._v5 else None
        for topic_filter, handler in self._routes:
            if mqtt.topic_matches_sub(topic_filter, message.topic):
                try:
                    handler(message.topic, bytes(message.payload), properties)
                except Exception:
                    log.exception("handling the MQTT message on %s failed", message.topic)
