"""A bleak backend over bumble: `BleakScanner(backend=...)` / `BleakClient(backend=...)` with no radio.

The central is a bumble `Device` on an in-process `LocalLink` (see `world.py`); every call the
daemon makes through bleak's public API lands here and becomes real GATT traffic to the emulated
peripherals: discovery, MTU exchange, reads, writes, CCCD writes, notifications, indications and
disconnections. Only tests and the demo use it; bumble is imported nowhere else in sitmon.

bleak instantiates a backend class itself, so the classes are made per world by `backend_classes`
and find their central through a class attribute.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid as uuid_lib
from collections.abc import Callable
from typing import Any, ClassVar, Protocol

from bleak.assigned_numbers import gatt_char_props_to_strs
from bleak.backends.characteristic import BleakGATTCharacteristic
from bleak.backends.client import BaseBleakClient, NotifyCallback
from bleak.backends.descriptor import BleakGATTDescriptor
from bleak.backends.device import BLEDevice
from bleak.backends.scanner import AdvertisementData, AdvertisementDataCallback, BaseBleakScanner
from bleak.backends.service import BleakGATTService, BleakGATTServiceCollection
from bleak.exc import BleakError, BleakGATTProtocolError
from bleak.uuids import normalize_uuid_str
from bumble import att, core, hci
from bumble.core import AdvertisingData
from bumble.device import Advertisement, Connection, Device, Peer
from bumble.gatt_client import CharacteristicProxy, DescriptorProxy

# The bumble server truncates notifications to ATT MTU - 3 until the client asks for more.
REQUESTED_MTU = 247
_BUMBLE_ERRORS = (core.BaseBumbleError, att.ATT_Error, asyncio.TimeoutError)


class Central(Protocol):
    """What the backend needs from its world."""

    async def central(self) -> Device: ...

    def scanning_started(self) -> bool: ...

    def scanning_stopped(self) -> bool: ...

    connect_lock: asyncio.Lock


def uuid_text(value: core.UUID) -> str:
    """bumble UUID -> bleak's lower-case 128-bit string."""
    digits = value.to_hex_str()
    if len(digits) == 32:
        return str(uuid_lib.UUID(hex=digits))
    return normalize_uuid_str(digits.lower())


def _bleak_error(exc: BaseException, action: str) -> BleakError:
    if isinstance(exc, att.ATT_Error):
        return BleakGATTProtocolError(exc.error_code)
    return BleakError(f"{action} failed: {exc!r}")


def advertisement_data(advertisement: Advertisement) -> tuple[str | None, AdvertisementData]:
    # `.data` of a LocalLink report holds every AD structure twice (scan response = advertising
    # data); the raw bytes hold one copy.
    data = AdvertisingData.from_bytes(advertisement.data_bytes)
    name = data.get(AdvertisingData.Type.COMPLETE_LOCAL_NAME) or data.get(
        AdvertisingData.Type.SHORTENED_LOCAL_NAME)
    uuids: list[str] = []
    for ad_type in (AdvertisingData.Type.COMPLETE_LIST_OF_16_BIT_SERVICE_CLASS_UUIDS,
                    AdvertisingData.Type.INCOMPLETE_LIST_OF_16_BIT_SERVICE_CLASS_UUIDS,
                    AdvertisingData.Type.COMPLETE_LIST_OF_128_BIT_SERVICE_CLASS_UUIDS,
                    AdvertisingData.Type.INCOMPLETE_LIST_OF_128_BIT_SERVICE_CLASS_UUIDS):
        for entry in data.get_all(ad_type):
            for item in entry if isinstance(entry, list) else [entry]:
                if isinstance(item, core.UUID) and uuid_text(item) not in uuids:
                    uuids.append(uuid_text(item))
    manufacturer: dict[int, bytes] = {}
    for company, payload in data.get_all(AdvertisingData.Type.MANUFACTURER_SPECIFIC_DATA):
        manufacturer[int(company)] = bytes(payload)
    local_name = name if isinstance(name, str) else None
    return local_name, AdvertisementData(
        local_name=local_name, manufacturer_data=manufacturer, service_data={}, service_uuids=uuids,
        tx_power=None, rssi=int(advertisement.rssi), platform_data=(advertisement,))


