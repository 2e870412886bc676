"""An embedded MQTT broker for the demo, used only when no broker answers."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
from typing import Any

from monitor.errors import BrokerError

log = logging.getLogger(__name__)


def broker_reachable(host: str, port: int, timeout: float = 1.0) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


class EmbeddedBroker:
    """amqtt in the daemon's own event loop: anonymous, loopback only, nothing kept on disk."""

    def __init__(self, host: str, port: int) -> None:
        self.host = host
        self.port = port
        self._broker: Any = None

    async def start(self) -> None:
        try:
            from amqtt.broker import Broker
        except ImportError as exc:
            raise BrokerError(
                f"no MQTT broker answers on {self.host}:{self.port} and the embedded broker is not installed; "
                "install it with `pip install 'sitmon[demo]'` or start Mosquitto") from exc
        config = {
            "listeners": {"default": {"type": "tcp", "bind": f"{self.host}:{self.port}"}},
            "plugins": {"amqtt.plugins.authentication.AnonymousAuthPlugin": {"allow_anonymous": True}},
        }
        self._broker = Broker(config)
        try:
            await self._broker.start()
        except Exception as exc:
            raise BrokerError(f"the embedded MQTT broker could not listen on {self.host}:{self.port}: {exc}") from exc
        log.info("embedded MQTT broker listening on %s:%d", self.host, self.port)

    async def stop(self) -> None:
        if self._broker is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._broker.shutdown(), timeout=5)
            self._broker = None
