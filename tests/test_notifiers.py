"""Desktop notifications against a real session bus with a notification server of the test's own."""

from __future__ import annotations

import asyncio
import shutil
import subprocess
from collections.abc import AsyncIterator
from typing import Any

import pytest
from dbus_fast.aio import MessageBus
from dbus_fast.service import ServiceInterface, method

from monitor.adapters.notifiers import DesktopNotifier


class NotificationServer(ServiceInterface):
    def __init__(self) -> None:
        super().__init__("org.freedesktop.Notifications")
        self.received: list[tuple[str, str, str]] = []

    @method()
    def Notify(self, app_name: s, replaces_id: u, app_icon: s, summary: s, body: s,  # noqa: F821
               actions: "as", hints: "a{sv}", expire_timeout: i) -> u:  # noqa: F821, F722
        self.received.append((app_name, summary, body))
        return len(self.received)


@pytest.fixture
async def session_bus(tmp_path) -> AsyncIterator[str]:
    if shutil.which("dbus-daemon") is None:
        pytest.fail("dbus-daemon is missing; `make test` installs it")
    address = f"unix:path={tmp_path / 'bus'}"
    proc = subprocess.Popen(["dbus-daemon", "--session", "--nofork", f"--address={address}", "--print-address"],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    assert proc.stdout is not None
    await asyncio.to_thread(proc.stdout.readline)  # printed once it listens
    yield address
    proc.terminate()
    proc.wait(10)
    proc.stdout.close()


async def test_a_prompt_reaches_the_notification_server(session_bus):
    server_bus = await MessageBus(bus_address=session_bus).connect()
    server = NotificationServer()
    server_bus.export("/org/freedesktop/Notifications", server)
    await server_bus.request_name("org.freedesktop.Notifications")

    notifier = DesktopNotifier(bus_address=session_bus)
    assert await notifier.notify("Time to move", "You have been sitting for 30 minutes.")
    assert server.received == [("sitmon", "Time to move", "You have been sitting for 30 minutes.")]
    server_bus.disconnect()


async def test_no_server_on_the_bus_is_reported_not_raised(session_bus, caplog: Any):
    notifier = DesktopNotifier(bus_address=session_bus)
    assert await notifier.notify("Time to move", "body") is False
    assert await notifier.notify("Time to move", "body") is False
    assert sum("desktop notifications unavailable" in r.message for r in caplog.records) == 1


async def test_a_missing_bus_is_reported_not_raised(tmp_path):
    notifier = DesktopNotifier(bus_address=f"unix:path={tmp_path / 'nothing-here'}")
    assert await notifier.notify("Time to move", "body") is False