class BumbleScanner(BaseBleakScanner):
    world: ClassVar[Central]

    def __init__(self, detection_callback: AdvertisementDataCallback | None,
                 service_uuids: list[str] | None, scanning_mode: str = "active", **kwargs: Any) -> None:
        super().__init__(detection_callback, service_uuids)
        self._device: Device | None = None

    async def start(self) -> None:
        self.seen_devices = {}
        self._device = await self.world.central()
        self._device.on("advertisement", self._on_advertisement)
        if self.world.scanning_started():
            await self._device.start_scanning(filter_duplicates=False)

    async def stop(self) -> None:
        if self._device is None:
            return
        self._device.remove_listener("advertisement", self._on_advertisement)
        if self.world.scanning_stopped():
            await self._device.stop_scanning()
        self._device = None

    def _on_advertisement(self, advertisement: Advertisement) -> None:
        name, adv = advertisement_data(advertisement)
        if not self.is_allowed_uuid(adv.service_uuids):
            return
        address = str(advertisement.address).removesuffix("/P")
        device = self.create_or_update_device(address, address, name, advertisement.address, adv)
        self.call_detection_callbacks(device, adv)


class BumbleClient(BaseBleakClient):
    world: ClassVar[Central]

    def __init__(self, address_or_ble_device: BLEDevice | str, *,
                 disconnected_callback: Callable[[], None] | None = None, timeout: float = 10.0,
                 **kwargs: Any) -> None:
        super().__init__(address_or_ble_device, disconnected_callback=disconnected_callback, timeout=timeout)
        self._target = (address_or_ble_device.details if isinstance(address_or_ble_device, BLEDevice)
                        else address_or_ble_device)
        self._connection: Connection | None = None
        self._peer: Peer | None = None
        self._subscribers: dict[int, Callable[[bytes], None]] = {}
        self._name = ""

    # ------------------------------------------------------------------ connection

    @property
    def name(self) -> str:
        return self._name

    @property
    def mtu_size(self) -> int:
        return self._connection.att_mtu if self._connection is not None else 23

    @property
    def is_connected(self) -> bool:
        return self._connection is not None

    async def connect(self, pair: bool, **kwargs: Any) -> None:
        central = await self.world.central()
        target = self._target if isinstance(self._target, hci.Address) else hci.Address(str(self._target))
        try:
            async with self.world.connect_lock:  # bumble allows one pending LE connection
                connection = await central.connect(target, transport=core.PhysicalTransport.LE,
                                                   timeout=self._timeout)
        except (TimeoutError, core.TimeoutError) as exc:
            raise TimeoutError(f"no connection to {self.address} within {self._timeout} s") from exc
        except _BUMBLE_ERRORS as exc:
            raise _bleak_error(exc, "connect") from exc
        self._connection = connection
        connection.on("disconnection", self._on_disconnection)
        try:
            peer = Peer(connection)
            await peer.request_mtu(REQUESTED_MTU)
            await peer.discover_all()  # type: ignore[no-untyped-call]
            self._peer = peer
            self.services = self._collection(peer)
        except _BUMBLE_ERRORS as exc:
            await self.disconnect()
            raise _bleak_error(exc, "service discovery") from exc

    async def disconnect(self) -> None:
        connection = self._connection
        if connection is None:
            return
        with contextlib.suppress(*_BUMBLE_ERRORS):  # already gone: the event did the cleanup
            await connection.disconnect()
        self._forget()

    async def pair(self, *args: Any, **kwargs: Any) -> None:
        raise NotImplementedError("the emulated wearables need no pairing")

    async def unpair(self) -> None:
        raise NotImplementedError("the emulated wearables need no pairing")

    def _on_disconnection(self, reason: int) -> None:
        was_connected = self._connection is not None
        self._forget()
        if was_connected and self._disconnected_callback is not None:
            self._disconnected_callback()

    def _forget(self) -> None:
        self._connection = None
        self._peer = None
        self._subscribers.clear()
        self.services = None

    def _collection(self, peer: Peer) -> BleakGATTServiceCollection:
        collection = BleakGATTServiceCollection()
        for service in peer.services:
            bleak_service = BleakGATTService(service, service.handle, uuid_text(service.uuid))
            collection.add_service(bleak_service)
            for characteristic in service.characteristics:
                bleak_char = BleakGATTCharacteristic(
                    characteristic, characteristic.handle, uuid_text(characteristic.uuid),
                    list(gatt_char_props_to_strs(int(characteristic.properties))),
                    lambda: self.mtu_size - 3, bleak_service)
                collection.add_characteristic(bleak_char)
                for descriptor in characteristic.descriptors:
                    collection.add_descriptor(BleakGATTDescriptor(
                        descriptor, descriptor.handle, uuid_text(descriptor.type), bleak_char))
        return collection

    # ------------------------------------------------------------------ I/O

    def _require_peer(self) -> Peer:
        if self._peer is None:
            raise BleakError("not connected")
        return self._peer

    async def read_gatt_char(self, characteristic: BleakGATTCharacteristic, *, use_cached: bool = False,
                             **kwargs: Any) -> bytearray:
        return await self._read(characteristic.obj)

    async def read_gatt_descriptor(self, descriptor: BleakGATTDescriptor, *, use_cached: bool = False,
                                   **kwargs: Any) -> bytearray:
        return await self._read(descriptor.obj)

    async def _read(self, proxy: CharacteristicProxy[Any] | DescriptorProxy) -> bytearray:
        peer = self._require_peer()
        try:
            value = await peer.read_value(proxy)
        except _BUMBLE_ERRORS as exc:
            raise _bleak_error(exc, "read") from exc
        return bytearray(value)

    async def write_gatt_char(self, characteristic: BleakGATTCharacteristic, data: Any,
                              response: bool) -> None:
        await self._write(characteristic.obj, bytes(data), response)

    async def write_gatt_descriptor(self, descriptor: BleakGATTDescriptor, data: Any) -> None:
        await self._write(descriptor.obj, bytes(data), True)

    async def _write(self, proxy: CharacteristicProxy[Any] | DescriptorProxy, data: bytes,
                     response: bool) -> None:
        peer = self._require_peer()
        try:
            await peer.write_value(proxy, data, with_response=response)
        except _BUMBLE_ERRORS as exc:
            raise _bleak_error(exc, "write") from exc

    async def start_notify(self, characteristic: BleakGATTCharacteristic, callback: NotifyCallback,
                           **kwargs: Any) -> None:
        peer = self._require_peer()

        def deliver(value: bytes) -> None:
            callback(bytearray(value))

        proxy: CharacteristicProxy[Any] = characteristic.obj
        try:
            await peer.subscribe(proxy, deliver, prefer_notify=True)
        except _BUMBLE_ERRORS as exc:
            raise _bleak_error(exc, "subscribe") from exc
        self._subscribers[characteristic.handle] = deliver

    async def stop_notify(self, characteristic: BleakGATTCharacteristic) -> None:
        peer = self._require_peer()
        subscriber = self._subscribers.pop(characteristic.handle, None)
        try:
            await peer.unsubscribe(characteristic.obj, subscriber)
        except _BUMBLE_ERRORS as exc:
            raise _bleak_error(exc, "unsubscribe") from exc


def backend_classes(world: Central) -> tuple[type[BumbleScanner], type[BumbleClient]]:
    """Scanner and client classes bound to one world, ready for bleak's `backend=` argument."""
    scanner = type("BumbleScanner", (BumbleScanner,), {"world": world})
    client = type("BumbleClient", (BumbleClient,), {"world": world})
    return scanner, client

