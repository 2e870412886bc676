"""WitMotion BLE 5.0 frames: vendor-SDK-derived vectors, resync, register replies, chunking."""

from __future__ import annotations

import numpy as np
import pytest

from monitor.devices import witmotion as wit

FRAME = bytes.fromhex("55 61 00 00 00 00 00 08 00 00 00 00 00 00 39 0E 00 00 00 40")  # (0, 0, 1) g
BATTERY = wit.encode_register_frame(wit.BATTERY_REGISTER, (379,))  # 3.79 V


def test_data_frame():
    decoder = wit.WitMotionDecoder(rate_hz=10)
    samples = decoder.feed(FRAME)
    assert samples.xyz.tolist() == [[0.0, 0.0, 1.0]]
    assert samples.t.tolist() == [0.0]
    assert (decoder.frames, decoder.errors) == (1, 0)


def test_register_reply_gives_battery():
    decoder = wit.WitMotionDecoder(rate_hz=10)
    assert len(decoder.feed(BATTERY)) == 0
    assert decoder.registers[wit.BATTERY_REGISTER] == 379
    assert decoder.battery_percent == 40


def test_resync_after_garbage():
    decoder = wit.WitMotionDecoder(rate_hz=10)
    samples = decoder.feed(b"\x01\x55\x02" + FRAME + b"\x55")
    assert len(samples) == 1
    assert decoder.errors_by_reason == {"resync: bytes outside a frame": 1}
    assert len(decoder.feed(FRAME[1:])) == 1  # the trailing 0x55 started the next frame


def test_commands():
    assert wit.rate_commands(50) == [bytes.fromhex("FF AA 69 88 B5"), bytes.fromhex("FF AA 03 08 00"),
                                     bytes.fromhex("FF AA 00 00 00")]
    assert wit.read_registers(wit.BATTERY_REGISTER) == bytes.fromhex("FF AA 27 64 00")
    assert wit.nearest_rate(60) == 50


def test_encoder_round_trip():
    accel = np.array([0.5, -1.25, 15.9])
    decoded = wit.WitMotionDecoder(rate_hz=50).feed(wit.encode_data_frame(accel))
    assert decoded.xyz[0] == pytest.approx(accel, abs=16 / 32768)


def test_chunking_gives_identical_samples():
    rng = np.random.default_rng(3)
    stream = b"".join(wit.encode_data_frame(rng.uniform(-2, 2, 3)) if k % 5 else BATTERY for k in range(300))
    whole = wit.WitMotionDecoder(rate_hz=50).feed(stream)
    for split in ("bytes", "random"):
        decoder = wit.WitMotionDecoder(rate_hz=50)
        if split == "bytes":
            cuts = list(range(1, len(stream)))
        else:
            cuts = sorted(rng.choice(np.arange(1, len(stream)), size=120, replace=False).tolist())
        pieces = [stream[a:b] for a, b in zip([0, *cuts], [*cuts, len(stream)], strict=True)]
        blocks = [decoder.feed(p) for p in pieces]
        xyz = np.concatenate([b.xyz for b in blocks])
        t = np.concatenate([b.t for b in blocks])
        assert xyz.tolist() == whole.xyz.tolist() and t.tolist() == whole.t.tolist()
        assert decoder.errors == 0
