"""MetaWear: bytes from the vendor SDK's unit tests."""

from __future__ import annotations

import numpy as np
import pytest

from monitor.devices import metawear as mw


def test_acc_data_vendor_vector():
    # test_accelerometer_bmi160.py at +-4 g
    decoder = mw.MetaWearDecoder(rate_hz=100, range_g=4)
    samples = decoder.feed(bytes.fromhex("03 04 16 C4 94 A2 2A D0"))
    np.testing.assert_allclose(samples.xyz, [[-15338 / 8192, -23916 / 8192, -12246 / 8192]])
    assert samples.xyz[0] == pytest.approx([-1.872, -2.919, -1.495], abs=1e-3)


def test_packed_data_and_index_time():
    decoder = mw.MetaWearDecoder(rate_hz=50, range_g=8)
    accel = np.array([[0.0, 0.0, 1.0], [0.1, 0.2, 0.9], [-1.0, 0.5, 0.0]])
    samples = decoder.feed(mw.encode_acc_data(accel, 8, packed=True))
    np.testing.assert_allclose(samples.xyz, accel, atol=1 / 4096)
    np.testing.assert_allclose(samples.t, [0.0, 0.02, 0.04])


def test_battery_vendor_vector():
    decoder = mw.MetaWearDecoder(rate_hz=50)
    assert len(decoder.feed(bytes.fromhex("11 8C 63 34 10"))) == 0
    assert (decoder.battery_percent, decoder.battery_mv) == (99, 4148)
    assert mw.battery_read() == bytes.fromhex("11 CC")
    assert mw.encode_battery(99, 4148) == bytes.fromhex("11 8C 63 34 10")


def test_haptic_vendor_vectors():
    assert mw.motor_pulse(100, 5000) == bytes.fromhex("08 01 F8 88 13 00")
    assert mw.buzzer_pulse(7500) == bytes.fromhex("08 01 7F 4C 1D 01")


def test_accelerometer_commands():
    assert mw.configure_accelerometer(200, 8) == bytes.fromhex("03 03 29 08")
    assert mw.start_accelerometer() == [bytes.fromhex("03 02 01 00"), bytes.fromhex("03 04 01"),
                                        bytes.fromhex("03 01 01")]
    assert mw.stop_accelerometer()[0] == bytes.fromhex("03 01 00")


def test_module_discovery_and_config_read():
    decoder = mw.MetaWearDecoder(rate_hz=50, range_g=4)
    decoder.feed(bytes.fromhex("08 80 00 00"))
    assert decoder.modules[mw.HAPTIC] == b"\x00\x00"
    decoder.feed(bytes.fromhex("03 83 28 0C"))  # the board says +-16 g
    assert decoder.lsb_per_g == 2048.0


@pytest.mark.parametrize("data", [b"", b"\x03", bytes.fromhex("03 04 00 00"),
                                  bytes.fromhex("11 8C 65 00 00")])
def test_malformed_is_counted(data):
    decoder = mw.MetaWearDecoder(rate_hz=50)
    assert len(decoder.feed(data)) == 0
    assert decoder.errors == 1
