"""Start the process `[role] kind` asks for: a gateway or a central worker (docs/fleet.md).

Both run until SIGTERM or SIGINT and then leave cleanly: a gateway marks itself offline and keeps
unsent batches on disk for its next start; a central worker stores and acknowledges what it received,
finishes its wearers and hands its partitions to the other workers.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import socket
import threading
import zlib

from monitor.adapters.store import Store
from monitor.clock import SystemClock
from monitor.config import Settings
from monitor.errors import ConfigError
from monitor.scripted_day import DEMO_DAY, ThighMotion

from .buffer import BufferedSender, DiskBuffer
from .central import CentralWorker
from .gateway import Gateway, WearerStream

log = logging.getLogger(__name__)


def _name(configured: str, suffix: str = "") -> str:
    if configured:
        return configured
    host = "".join(c if c.isalnum() or c in "-_" else "-" for c in socket.gethostname())[:48]
    return f"{host}{suffix}"


def run_role(settings: Settings) -> None:
    if settings.role.kind == "gateway":
        asyncio.run(run_gateway(settings))
    elif settings.role.kind == "central":
        run_central(settings)
    else:
        raise ConfigError([f"role.kind: {settings.role.kind!r} is not a fleet role"])


async def run_gateway(settings: Settings, stop: asyncio.Event | None = None) -> None:
    fleet = settings.fleet
    if not fleet.emulated_wearers:
        raise ConfigError(["fleet.emulated_wearers: a gateway needs wearers (Bluetooth wearables for the "
                           "fleet are not supported by this build yet)"])
    gateway_id = _name(fleet.gateway_id)
    clock = SystemClock()
    buffer = DiskBuffer(fleet.buffer_path)
    gateway = Gateway(gateway_id, settings.mqtt.base_topic, buffer)
    online = (gateway.status_topic(), gateway.status_payload(True, fleet.emulated_wearers))
    offline = (gateway.status_topic(), gateway.status_payload(False, fleet.emulated_wearers))
    sender = BufferedSender(buffer, settings.mqtt, f"sitmon-gateway-{gateway_id}", will=offline, hello=online)
    gateway.sender = sender
    gateway.wall = clock.now
    start = clock.now()
    streams = [WearerStream(w, ThighMotion(DEMO_DAY, start, seed=zlib.crc32(w.encode())))
               for w in fleet.emulated_wearers]
    if stop is None:  # the process's own run: signals end it
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
    sender.start()
    log.info("gateway %s: %d wearers, batches every %g s", gateway_id, len(streams), fleet.batch_seconds)
    try:
        await gateway.run(streams, clock, fleet.batch_seconds, stop, start=start)
    finally:
        sender.stop(publish=offline)
        buffer.close()


def run_central(settings: Settings, stop: threading.Event | None = None) -> None:
    if not settings.store.url.startswith("postgresql"):
        log.warning("a central worker on SQLite works alone; use PostgreSQL (store.url) for several")
    store = Store.open(settings.store.sqlalchemy_url())
    worker = CentralWorker(settings, settings.fleet, store, _name(settings.fleet.worker_id, f"-{os.getpid()}"))
    if stop is None:  # the process's own run: signals end it
        stop = threading.Event()
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: stop.set())
    worker.start()
    log.info("central worker %s in group %s", worker.worker_id, settings.fleet.group)
    try:
        stop.wait()
    finally:
        worker.stop()
        store.close()
