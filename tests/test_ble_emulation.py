"""Each emulated wearable speaks its protocol through bleak's public API over the bumble backend."""

from __future__ import annotations

import asyncio

import numpy as np
import pytest
from ble.helpers import TIMEOUT_S, recording, wait_for
from bleak import BleakClient, BleakScanner
from bleak.exc import BleakGATTProtocolError

from monitor.clock import ManualClock
from monitor.devices import metawear as mw
from monitor.devices import polar_pmd as pmd
from monitor.devices import sitmon_profile as sp
from monitor.devices import thingy52 as thingy
from monitor.devices import witmotion as wit
from monitor.devices.base import Decoder
from monitor.emulation import (
    EmulatedMetaWear,
    EmulatedPolarH10,
    EmulatedPolarVerity,
    EmulatedSitmonSensor,
    EmulatedThingy52,
    EmulatedWitMotion,
    EmulatedWorld,
    RecordingSource,
)
from monitor.model import SampleBlock


async def _subscribe(client: BleakClient, uuid: str, decoder: Decoder) -> list[SampleBlock]:
    blocks: list[SampleBlock] = []
    await client.start_notify(uuid, lambda _, data: blocks.append(decoder.feed(data)))
    return blocks


async def _first(blocks: list[SampleBlock], n: int) -> np.ndarray:
    await wait_for(lambda: sum(len(b) for b in blocks) >= n)
    return np.concatenate([b.xyz for b in blocks])[:n]


async def _collect(client: BleakClient, uuid: str, decoder: Decoder, n: int) -> np.ndarray:
    xyz = await _first(await _subscribe(client, uuid, decoder), n)
    await client.stop_notify(uuid)
    return xyz


async def test_scan_filters_by_service_and_reports_names():
    block = recording(2)
    peripherals = [EmulatedPolarH10(RecordingSource(block)), EmulatedThingy52(RecordingSource(block))]
    async with EmulatedWorld(ManualClock(0.0), peripherals) as world:
        found = await BleakScanner.discover(timeout=0.2, return_adv=True, backend=world.scanner_backend)
        names = {adv.local_name for _, adv in found.values()}
        assert names == {"Polar H10 E1A2B3C4", "Thingy"}
        polar_only = await BleakScanner.discover(timeout=0.2, service_uuids=[pmd.PMD_SERVICE],
                                                 backend=world.scanner_backend)
        assert [d.name for d in polar_only] == ["Polar H10 E1A2B3C4"]


