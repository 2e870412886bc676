"""An in-process Bluetooth world: one LocalLink, a central for bleak, and emulated peripherals.

    async with EmulatedWorld(clock, [EmulatedPolarH10(source)]) as world:
        scanner_cls, client_cls = world.scanner_backend, world.client_backend
        ...  # BleakScanner(backend=scanner_cls), BleakClient(device, backend=client_cls)

Each device gets its own bumble controller on the shared link, as two radios in one room would.
Advertising runs every 20 ms (bumble's default second would make every scan wait), and the
peripherals advertise again after each disconnection, as real sensors do.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Sequence
from types import TracebackType

from bumble import hci
from bumble.controller import Controller
from bumble.device import Device
from bumble.host import Host
from bumble.link import LocalLink
from bumble.transport.common import AsyncPipeSink

from monitor.clock import Clock
from monitor.emulation.backend import BumbleClient, BumbleScanner, backend_classes
from monitor.emulation.peripheral import TEARDOWN_S, EmulatedPeripheral

CENTRAL_ADDRESS = "F0:F1:F2:F3:F4:F5"


def _device(name: str, address: str, link: LocalLink) -> Device:
    controller = Controller(name, link=link, public_address=address)
    host = Host(controller, AsyncPipeSink(controller))
    device = Device(name=name, address=hci.Address(address), host=host)
    return device


class EmulatedWorld:
    """Owns the link, the central and the peripherals; hands out bleak backend classes."""

    def __init__(self, clock: Clock, peripherals: Sequence[EmulatedPeripheral]) -> None:
        self.clock = clock
        self.peripherals = list(peripherals)
        self.connect_lock = asyncio.Lock()
        self.scanner_backend: type[BumbleScanner]
        self.client_backend: type[BumbleClient]
        self.scanner_backend, self.client_backend = backend_classes(self)
        self._link: LocalLink | None = None
        self._central: Device | None = None
        self._scanners = 0

    def peripheral(self, name: str) -> EmulatedPeripheral:
        for peripheral in self.peripherals:
            if peripheral.name == name:
                return peripheral
        raise KeyError(name)

    async def __aenter__(self) -> EmulatedWorld:
        await self.start()
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                        tb: TracebackType | None) -> None:
        await self.close()

    async def start(self) -> None:
        self._link = LocalLink()  # type: ignore[no-untyped-call]
        self._central = _device("sitmon-central", CENTRAL_ADDRESS, self._link)
        await self._central.power_on()
        for index, peripheral in enumerate(self.peripherals):
            peripheral.address = peripheral.address or _address(index)
            device = _device(peripheral.name, peripheral.address, self._link)
            await peripheral.attach(device, self.clock)

    async def close(self) -> None:
        for peripheral in self.peripherals:
            await peripheral.detach()
        if self._central is not None:
            for connection in list(self._central.connections.values()):
                with contextlib.suppress(Exception):  # tearing down: the link goes away anyway
                    await asyncio.wait_for(connection.disconnect(), TEARDOWN_S)
        self._central = None

    # --- the backend's view (see backend.Central)

    async def central(self) -> Device:
        if self._central is None:
            raise RuntimeError("the emulated world is not started")
        return self._central

    def scanning_started(self) -> bool:
        self._scanners += 1
        return self._scanners == 1

    def scanning_stopped(self) -> bool:
        self._scanners = max(0, self._scanners - 1)
        return self._scanners == 0


def _address(index: int) -> str:
    # Static random addresses: the two top bits set (first octet C0-FF).
    return f"C4:5E:00:00:{index >> 8 & 0xFF:02X}:{index & 0xFF:02X}"
