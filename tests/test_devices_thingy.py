"""Thingy:52 motion service: frames built from the firmware documentation's tables."""

from __future__ import annotations

import numpy as np
import pytest

from monitor.devices import thingy52 as thingy

RAW = bytes.fromhex("00 00 00 00 00 04 20 00 E0 FF 00 00 80 02 00 FE 40 06")  # accel (0, 0, 1.0) g
GRAVITY = bytes.fromhex("00 00 00 00 00 00 00 00 C3 F5 1C 41")  # (0, 0, 9.81) m/s^2


def test_raw_frame():
    decoder = thingy.ThingyRawDecoder(rate_hz=50)
    samples = decoder.feed(RAW)
    assert samples.xyz.tolist() == [[0.0, 0.0, 1.0]]
    assert samples.t.tolist() == [0.0]
    assert decoder.feed(RAW).t.tolist() == [0.02]


def test_gravity_frame():
    samples = thingy.ThingyGravityDecoder(rate_hz=10).feed(GRAVITY)
    np.testing.assert_allclose(samples.xyz, [[0.0, 0.0, 9.81 / 9.80665]], rtol=1e-6)


def test_concatenated_frames_are_accepted():
    decoder = thingy.ThingyRawDecoder(rate_hz=50)
    assert len(decoder.feed(RAW * 3)) == 3


@pytest.mark.parametrize("data", [b"", RAW[:-1], RAW + b"\x00"])
def test_wrong_length_is_counted(data):
    decoder = thingy.ThingyRawDecoder(rate_hz=50)
    assert len(decoder.feed(data)) == 0
    assert decoder.errors == 1


def test_non_finite_gravity_is_counted():
    decoder = thingy.ThingyGravityDecoder(rate_hz=10)
    assert len(decoder.feed(bytes.fromhex("0000c07f") + bytes(8))) == 0
    assert decoder.last_error == "non-finite acceleration"


def test_encoders_round_trip():
    accel = np.array([0.25, -0.5, 0.98])
    raw = thingy.ThingyRawDecoder(50).feed(thingy.encode_raw(accel))
    assert raw.xyz[0] == pytest.approx(accel, abs=1 / 2048)
    assert thingy.ThingyGravityDecoder(50).feed(thingy.encode_gravity(accel)).xyz[0] == pytest.approx(accel)


def test_config_and_prompts():
    config = thingy.MotionConfig(motion_rate_hz=50)
    assert config.encode() == bytes.fromhex("E8 03 F4 01 F4 01 32 00 01")
    assert thingy.MotionConfig.decode(config.encode()) == config
    assert thingy.led_one_shot() == bytes.fromhex("03 01 64")
    assert thingy.speaker_tone(440, 500, 80) == bytes.fromhex("B8 01 F4 01 50")
    assert thingy.RAW_DATA == "ef680406-9b35-4933-9b10-52ffa9740042"