async def test_polar_h10_control_point_and_stream():
    block = recording(10)
    h10 = EmulatedPolarH10(RecordingSource(block))
    async with EmulatedWorld(ManualClock(0.0), [h10]) as world:
        device = await BleakScanner.find_device_by_name(h10.name, timeout=TIMEOUT_S, backend=world.scanner_backend)
        assert device is not None
        async with BleakClient(device, backend=world.client_backend) as client:
            assert client.mtu_size == 247
            assert (await client.read_gatt_char("2a19"))[0] == 87
            features = pmd.parse_control(bytes(await client.read_gatt_char(pmd.PMD_CONTROL)))
            assert isinstance(features, pmd.Features) and pmd.Measurement.ACC in features.measurements
            responses: asyncio.Queue[bytes] = asyncio.Queue()
            await client.start_notify(pmd.PMD_CONTROL, lambda _, d: responses.put_nowait(bytes(d)))
            await client.write_gatt_char(pmd.PMD_CONTROL, pmd.get_settings_request(2), response=True)
            settings = pmd.parse_control(await asyncio.wait_for(responses.get(), TIMEOUT_S))
            assert isinstance(settings, pmd.ControlResponse)
            assert pmd.parse_settings(settings.parameters)[pmd.Setting.SAMPLE_RATE] == (25, 50, 100, 200)
            await client.write_gatt_char(pmd.PMD_CONTROL, pmd.acc_start_request(52, 8), response=True)
            refused = pmd.parse_control(await asyncio.wait_for(responses.get(), TIMEOUT_S))
            assert isinstance(refused, pmd.ControlResponse) and refused.status == pmd.Status.INVALID_SAMPLE_RATE
            decoder = pmd.PmdAccDecoder(50)
            # subscribe to data before starting, as the SDK does: the emulator streams at once
            blocks = await _subscribe(client, pmd.PMD_DATA, decoder)
            await client.write_gatt_char(pmd.PMD_CONTROL, pmd.acc_start_request(50, 8), response=True)
            started = pmd.parse_control(await asyncio.wait_for(responses.get(), TIMEOUT_S))
            assert isinstance(started, pmd.ControlResponse) and started.ok
            assert pmd.response_factor(started) == 1.0
            xyz = await _first(blocks, len(block) // 2)
            np.testing.assert_allclose(xyz, block.xyz[:len(xyz)], atol=0.0005 + 1e-12)
            await client.write_gatt_char(pmd.PMD_CONTROL, pmd.stop_request(2), response=True)
            assert not h10.streaming


async def test_polar_verity_delta_frames_with_factor():
    block = recording(5, rate_hz=52)
    verity = EmulatedPolarVerity(RecordingSource(block))
    async with EmulatedWorld(ManualClock(0.0), [verity]) as world, \
            BleakClient(str(verity.address), backend=world.client_backend) as client:
        responses: asyncio.Queue[bytes] = asyncio.Queue()
        await client.start_notify(pmd.PMD_CONTROL, lambda _, d: responses.put_nowait(bytes(d)))
        frames: list[bytes] = []  # frames can beat the start response: decode once FACTOR is known
        await client.start_notify(pmd.PMD_DATA, lambda _, d: frames.append(bytes(d)))
        await client.write_gatt_char(pmd.PMD_CONTROL, pmd.acc_start_request(52, 8), response=True)
        started = pmd.parse_control(await asyncio.wait_for(responses.get(), TIMEOUT_S))
        assert isinstance(started, pmd.ControlResponse)
        decoder = pmd.PmdAccDecoder(52, pmd.response_factor(started))
        assert decoder.factor == 2.0**-12
        await wait_for(lambda: len(frames) >= 6)  # 36 samples each
        xyz = np.concatenate([decoder.feed(f).xyz for f in frames])[:200]
        np.testing.assert_allclose(xyz, block.xyz[:200], atol=2.0**-13 + 1e-12)


async def test_thingy_config_stream_and_prompt():
    block = recording(4)
    sensor = EmulatedThingy52(RecordingSource(block), rate_hz=10)
    async with EmulatedWorld(ManualClock(0.0), [sensor]) as world, \
            BleakClient(str(sensor.address), backend=world.client_backend) as client:
        await client.write_gatt_char(thingy.MOTION_CONFIG, thingy.MotionConfig(motion_rate_hz=50).encode(), True)
        config = thingy.MotionConfig.decode(bytes(await client.read_gatt_char(thingy.MOTION_CONFIG)))
        assert config.motion_rate_hz == 50
        xyz = await _collect(client, thingy.RAW_DATA, thingy.ThingyRawDecoder(50), 100)
        np.testing.assert_allclose(xyz, block.xyz[:100], atol=1 / 2048 + 1e-12)
        await client.write_gatt_char(thingy.LED, thingy.led_one_shot(), response=True)
        await wait_for(lambda: sensor.prompts == [thingy.led_one_shot()])


async def test_witmotion_rate_battery_and_packed_frames():
    block = recording(4)
    sensor = EmulatedWitMotion(RecordingSource(block), frames_per_notification=4)
    async with EmulatedWorld(ManualClock(0.0), [sensor]) as world, \
            BleakClient(str(sensor.address), backend=world.client_backend) as client:
        for command in wit.rate_commands(50):
            await client.write_gatt_char(wit.WRITE, command, response=True)
        assert sensor.rate_hz == 50
        decoder = wit.WitMotionDecoder(50)
        blocks = await _subscribe(client, wit.NOTIFY, decoder)
        await client.write_gatt_char(wit.WRITE, wit.read_registers(wit.BATTERY_REGISTER), response=True)
        xyz = await _first(blocks, 150)
        np.testing.assert_allclose(xyz, block.xyz[:150], atol=16 / 65536 + 1e-12)
        assert decoder.battery_percent == 40 and decoder.errors == 0


async def test_metawear_start_sequence_battery_and_haptic():
    block = recording(4, rate_hz=50)
    sensor = EmulatedMetaWear(RecordingSource(block))
    async with EmulatedWorld(ManualClock(0.0), [sensor]) as world, \
            BleakClient(str(sensor.address), backend=world.client_backend) as client:
        decoder = mw.MetaWearDecoder(50, 4)
        blocks = []
        await client.start_notify(mw.NOTIFY, lambda _, d: blocks.append(decoder.feed(d)))
        await client.write_gatt_char(mw.COMMAND, mw.battery_read(), response=True)
        await wait_for(lambda: decoder.battery_percent == 87)
        await client.write_gatt_char(mw.COMMAND, mw.configure_accelerometer(50, 4), response=True)
        for command in mw.start_accelerometer(packed=True):
            await client.write_gatt_char(mw.COMMAND, command, response=True)
        await wait_for(lambda: sum(len(b) for b in blocks) >= 150)
        xyz = np.concatenate([b.xyz for b in blocks])[:150]
        np.testing.assert_allclose(xyz, block.xyz[:150], atol=1 / 16384 + 1e-12)
        for command in mw.stop_accelerometer(packed=True):
            await client.write_gatt_char(mw.COMMAND, command, response=True)
        assert not sensor.streaming
        await client.write_gatt_char(mw.COMMAND, mw.motor_pulse(80, 400), response=True)
        await wait_for(lambda: sensor.prompts == [mw.motor_pulse(80, 400)])


async def test_sitmon_profile_config_info_vibration():
    block = recording(4)
    sensor = EmulatedSitmonSensor(RecordingSource(block))
    async with EmulatedWorld(ManualClock(0.0), [sensor]) as world, \
            BleakClient(str(sensor.address), backend=world.client_backend) as client:
        info = sp.SensorInfo.decode(bytes(await client.read_gatt_char(sp.INFO)))
        assert info.can_vibrate and info.max_rate_hz == 200
        with pytest.raises(BleakGATTProtocolError):
            await client.write_gatt_char(sp.CONFIG, sp.SensorConfig(500, 8).encode(), response=True)
        await client.write_gatt_char(sp.CONFIG, sp.SensorConfig(50, 8).encode(), response=True)
        decoder = sp.SitmonProfileDecoder()
        xyz = await _collect(client, sp.SAMPLES, decoder, 150)
        np.testing.assert_allclose(xyz, block.xyz[:150], atol=0.0005 + 1e-12)
        assert decoder.errors == 0
        await client.write_gatt_char(sp.VIBRATION, sp.vibration_command(), response=True)
        await wait_for(lambda: sensor.prompts == [sp.vibration_command()])


async def test_peripheral_disconnect_reaches_bleak_callback():
    sensor = EmulatedSitmonSensor(RecordingSource(recording(2)))
    async with EmulatedWorld(ManualClock(0.0), [sensor]) as world:
        gone = asyncio.Event()
        client = BleakClient(str(sensor.address), disconnected_callback=lambda _: gone.set(),
                             backend=world.client_backend)
        await client.connect()
        await sensor.disconnect()
        await asyncio.wait_for(gone.wait(), TIMEOUT_S)
        assert not client.is_connected
        await client.connect()  # it advertises again
        assert client.is_connected
        await client.disconnect()
