"""Prompt delivery to the wearer: the log always, a desktop notification where a session bus has one."""

from __future__ import annotations

import logging
import os
from typing import Protocol

from dbus_fast import BusType, Message, MessageType, Variant
from dbus_fast.aio import MessageBus

log = logging.getLogger(__name__)

APP_NAME = "sitmon"


class Notifier(Protocol):
    name: str

    async def notify(self, title: str, body: str) -> bool:
        """Deliver; True when it reached its peer. Never raises."""


class LogNotifier:
    name = "log"

    async def notify(self, title: str, body: str) -> bool:
        log.warning("%s: %s", title, body)
        return True


class DesktopNotifier:
    """org.freedesktop.Notifications on the session bus (every Linux desktop has a server)."""

    name = "desktop"

    def __init__(self, bus_address: str | None = None) -> None:
        self.bus_address = bus_address
        self._warned = False

    def available(self) -> bool:
        return bool(self.bus_address or os.environ.get("DBUS_SESSION_BUS_ADDRESS"))

    async def notify(self, title: str, body: str) -> bool:
        if not self.available():
            return False
        try:
            bus = await MessageBus(bus_address=self.bus_address, bus_type=BusType.SESSION).connect()
        except (OSError, ValueError, EOFError) as exc:
            self._warn(f"session bus unreachable ({exc})")
            return False
        try:
            reply = await bus.call(Message(
                destination="org.freedesktop.Notifications", path="/org/freedesktop/Notifications",
                interface="org.freedesktop.Notifications", member="Notify", signature="susssasa{sv}i",
                body=[APP_NAME, 0, "", title, body, [], {"urgency": Variant("y", 1)}, 15000],
            ))
        finally:
            bus.disconnect()
        if reply is None or reply.message_type is MessageType.ERROR:
            self._warn(f"notification server refused: {reply.error_name if reply else 'no reply'}")
            return False
        return True

    def _warn(self, problem: str) -> None:
        if not self._warned:
            log.warning("desktop notifications unavailable: %s", problem)
            self._warned = True
