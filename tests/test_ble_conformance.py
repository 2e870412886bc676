"""Canaries: no-mock checks that bleak and bumble still have the shape our backend relies on.

The emulation tests pass through our own backend, so they cannot notice when a bleak or bumble
upgrade changes what a backend must provide or what bumble's in-process link does. These can.
"""

from __future__ import annotations

import inspect

import bleak
from bleak.backends.client import BaseBleakClient
from bleak.backends.scanner import AdvertisementData, BaseBleakScanner
from bleak.exc import BleakGATTProtocolError
from bleak.uuids import normalize_uuid_str
from bumble import controller, device, gatt_client, link
from bumble.core import AdvertisingData

from monitor.emulation.backend import BumbleClient, BumbleScanner


def test_bleak_abstract_methods_are_the_ones_we_implement():
    assert BaseBleakClient.__abstractmethods__ <= set(vars(BumbleClient))
    assert BaseBleakScanner.__abstractmethods__ <= set(vars(BumbleScanner))
    assert BaseBleakClient.__abstractmethods__ == {
        "mtu_size", "connect", "disconnect", "pair", "unpair", "is_connected", "read_gatt_char",
        "read_gatt_descriptor", "write_gatt_char", "write_gatt_descriptor", "start_notify", "stop_notify"}


def test_bleak_takes_a_backend_class():
    assert "backend" in inspect.signature(bleak.BleakClient).parameters
    assert "backend" in inspect.signature(bleak.BleakScanner).parameters
    client_init = inspect.signature(BaseBleakClient.__init__).parameters
    assert client_init["disconnected_callback"].kind is inspect.Parameter.KEYWORD_ONLY


def test_bleak_value_types():
    fields = set(AdvertisementData._fields)
    assert {"local_name", "manufacturer_data", "service_uuids", "rssi", "platform_data"} <= fields
    assert BleakGATTProtocolError(0x13).code == 0x13
    # The UUID filter is an exact string match on this form.
    assert normalize_uuid_str("180d") == "0000180d-0000-1000-8000-00805f9b34fb"


def test_bumble_in_process_api():
    assert "link" in inspect.signature(controller.Controller).parameters
    assert "public_address" in inspect.signature(controller.Controller).parameters
    assert hasattr(link, "LocalLink")
    for name in ("notify_subscribers", "indicate_subscriber", "start_advertising", "start_scanning", "connect"):
        assert inspect.iscoroutinefunction(getattr(device.Device, name)), name
    for name in ("request_mtu", "discover_all", "read_value", "write_value", "subscribe", "unsubscribe"):
        assert inspect.iscoroutinefunction(getattr(device.Peer, name)), name
    assert hasattr(gatt_client, "CharacteristicProxy")
    assert "auto_restart" in inspect.signature(device.Device.start_advertising).parameters
    assert AdvertisingData.from_bytes(bytes.fromhex("0409414243")).get(
        AdvertisingData.Type.COMPLETE_LOCAL_NAME) == "ABC"
