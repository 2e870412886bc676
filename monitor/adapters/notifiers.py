"""Prompt delivery to the wearer: the log always, the desktop (D-Bus), a phone push (ntfy or a webhook).

A notifier never raises: it reports failure by returning False and logs the first failure of a
kind once, so a missing bus or a dead webhook cannot stop the daemon or flood its log.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import urllib.error
import urllib.request
from typing import Protocol

from dbus_fast import BusType, Message, MessageType, Variant
from dbus_fast.aio import MessageBus

from monitor.messages import event_payload
from monitor.model import Event, EventType

log = logging.getLogger(__name__)

APP_NAME = "sitmon"
PUSH_ATTEMPTS = 3
PUSH_TIMEOUT_SECONDS = 10.0


def prompt_text(event: Event) -> tuple[str, str]:
    """Title and body a person reads for a prompt or a nudge."""
    if event.type is EventType.SLUMP_NUDGE:
        return "Sit tall", str(event.data.get("advice", "Roll onto your sit bones and lengthen your spine."))
    minutes = round(float(event.data.get("streak_seconds", 0)) / 60)
    body = f"You have been sitting for {minutes} minutes. {event.data.get('movement', 'Stand up and move.')}"
    stretch = event.data.get("stretch")
    if isinstance(stretch, dict) and stretch.get("name"):
        body += f" Then: {stretch['name']} ({stretch.get('dose', '')})."
    return "Time to move", body


class Notifier(Protocol):
    name: str

    async def notify(self, title: str, body: str, event: Event | None = None) -> bool:
        """Deliver; True when it reached its peer. Never raises."""


class LogNotifier:
    name = "log"

    async def notify(self, title: str, body: str, event: Event | None = None) -> bool:
        log.warning("%s: %s", title, body)
        return True


class PushNotifier:
    """POST to an ntfy topic (text with headers) or to any webhook (the event's MQTT JSON)."""

    name = "push"

    def __init__(self, url: str, fmt: str = "ntfy", retry_delay: float = 2.0) -> None:
        if not url.startswith(("http://", "https://")):
            raise ValueError("the push URL must start with http:// or https://")
        self.url = url
        self.fmt = fmt
        self.retry_delay = retry_delay

    def _request(self, title: str, body: str, event: Event | None) -> urllib.request.Request:
        if self.fmt == "json" and event is not None:
            data = json.dumps(event_payload(event, None)).encode()
            headers = {"Content-Type": "application/json"}
        else:
            data = body.encode()
            headers = {"Title": title, "Priority": "high", "Tags": "chair,walking",
                       "Content-Type": "text/plain; charset=utf-8"}
        return urllib.request.Request(self.url, data=data, headers=headers, method="POST")  # noqa: S310

    def _post(self, request: urllib.request.Request) -> int:
        with urllib.request.urlopen(request, timeout=PUSH_TIMEOUT_SECONDS) as response:  # noqa: S310
            return int(response.status)

    async def notify(self, title: str, body: str, event: Event | None = None) -> bool:
        request = self._request(title, body, event)
        for attempt in range(1, PUSH_ATTEMPTS + 1):
            try:
                status = await asyncio.to_thread(self._post, request)
                if 200 <= status < 300:
                    return True
                problem = f"HTTP {status}"
            except urllib.error.HTTPError as exc:
                problem = f"HTTP {exc.code}"
                if 400 <= exc.code < 500 and exc.code != 429:
                    break  # the request itself is wrong: retrying will not help
            except (urllib.error.URLError, OSError) as exc:
                problem = str(getattr(exc, "reason", exc))
            if attempt < PUSH_ATTEMPTS:
                await asyncio.sleep(self.retry_delay * attempt)
        # The URL is a secret (anyone holding an ntfy topic can post to it): never log it.
        log.warning("push notification failed after %d attempt(s): %s", attempt, problem)
        return False


class DesktopNotifier:
    """org.freedesktop.Notifications on the session bus (every Linux desktop has a server)."""

    name = "desktop"

    def __init__(self, bus_address: str | None = None) -> None:
        self.bus_address = bus_address
        self._warned = False

    def available(self) -> bool:
        return bool(self.bus_address or os.environ.get("DBUS_SESSION_BUS_ADDRESS"))

    async def notify(self, title: str, body: str, event: Event | None = None) -> bool:
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
