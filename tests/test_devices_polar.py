"""Polar PMD: vendor test vectors and spec examples, control point round trips, timestamps."""

from __future__ import annotations

import numpy as np
import pytest

from monitor.devices import polar_pmd as pmd
from monitor.devices.heart_rate import decode_battery_level, decode_heart_rate

# AccDataTest.kt "process acc raw data frame type 1": T = 2 000 000 000 ns, frame type 01, mG.
RAW_FRAME = bytes.fromhex("02 00 94 35 77 00 00 00 00 01 F7 FF FF FF E7 03 F8 FF FE FF E5 03")
# PMD specification, "Delta frame sample example from Polar Verity Sense", header ours.
DELTA_FRAME = bytes.fromhex("02 00 94 35 77 00 00 00 00 80 D0 FF 65 01 E4 0F 08 02 FC 07 FF 0C 13 F2")
FACTOR_2_POW_12 = 2.0**-12


def test_raw_frame_vendor_vector():
    decoder = pmd.PmdAccDecoder(rate_hz=200)
    samples = decoder.feed(RAW_FRAME)
    np.testing.assert_allclose(samples.xyz, [[-0.009, -0.001, 0.999], [-0.008, -0.002, 0.997]])
    # first frame: 1/rate spacing ending at T
    np.testing.assert_allclose(samples.t, [1.995, 2.0])
    assert (decoder.frames, decoder.errors) == (1, 0)


def test_delta_frame_spec_example():
    decoder = pmd.PmdAccDecoder(rate_hz=52, factor=FACTOR_2_POW_12)
    samples = decoder.feed(DELTA_FRAME)
    raw = [[-48, 357, 4068], [-52, 364, 4067], [-40, 383, 4053]]
    np.testing.assert_allclose(samples.xyz, np.array(raw) * FACTOR_2_POW_12)
    np.testing.assert_allclose(samples.t, [2.0 - 2 / 52, 2.0 - 1 / 52, 2.0])


def test_delta_bit_order_vendor_vector():
    # "compressed data type 0": 10-bit deltas, LSB first: (+190, -105, -85)
    values = pmd.decode_delta_payload(bytes(6) + bytes.fromhex("0A 01 BE 5C BE BA"), resolution=16)
    assert values.tolist() == [[0, 0, 0], [190, -105, -85]]


def test_delta_81_is_milli_g():
    frame = bytearray(DELTA_FRAME)
    frame[9] = 0x81
    samples = pmd.PmdAccDecoder(rate_hz=52).feed(bytes(frame))
    assert samples.xyz[0].tolist() == pytest.approx([-0.048, 0.357, 4.068])


@pytest.mark.parametrize("frame_type", [0x00, 0x01, 0x02])
def test_raw_frame_types_round_trip(frame_type):
    limit = {0x00: 127, 0x01: 32767, 0x02: 8_000_000}[frame_type]
    rng = np.random.default_rng(frame_type)
    mg = rng.integers(-limit, limit, size=(7, 3))
    samples = pmd.PmdAccDecoder(rate_hz=50).feed(pmd.encode_raw_frame(10**9, mg, frame_type))
    np.testing.assert_allclose(samples.xyz, mg / 1000.0)


def test_delta_encoder_round_trip_random():
    rng = np.random.default_rng(7)
    for _ in range(200):
        n = int(rng.integers(1, 60))
        walk = np.cumsum(rng.integers(-2000, 2000, size=(n, 3)), axis=0)
        values = np.clip(walk, -32768, 32767)
        frame = pmd.encode_delta_frame(5 * 10**9, values, block_size=int(rng.integers(1, 40)))
        decoded = pmd.PmdAccDecoder(rate_hz=52, factor=1.0).feed(frame)
        assert decoded.xyz.tolist() == values.tolist()


def test_timestamps_use_previous_frame_spacing():
    decoder = pmd.PmdAccDecoder(rate_hz=50)
    mg = np.zeros((10, 3))
    decoder.feed(pmd.encode_raw_frame(1_000_000_000, mg))
    # sensor clock runs 1 % slow: spacing comes from the frame stamps, not the nominal rate
    second = decoder.feed(pmd.encode_raw_frame(1_000_000_000 + 198_000_000, mg))
    np.testing.assert_allclose(np.diff(second.t), 0.0198)
    assert second.t[-1] == pytest.approx(1.198)


def test_lost_frame_falls_back_to_nominal_rate():
    decoder = pmd.PmdAccDecoder(rate_hz=50)
    mg = np.zeros((10, 3))
    decoder.feed(pmd.encode_raw_frame(1_000_000_000, mg))
    after_gap = decoder.feed(pmd.encode_raw_frame(1_600_000_000, mg))
    np.testing.assert_allclose(np.diff(after_gap.t), 0.02)


