"""sd_notify without libsystemd: READY, WATCHDOG, STATUS and STOPPING datagrams to $NOTIFY_SOCKET.

The watchdog ping is an asyncio task on the daemon's own loop, not a thread: if the loop hangs
(a blocking call, a livelock), the pings stop and systemd restarts the service after WatchdogSec.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
from collections.abc import Mapping

log = logging.getLogger(__name__)


class SystemdNotifier:
    """Talks to the service manager when started by one; does nothing (and costs nothing) otherwise."""

    def __init__(self, address: str | None = None, environ: Mapping[str, str] | None = None) -> None:
        env = os.environ if environ is None else environ
        raw = address if address is not None else env.get("NOTIFY_SOCKET", "")
        # "@name" is an abstract socket: a leading NUL byte on the wire.
        self.address = "\0" + raw[1:] if raw.startswith("@") else raw
        self._warned = False

    @property
    def enabled(self) -> bool:
        return bool(self.address)

    def send(self, *assignments: str) -> bool:
        if not self.enabled:
            return False
        payload = "\n".join(assignments).encode()
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC) as sock:
                sock.sendto(payload, self.address)
        except OSError as exc:
            if not self._warned:  # a vanished socket would otherwise log at every ping
                log.warning("cannot notify systemd at %s: %s", self.address.replace("\0", "@"), exc)
                self._warned = True
            return False
        return True

    def ready(self, status: str = "") -> bool:
        return self.send("READY=1", *([f"STATUS={status}"] if status else []))

    def status(self, text: str) -> bool:
        return self.send(f"STATUS={text}")

    def watchdog(self) -> bool:
        return self.send("WATCHDOG=1")

    def stopping(self) -> bool:
        return self.send("STOPPING=1")


def watchdog_interval(environ: Mapping[str, str] | None = None, pid: int | None = None) -> float | None:
    """WatchdogSec in seconds when systemd expects pings from this process, else None."""
    env = os.environ if environ is None else environ
    try:
        usec = int(env.get("WATCHDOG_USEC", ""))
    except ValueError:
        return None
    owner = env.get("WATCHDOG_PID")
    if usec <= 0 or (owner and owner != str(os.getpid() if pid is None else pid)):
        return None
    return usec / 1_000_000


async def ping_watchdog(notifier: SystemdNotifier, interval: float) -> None:
    """Ping at half the watchdog interval, for as long as the event loop keeps turning."""
    while True:
        notifier.watchdog()
        await asyncio.sleep(interval / 2)
