"""The gateway's way to the broker: batches wait in a SQLite file until the broker has acknowledged them.

A gateway must not lose a wearer's samples while the broker is away (a network outage, a broker
restart) or while the gateway itself restarts. `DiskBuffer` keeps every batch in a small SQLite queue;
`BufferedSender` publishes them oldest first at QoS 1 and deletes each row when its PUBACK arrives.
Delivery is at-least-once: after a reconnect everything unacknowledged goes out again, and a batch may
reach the broker twice. That is harmless by design: the central service keys batches by the wearer's
sample numbers and keeps each once.
"""

from __future__ import annotations

import logging
import queue
import sqlite3
import threading
from collections.abc import Sequence
from pathlib import Path

import paho.mqtt.client as mqtt
from paho.mqtt.reasoncodes import ReasonCode

from monitor.config import MqttSettings

from .mqtt import make_client

log = logging.getLogger(__name__)

WINDOW = 200  # rows handed to paho and not yet acknowledged


class DiskBuffer:
    """A FIFO of (topic, payload) rows in SQLite (WAL, synchronous=NORMAL: a power cut may lose the last
    second of batches, a crash of the process none), safe to use from several threads."""

    def __init__(self, path: Path) -> None:
        path = path.expanduser()
        path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute("CREATE TABLE IF NOT EXISTS pending (seq INTEGER PRIMARY KEY AUTOINCREMENT, "
                         "topic TEXT NOT NULL, payload BLOB NOT NULL)")

    def put(self, items: Sequence[tuple[str, bytes]]) -> None:
        if not items:
            return
        with self._lock:
            self._db.execute("BEGIN")
            self._db.executemany("INSERT INTO pending (topic, payload) VALUES (?, ?)", items)
            self._db.execute("COMMIT")

    def pending(self, after: int, limit: int) -> list[tuple[int, str, bytes]]:
        with self._lock:
            rows = self._db.execute("SELECT seq, topic, payload FROM pending WHERE seq > ? ORDER BY seq LIMIT ?",
                                    (after, limit)).fetchall()
        return [(int(seq), str(topic), bytes(payload)) for seq, topic, payload in rows]

    def delete(self, seqs: Sequence[int]) -> None:
        if not seqs:
            return
        with self._lock:
            self._db.execute("BEGIN")
            self._db.executemany("DELETE FROM pending WHERE seq = ?", [(s,) for s in seqs])
            self._db.execute("COMMIT")

    def size(self) -> int:
        with self._lock:
            return int(self._db.execute("SELECT count(*) FROM pending").fetchone()[0])

    def close(self) -> None:
        with self._lock:
            self._db.close()


class BufferedSender:
    """Moves rows from a `DiskBuffer` to the broker. Threads: paho's loop (callbacks) and one drain."""

    def __init__(self, buffer: DiskBuffer, settings: MqttSettings, client_id: str,
                 will: tuple[str, bytes] | None = None, hello: tuple[str, bytes] | None = None) -> None:
        self.buffer = buffer
        self.settings = settings
        self._client = make_client(settings, client_id)
        self._client.max_inflight_messages_set(WINDOW)
        if will is not None:
            self._client.will_set(will[0], will[1], qos=1, retain=True)
        self._hello = hello
        self._client.on_connect = self._on_connect
        self._client.on_disconnect = self._on_disconnect
        self._client.on_publish = self._on_publish
        self._connected = threading.Event()
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._acks: queue.SimpleQueue[int] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._inflight: dict[int, int] = {}  # paho mid -> buffer seq
        self._cursor = 0
        self._generation = 0  # bumped on every (re)connect; stale acks are ignored
        self._empty = threading.Condition()
        self._thread: threading.Thread | None = None
        self.sent = 0

    @property
    def connected(self) -> bool:
        return self._connected.is_set()

    def start(self) -> None:
        self._client.connect_async(self.settings.host, self.settings.port, keepalive=self.settings.keepalive)
        self._client.loop_start()
        self._thread = threading.Thread(target=self._drain_loop, name="gateway-drain", daemon=True)
        self._thread.start()

    def kick(self) -> None:
        self._wake.set()

    def wait_empty(self, timeout: float) -> bool:
        """Until every buffered batch has been acknowledged by the broker (or the timeout)."""
        with self._empty:
            return self._empty.wait_for(lambda: self.buffer.size() == 0, timeout)

    def stop(self, publish: tuple[str, bytes] | None = None) -> None:
        self._stopping.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(10)
        if publish is not None and self.connected:
            self._client.publish(publish[0], publish[1], qos=1, retain=True).wait_for_publish(5)
        self._client.disconnect()
        self._client.loop_stop()

    # --- paho callbacks (paho's thread) ---------------------------------------------------------
    def _on_connect(self, client: mqtt.Client, _u: object, _f: object, reason: ReasonCode, _p: object) -> None:
        if reason.is_failure:
            log.warning("broker refused the gateway: %s", reason)
            return
        with self._lock:
            # Start over from the oldest unacknowledged row; a re-sent duplicate is dropped centrally.
            # paho would also re-send its own copies of those rows: drop them, the drain sends each once.
            client.drop_out_messages()
            self._generation += 1
            self._inflight.clear()
            self._cursor = 0
        if self._hello is not None:
            client.publish(self._hello[0], self._hello[1], qos=1, retain=True)
        self._connected.set()
        self._wake.set()

    def _on_disconnect(self, _c: mqtt.Client, _u: object, _f: object, reason: ReasonCode, _p: object) -> None:
        self._connected.clear()
        log.info("gateway lost the broker (%s); batches wait on disk", reason)

    def _on_publish(self, _c: mqtt.Client, _u: object, mid: int, _r: ReasonCode, _p: object) -> None:
        # paho holds its own lock here: queue the id only, the drain resolves it.
        self._acks.put(mid)
        self._wake.set()

    # --- the drain ----------------------------------------------------------------------------
    def _drain_loop(self) -> None:
        while not self._stopping.is_set():
            self._wake.wait(0.5)
            self._wake.clear()
            self._settle_acks()
            while self.connected and not self._stopping.is_set() and self._send_more():
                self._settle_acks()

    def _settle_acks(self) -> None:
        done: list[int] = []
        with self._lock:
            while True:
                try:
                    mid = self._acks.get_nowait()
                except queue.Empty:
                    break
                seq = self._inflight.pop(mid, None)
                if seq is not None:
                    done.append(seq)
        self.buffer.delete(done)
        if done:
            with self._empty:
                self._empty.notify_all()

    def _send_more(self) -> bool:
        with self._lock:
            room = WINDOW - len(self._inflight)
            cursor, generation = self._cursor, self._generation
        if room <= 0:
            return False
        rows = self.buffer.pending(cursor, room)
        if not rows:
            return False
        for seq, topic, payload in rows:
            with self._lock:
                if generation != self._generation:
                    return True  # reconnected meanwhile: start again from the oldest row
                info = self._client.publish(topic, payload, qos=1)
                if info.rc != mqtt.MQTT_ERR_SUCCESS:
                    return False
                self._inflight[info.mid] = seq
                self._cursor = seq
                self.sent += 1
        return True
