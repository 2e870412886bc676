"""`sitmon demo --wearable KIND`: the demo's motion played by an emulated peripheral of that family,
read through bleak and the real connection manager, exactly as a real sensor would be."""

from __future__ import annotations

from typing import Any

from monitor.adapters.bluetooth_source import BluetoothWearables
from monitor.clock import Clock
from monitor.config import WearableSettings
from monitor.emulation import EmulatedPeripheral, EmulatedWorld


class EmulatedBluetoothWearables(BluetoothWearables):
    """Starts an in-process Bluetooth world with the given peripherals, then runs as usual."""

    def __init__(self, wearables: list[WearableSettings], clock: Clock,
                 peripherals: list[EmulatedPeripheral]) -> None:
        super().__init__(wearables, clock)
        self.peripherals = peripherals

    async def run(self, sink: Any) -> None:
        async with EmulatedWorld(self.clock, self.peripherals) as world:
            self.backend_scanner, self.backend_client = world.scanner_backend, world.client_backend
            await super().run(sink)
