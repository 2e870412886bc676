"""The sitmon sensor profile frame: round trips, sequence, wrap, CRC, resync, chunking."""

from __future__ import annotations

import numpy as np
import pytest

from monitor.devices import sitmon_profile as sp

MG = np.array([[0, 0, 1000], [12, -34, 998]])


def test_documented_example():
    # docs/sensor-profile.md: seq 7, t0 = 1 000 000 us, 50 Hz, two samples
    frame = sp.encode_frame(7, 1_000_000, 20_000, MG)
    assert frame.hex(" ") == "a5 01 07 02 40 42 0f 00 d0 07 00 00 00 00 e8 03 0c 00 de ff e6 03 " + (
        f"{sp.crc16(frame[:-2]) & 0xFF:02x} {sp.crc16(frame[:-2]) >> 8:02x}")
    samples = sp.SitmonProfileDecoder().feed(frame)
    np.testing.assert_allclose(samples.xyz, MG / 1000)
    np.testing.assert_allclose(samples.t, [1.0, 1.02])


def test_crc_is_ccitt_false():
    assert sp.crc16(b"123456789") == 0x29B1


def test_bad_crc_then_resync():
    good = sp.encode_frame(0, 0, 20_000, MG)
    bad = bytearray(sp.encode_frame(1, 40_000, 20_000, MG))
    bad[-1] ^= 0xFF
    decoder = sp.SitmonProfileDecoder()
    samples = decoder.feed(good + bytes(bad) + sp.encode_frame(2, 80_000, 20_000, MG))
    assert len(samples) == 4
    assert decoder.errors_by_reason["bad CRC"] == 1
    assert decoder.lost_frames == 1


def test_timestamp_wrap():
    decoder = sp.SitmonProfileDecoder()
    first = decoder.feed(sp.encode_frame(0, sp.WRAP_US - 20_000, 20_000, MG[:1]))
    second = decoder.feed(sp.encode_frame(1, 0, 20_000, MG[:1]))
    assert second.t[0] - first.t[0] == pytest.approx(0.02)


def test_replayed_frame_is_dropped():
    frame = sp.encode_frame(0, 5_000_000, 20_000, MG)
    decoder = sp.SitmonProfileDecoder()
    decoder.feed(frame)
    assert len(decoder.feed(frame)) == 0
    assert "frame time not after the previous frame" in decoder.errors_by_reason


def test_chunking_and_concatenation():
    rng = np.random.default_rng(11)
    frames = [sp.encode_frame(k, k * 400_000, 20_000, rng.integers(-4000, 4000, (20, 3))) for k in range(50)]
    stream = b"".join(frames)
    reference = sp.SitmonProfileDecoder().feed(stream)
    assert len(reference) == 1000
    for pieces in ([stream[i:i + 1] for i in range(len(stream))], frames,
                   [stream[i:i + 97] for i in range(0, len(stream), 97)]):
        decoder = sp.SitmonProfileDecoder()
        blocks = [decoder.feed(p) for p in pieces]
        assert np.concatenate([b.xyz for b in blocks]).tolist() == reference.xyz.tolist()
        assert np.concatenate([b.t for b in blocks]).tolist() == reference.t.tolist()
        assert decoder.errors == 0


def test_config_info_vibration():
    assert sp.SensorConfig.decode(sp.SensorConfig(52, 8).encode()) == sp.SensorConfig(52, 8)
    assert sp.SensorInfo.decode(sp.SensorInfo().encode() + b"\x00").can_vibrate
    assert sp.vibration_command(400, 80) == bytes.fromhex("90 01 50")
    assert sp.SERVICE == "53490001-7369-746d-6f6e-2d73656e736f"