def test_stale_frame_is_a_counted_error():
    decoder = pmd.PmdAccDecoder(rate_hz=200)
    decoder.feed(RAW_FRAME)
    assert len(decoder.feed(RAW_FRAME)) == 0
    assert decoder.errors_by_reason == {"frame timestamp not after the previous frame": 1}
    decoder.reset()
    assert len(decoder.feed(RAW_FRAME)) == 2


@pytest.mark.parametrize(("frame", "reason"), [
    (b"", "frame shorter than the PMD header"),
    (RAW_FRAME[:-1], "raw payload is not a whole number of samples"),
    (RAW_FRAME[:9] + b"\x7f" + RAW_FRAME[10:], "unknown ACC frame type 0x7f"),
    (DELTA_FRAME[:-1], "truncated delta block"),
    (DELTA_FRAME[:16] + b"\x00\x02", "invalid delta block header"),
])
def test_malformed_frames_are_counted(frame, reason):
    decoder = pmd.PmdAccDecoder(rate_hz=52)
    assert len(decoder.feed(frame)) == 0
    assert decoder.last_error == reason


def test_other_measurements_are_ignored_not_errors():
    ecg = bytes((pmd.Measurement.ECG,)) + RAW_FRAME[1:]
    decoder = pmd.PmdAccDecoder(rate_hz=52)
    assert len(decoder.feed(ecg)) == 0
    assert (decoder.ignored, decoder.errors) == (1, 0)


def test_control_requests():
    assert pmd.acc_start_request(200, 8) == bytes.fromhex("02 02 00 01 C8 00 01 01 10 00 02 01 08 00")
    assert pmd.stop_request(pmd.Measurement.ACC) == bytes.fromhex("03 02")
    assert pmd.get_settings_request(pmd.Measurement.ACC) == bytes.fromhex("01 02")
    measurement, settings = pmd.parse_start_request(pmd.acc_start_request(52, 8))
    assert measurement == pmd.Measurement.ACC
    assert settings == {pmd.Setting.SAMPLE_RATE: 52, pmd.Setting.RESOLUTION: 16, pmd.Setting.RANGE: 8}


def test_control_responses():
    start = pmd.parse_control(bytes.fromhex("F0 02 02 00 00 05 01 00 00 80 39"))
    assert isinstance(start, pmd.ControlResponse)
    assert start.ok and start.opcode == pmd.Opcode.START
    assert pmd.response_factor(start) == FACTOR_2_POW_12
    settings = pmd.parse_control(bytes.fromhex(
        "F0 01 02 00 00 00 04 19 00 32 00 64 00 C8 00 01 01 10 00 02 03 02 00 04 00 08 00"))
    assert isinstance(settings, pmd.ControlResponse)
    assert pmd.parse_settings(settings.parameters) == {0: (25, 50, 100, 200), 1: (16,), 2: (2, 4, 8)}
    refused = pmd.parse_control(bytes.fromhex("F0 02 02 0D 00"))
    assert isinstance(refused, pmd.ControlResponse)
    assert refused.status == pmd.Status.DEVICE_IN_CHARGER and not refused.ok
    assert pmd.parse_control(bytes.fromhex("01 02")) == pmd.MeasurementStopped((2,))
    assert pmd.parse_control(bytes.fromhex("0F 05 00")) == pmd.Features(frozenset({0, 2}))
    assert isinstance(pmd.parse_control(b"\xf0\x02"), pmd.Malformed)


def test_control_assembler_joins_continuations():
    assembler = pmd.ControlAssembler()
    first = pmd.control_response(1, 2, parameters=bytes.fromhex("00 01 32 00"), more=True)
    assert assembler.feed(first) is None
    joined = assembler.feed(pmd.control_response(1, 2, parameters=bytes.fromhex("01 01 10 00")))
    assert isinstance(joined, pmd.ControlResponse)
    assert pmd.parse_settings(joined.parameters) == {0: (50,), 1: (16,)}


def test_heart_rate_and_battery():
    assert decode_heart_rate(bytes.fromhex("10 48 00 04")) == decode_heart_rate(bytes.fromhex("10 48 00 04"))
    hr = decode_heart_rate(bytes.fromhex("10 48 00 04"))
    assert hr is not None and hr.bpm == 72 and hr.rr_intervals_s == (1.0,)
    wide = decode_heart_rate(bytes.fromhex("09 2C 01 10 00"))
    assert wide is not None and wide.bpm == 300
    assert decode_heart_rate(b"\x10\x48\x00") is None
    assert decode_battery_level(bytes([0x57])) == 87
    assert decode_battery_level(bytes([101])) is None
