"""Helpers for tests that talk to real peers."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import threading
import uuid
from pathlib import Path

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion


def shared_data() -> Path:
    """The shared labelled recordings (`shared/data` beside the checkout, as on CI).

    `SITMON_SHARED_DATA` names another place. A clone made from a local checkout (`git clone . /tmp/x`)
    finds them beside the checkout it was cloned from.
    """
    if named := os.environ.get("SITMON_SHARED_DATA"):
        return Path(named)
    repo = Path(__file__).resolve().parent.parent
    beside = repo.parent / "shared" / "data"
    if beside.is_dir():
        return beside
    origin = subprocess.run(["git", "-C", str(repo), "config", "--get", "remote.origin.url"],
                            capture_output=True, text=True, check=False).stdout.strip()
    if origin and "://" not in origin and Path(origin).is_dir():
        return Path(origin).resolve().parent / "shared" / "data"
    return beside


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Subscriber:
    """Collects every message under a topic filter from the real broker."""

    def __init__(self, host: str, port: int, topic: str) -> None:
        self.messages: list[tuple[str, bytes, bool]] = []
        self._cond = threading.Condition()
        self._ready = threading.Event()
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"test-{uuid.uuid4().hex[:8]}")
        self.client.on_connect = lambda c, *_: c.subscribe(topic, qos=1)
        self.client.on_subscribe = lambda *_: self._ready.set()
        self.client.on_message = self._on_message
        self.client.connect(host, port)
        self.client.loop_start()
        assert self._ready.wait(10), "could not subscribe"

    def _on_message(self, _c: object, _u: object, msg: mqtt.MQTTMessage) -> None:
        with self._cond:
            self.messages.append((msg.topic, msg.payload, bool(msg.retain)))
            self._cond.notify_all()

    def wait_for(self, predicate: object, count: int = 1, timeout: float = 20.0) -> list[tuple[str, bytes, bool]]:
        """Every message so far that matches, once at least `count` have arrived (or the timeout passed)."""
        def matches() -> list[tuple[str, bytes, bool]]:
            return [m for m in self.messages if predicate(m)]  # type: ignore[operator]
        with self._cond:
            self._cond.wait_for(lambda: len(matches()) >= count, timeout)
            return matches()

    def close(self) -> None:
        self.client.loop_stop()
        self.client.disconnect()
        # Break the client <-> callback cycle so paho's own finaliser closes its wake-up socket pair
        # now, instead of the garbage collector finding the sockets first (a ResourceWarning).
        self.client.on_connect = self.client.on_subscribe = self.client.on_message = None


def clear_retained(host: str, port: int, topics: list[str]) -> None:
    client = mqtt.Client(CallbackAPIVersion.VERSION2)
    client.connect(host, port)
    client.loop_start()
    for topic in topics:
        client.publish(topic, b"", qos=1, retain=True).wait_for_publish(5)
    client.loop_stop()
    client.disconnect()


class MosquittoProcess:
    """A mosquitto of the test's own, run from `self.conf`; `start` returns once it says it is running."""

    conf: Path

    def __init__(self) -> None:
        self.proc: subprocess.Popen[str] | None = None
        self.log: list[str] = []

    def start(self) -> None:
        self.proc = subprocess.Popen(["mosquitto", "-c", str(self.conf)], stderr=subprocess.PIPE, text=True)
        ready = threading.Event()
        stderr = self.proc.stderr
        assert stderr is not None

        def read() -> None:
            for line in stderr:
                self.log.append(line)
                if " running" in line:
                    ready.set()
            ready.set()

        self._reader = threading.Thread(target=read, daemon=True)
        self._reader.start()
        assert ready.wait(20), "mosquitto did not start"
        assert self.proc.poll() is None, "".join(self.log)

    def stop(self) -> None:
        """A clean stop (SIGTERM): a persistent mosquitto saves its sessions and queued messages to disk."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            self.proc.wait(20)
        if self.proc is not None and self.proc.stderr is not None:
            self._reader.join(20)
            self.proc.stderr.close()
        self.proc = None
