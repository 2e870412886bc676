"""Start-up and shut-down of a running sitmon: store, broker, publisher, notifiers, dashboard, sources."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import socket
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, cast

import uvicorn

from monitor.adapters.broker import EmbeddedBroker, broker_reachable
from monitor.adapters.dnd import DndListener
from monitor.adapters.mqtt_interface import MqttInterface
from monitor.adapters.notifiers import DesktopNotifier, LogNotifier, Notifier, PushNotifier
from monitor.adapters.outbox import Outbox
from monitor.adapters.publisher import Publisher
from monitor.adapters.store import Store
from monitor.clock import Clock
from monitor.config import Settings
from monitor.daemon import Buzzer, Daemon, Source
from monitor.errors import ConfigError
from monitor.messages import Topics

log = logging.getLogger(__name__)
LOOPBACK = {"127.0.0.1", "localhost", "::1"}


class _QuietServer(uvicorn.Server):
    """uvicorn inside the daemon's loop: the daemon owns the signal handlers."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


def setup_logging(level: str) -> None:
    from monitor.logging_setup import configure

    configure(level)


@dataclass
class RunOptions:
    duration: float | None = None
    embedded_broker: bool = False
    banner: bool = False
    stop: asyncio.Event | None = None  # set by an embedding program (or a test) to stop the run


def port_free(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as sock:
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


async def serve(settings: Settings, clock: Clock, sources: Sequence[Source], options: RunOptions) -> Daemon:
    from monitor.service_ops import ServiceOps

    ops = ServiceOps(settings)  # first: it tells the log which secrets to hide
    store = Store.open(settings.store.sqlalchemy_url())
    broker: EmbeddedBroker | None = None
    publisher: Publisher | None = None
    mqtt = settings.mqtt
    client_id = mqtt.client_id or f"sitmon-{settings.wearer.id}"
    if mqtt.enabled:
        if not broker_reachable(mqtt.host, mqtt.port):
            if options.embedded_broker and mqtt.host in LOOPBACK:
                broker = EmbeddedBroker(mqtt.host, mqtt.port)
                await broker.start()
            else:
                log.warning("no MQTT broker answers on %s:%d yet; will keep trying", mqtt.host, mqtt.port)
        publisher = Publisher(mqtt, Topics(mqtt.base_topic, settings.wearer.id), client_id,
                              Outbox(store.engine, settings.wearer.id, mqtt.outbox_limit))
    notifiers: list[Notifier] = [LogNotifier()]
    if settings.notify.desktop:
        notifiers.append(DesktopNotifier())
    push_url = settings.notify.push_url
    if settings.notify.push_url_file is not None:
        try:
            push_url = settings.notify.push_url_file.expanduser().read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise ConfigError([f"notify.push_url_file: cannot be read ({exc.strerror})"]) from None
    if push_url:
        notifiers.append(PushNotifier(push_url, settings.notify.push_format))
    # A source that can buzz its wearable (the Bluetooth one) carries the prompts' buzz channel.
    buzzer = next((cast(Buzzer, s) for s in sources if callable(getattr(s, "buzz", None))), None)
    daemon = Daemon(settings, clock, store, publisher, notifiers, buzzer=buzzer)
    if publisher is not None:
        # Discovery, commands and samples over MQTT; the publisher calls it from its own thread.
        MqttInterface(settings, publisher, store, clock, daemon, asyncio.get_running_loop()).attach()

    server: _QuietServer | None = None
    if settings.dashboard.enabled:
        from dashboard.app import create_app
        from monitor.metrics_route import metrics_router

        app = create_app(store, settings, clock, extra_routers=[metrics_router(settings)])
        server = _QuietServer(uvicorn.Config(app, host=settings.dashboard.host, port=settings.dashboard.port,
                                             log_level="warning", access_log=False, lifespan="off"))

    stop = options.stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    if options.duration is not None:
        loop.call_later(options.duration, stop.set)
    if options.banner:
        _banner(settings, broker is not None)
    dnd: DndListener | None = None
    if mqtt.enabled and settings.schedule.dnd_topic:
        dnd = DndListener(mqtt, settings.schedule.dnd_topic, daemon.set_busy, loop,
                          f"{client_id}-dnd")
        dnd.start()
    server_task = asyncio.create_task(_serve_dashboard(server, stop)) if server is not None else None
    try:
        await daemon.run(sources, stop, extra=ops.tasks(daemon, None if server is None else lambda: server.started))
    finally:
        ops.stopping(daemon)
        if server is not None and server_task is not None:
            server.should_exit = True
            await asyncio.wait_for(server_task, 10)
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)
        if dnd is not None:
            dnd.stop()
        if broker is not None:
            await broker.stop()
        ops.stopped(daemon)
        store.close()
    return daemon


async def _serve_dashboard(server: _QuietServer, stop: asyncio.Event) -> None:
    """Serve until asked to exit; a dashboard that cannot start stops the whole run, loudly."""
    try:
        await server.serve()
    except (SystemExit, OSError) as exc:
        log.error("the dashboard could not start on %s:%d (%s)", server.config.host, server.config.port, exc)
        stop.set()
        return
    if not server.should_exit:
        log.error("the dashboard stopped unexpectedly")
        stop.set()


def _banner(settings: Settings, embedded: bool) -> None:
    d, m = settings.dashboard, settings.mqtt
    lines = ["", "sitmon demo is running."]
    if d.enabled:
        lines.append(f"  Dashboard:  http://{d.host}:{d.port}/   (API: http://{d.host}:{d.port}/api/v1/today)")
    if m.enabled:
        where = "embedded broker" if embedded else "broker"
        lines.append(f"  MQTT ({where} on {m.host}:{m.port}): watch with")
        lines.append(f"      mosquitto_sub -h {m.host} -p {m.port} -t '{m.base_topic}/#' -v")
    lines += ["  Stop with Ctrl-C.", ""]
    print("\n".join(lines), flush=True)


def summary_line(daemon: Daemon) -> dict[str, Any]:
    totals = daemon.today()
    return {"sitting_minutes": round(totals.sitting_seconds / 60, 1), "breaks": totals.breaks,
            "prompts": totals.prompts, "longest_streak_minutes": round(totals.longest_streak_seconds / 60, 1)}
