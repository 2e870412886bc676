"""What a running daemon does for its operator: tells systemd it is ready and alive, keeps the status
file and the metrics file current, and says STOPPING on the way out."""

from __future__ import annotations

import asyncio
import logging
import os
import time
from collections.abc import Callable, Coroutine
from typing import Any

from sqlalchemy.exc import SQLAlchemyError

from monitor import __version__
from monitor.adapters.retention import prune
from monitor.config import Settings
from monitor.daemon import Daemon
from monitor.logging_setup import register_secret
from monitor.metrics import (
    DAEMON_RUNNING,
    MQTT_CONNECTED,
    MQTT_RECONNECTS,
    OUTBOX_DEPTH,
    OUTBOX_DROPS,
    REGISTRY,
    SAMPLES,
    SENSOR_CONNECTED,
    STORE_PENDING,
)
from monitor.secrets import secret_values
from monitor.status_file import WRITE_EVERY_SECONDS, state_dir, write_status
from monitor.systemd_notify import SystemdNotifier, ping_watchdog, watchdog_interval

log = logging.getLogger(__name__)
READY_POLL_SECONDS = 0.05
RETENTION_EVERY_SECONDS = 86_400.0


def _iso_or_none(t: float | None) -> float | None:
    return round(t, 3) if t is not None else None


def daemon_status(daemon: Daemon, running: bool, started_at: float) -> dict[str, Any]:
    """The status `sitmon status` shows; times are epoch seconds on the daemon's clock."""
    now = daemon.clock.now()
    tracker = daemon.pipeline.tracker
    prompter: Any = getattr(daemon.pipeline, "prompter", None)
    snap = tracker.snapshot
    settings = daemon.settings
    publisher = daemon.publisher
    sensors = []
    for wearable in settings.wearables:
        connected = dict(SENSOR_CONNECTED.items()).get((wearable.name,))
        sensors.append({"name": wearable.name, "kind": wearable.kind, "placement": wearable.placement.value,
                        "samples": int(SAMPLES.value(sensor=wearable.name)),
                        "connected": None if connected is None else bool(connected)})
    writer = getattr(daemon, "writer", None)
    return {
        "running": running, "pid": os.getpid(), "version": __version__,
        "written_at": time.time(), "started_at": started_at, "interval": WRITE_EVERY_SECONDS,
        "wearer": daemon.wearer, "now": now,
        "activity": snap.activity.value, "posture": snap.posture.value,
        "last_data_at": _iso_or_none(snap.last_t),
        "sitting_since": _iso_or_none(snap.streak_start),
        "streak_seconds": round(tracker.streak_seconds(now)),
        "next_prompt_at": _iso_or_none(prompter.next_prompt_at() if prompter is not None else None),
        "sensors": sensors,
        "broker": {"enabled": settings.mqtt.enabled, "host": settings.mqtt.host, "port": settings.mqtt.port,
                   "connected": publisher.connected if publisher is not None else None},
        "outbox": {"depth": int(OUTBOX_DEPTH.value()), "dropped": int(OUTBOX_DROPS.value())},
        "store": {"pending_steps": int(STORE_PENDING.value()),
                  "last_error": getattr(writer, "last_error", None)},
    }


class ServiceOps:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        for secret in secret_values(settings):
            register_secret(secret)
        self.notifier = SystemdNotifier()
        self.directory = state_dir(settings)
        self.started_at = time.time()
        self._was_connected = False
        self._ever_connected = False
        self._status_failed = False
        self._outbox_dropped = 0

    def tasks(self, daemon: Daemon, dashboard_started: Callable[[], bool] | None
              ) -> list[Callable[[], Coroutine[Any, Any, Any]]]:
        """Coroutine factories for Daemon.run(extra=...): readiness, watchdog, status file."""
        DAEMON_RUNNING.set(1)
        factories: list[Callable[[], Coroutine[Any, Any, Any]]] = [
            lambda: self._announce_ready(dashboard_started), lambda: self._keep_status(daemon),
            lambda: self._keep_retention(daemon)]
        interval = watchdog_interval()
        if interval is not None and self.notifier.enabled:
            factories.append(lambda: ping_watchdog(self.notifier, interval))
        return factories

    async def _announce_ready(self, dashboard_started: Callable[[], bool] | None) -> None:
        # Ready means serving: sources run and the dashboard (if any) accepts connections.
        while dashboard_started is not None and not dashboard_started():
            await asyncio.sleep(READY_POLL_SECONDS)
        self.notifier.ready(f"monitoring {self.settings.wearer.id}")
        log.info("sitmon %s ready", __version__)
        await asyncio.Event().wait()

    async def _keep_status(self, daemon: Daemon) -> None:
        while True:
            self.write(daemon, running=True)
            await asyncio.sleep(WRITE_EVERY_SECONDS)

    async def _keep_retention(self, daemon: Daemon) -> None:
        store = self.settings.store
        while True:
            try:
                prune(daemon.store, self.directory / "recordings", daemon.clock.now(), store.keep_days,
                      store.raw_keep_days, files_now=time.time())
            except (SQLAlchemyError, OSError) as exc:
                log.warning("retention could not run (%s); trying again in a day", exc)
            await asyncio.sleep(RETENTION_EVERY_SECONDS)

    def write(self, daemon: Daemon, running: bool) -> None:
        connected = daemon.publisher is not None and daemon.publisher.connected
        MQTT_CONNECTED.set(1 if connected else 0)
        if connected and not self._was_connected and self._ever_connected:
            MQTT_RECONNECTS.inc()
        self._ever_connected = self._ever_connected or connected
        self._was_connected = connected
        self._sample_outbox(daemon)
        try:
            write_status(self.directory, daemon_status(daemon, running, self.started_at), REGISTRY.render())
        except OSError as exc:
            if not self._status_failed:  # a full disk would otherwise log this every few seconds
                log.warning("cannot write the status file in %s: %s", self.directory, exc)
            self._status_failed = True
        else:
            self._status_failed = False

    def _sample_outbox(self, daemon: Daemon) -> None:
        # The outbox counts for itself; mirror its numbers into the registry at each status write.
        outbox: Any = getattr(daemon.publisher, "outbox", None)
        if outbox is None or not hasattr(outbox, "metrics"):
            return
        try:
            numbers = outbox.metrics()
        except (SQLAlchemyError, OSError):
            return
        OUTBOX_DEPTH.set(numbers.get("pending", 0))
        dropped = int(numbers.get("dropped_total", 0))
        if dropped > self._outbox_dropped:
            OUTBOX_DROPS.inc(dropped - self._outbox_dropped)
        self._outbox_dropped = dropped

    def stopping(self, daemon: Daemon) -> None:
        self.notifier.stopping()
        DAEMON_RUNNING.set(0)

    def stopped(self, daemon: Daemon) -> None:
        self.write(daemon, running=False)
