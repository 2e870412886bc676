"""The configured Bluetooth wearables as one source for the daemon (and its buzzer for prompts)."""

from __future__ import annotations

from typing import Any

from bleak.backends.client import BaseBleakClient
from bleak.backends.scanner import BaseBleakScanner

from monitor.adapters.ble import WearableManager
from monitor.clock import Clock
from monitor.config import WearableSettings


class BluetoothWearables:
    """Runs a WearableManager into the daemon; the backends are bleak's own unless injected."""

    name = "bluetooth"

    def __init__(self, wearables: list[WearableSettings], clock: Clock,
                 backend_scanner: type[BaseBleakScanner] | None = None,
                 backend_client: type[BaseBleakClient] | None = None) -> None:
        self.wearables = wearables
        self.clock = clock
        self.backend_scanner = backend_scanner
        self.backend_client = backend_client
        self.manager: WearableManager | None = None

    async def run(self, sink: Any) -> None:
        self.manager = WearableManager(self.wearables, sink, self.clock, self.backend_scanner, self.backend_client)
        await self.manager.run()

    async def buzz(self, wearable: str) -> bool:
        return await self.manager.buzz(wearable) if self.manager is not None else False
