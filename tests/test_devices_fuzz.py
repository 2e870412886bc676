"""Seeded fuzz: random and mutated notifications never make a decoder raise.

Invariant (as in h11's fuzzer): any bytes are either decoded into finite samples in g with
increasing sensor times, or counted as a decode error. Set FUZZ_SEED to replay a failure; set
FUZZ_FRAMES to run longer.
"""

from __future__ import annotations

import contextlib
import os
import random
from collections.abc import Callable

import numpy as np
import pytest

from monitor.devices import metawear as mw
from monitor.devices import polar_pmd as pmd
from monitor.devices import sitmon_profile as sp
from monitor.devices import thingy52 as thingy
from monitor.devices import witmotion as wit
from monitor.devices.base import Decoder
from monitor.devices.heart_rate import decode_heart_rate

SEED = int(os.environ.get("FUZZ_SEED", "20261125"))
FRAMES = int(os.environ.get("FUZZ_FRAMES", "100000"))


def _seeds() -> dict[str, tuple[Callable[[], Decoder], list[bytes]]]:
    rng = np.random.default_rng(SEED)
    walk = np.cumsum(rng.integers(-300, 300, (40, 3)), axis=0)
    return {
        "polar-pmd": (lambda: pmd.PmdAccDecoder(rate_hz=52, factor=2**-12), [
            pmd.encode_raw_frame(2 * 10**9, walk[:20]),
            pmd.encode_raw_frame(3 * 10**9, walk[:10], frame_type=0x00),
            pmd.encode_raw_frame(4 * 10**9, walk[:10], frame_type=0x02),
            pmd.encode_delta_frame(5 * 10**9, walk, block_size=9),
            pmd.encode_delta_frame(6 * 10**9, walk, frame_type=0x81),
        ]),
        "thingy52-raw": (lambda: thingy.ThingyRawDecoder(50),
                         [thingy.encode_raw(v) for v in walk[:5] / 1000]),
        "thingy52-gravity": (lambda: thingy.ThingyGravityDecoder(50),
                             [thingy.encode_gravity(v) for v in walk[:5] / 1000]),
        "witmotion": (lambda: wit.WitMotionDecoder(50), [
            wit.encode_data_frame(walk[0] / 1000), wit.encode_register_frame(0x64, (380,)),
            wit.encode_data_frame(walk[1] / 1000) * 3,
        ]),
        "metawear": (lambda: mw.MetaWearDecoder(50, 8), [
            mw.encode_acc_data(walk[0] / 1000, 8), mw.encode_acc_data(walk[:3] / 1000, 8, packed=True),
            mw.encode_battery(87, 4000), bytes.fromhex("08 80 00 00"), bytes.fromhex("03 83 28 05"),
        ]),
        "sitmon-profile": (sp.SitmonProfileDecoder, [
            sp.encode_frame(k, k * 400_000, 20_000, walk[:20]) for k in range(3)
        ] + [sp.encode_frame(9, 9_000_000, 20_000, walk[:38])]),
    }


def _mutate(rng: random.Random, seeds: list[bytes]) -> bytes:
    choice = rng.random()
    if choice < 0.2:
        return rng.randbytes(rng.randrange(0, 64))
    frame = bytearray(rng.choice(seeds))
    if choice < 0.5:  # flip a few bits
        for _ in range(rng.randrange(1, 4)):
            if frame:
                frame[rng.randrange(len(frame))] ^= 1 << rng.randrange(8)
    elif choice < 0.65:  # truncate
        del frame[rng.randrange(len(frame) + 1):]
    elif choice < 0.75:  # extend with garbage
        frame += rng.randbytes(rng.randrange(1, 24))
    elif choice < 0.85:  # splice two frames
        other = rng.choice(seeds)
        frame = frame[: rng.randrange(len(frame) + 1)] + other[rng.randrange(len(other) + 1):]
    elif choice < 0.95 and frame:  # overwrite one byte with an edge value
        frame[rng.randrange(len(frame))] = rng.choice((0x00, 0x01, 0x7F, 0x80, 0xFF, 0x55, 0xA5, 0x61))
    # else: the seed unchanged, so the stream also sees valid frames
    return bytes(frame)


@pytest.mark.parametrize("name", sorted(_seeds()))
def test_decoder_survives_fuzz(name):
    factory, seeds = _seeds()[name]
    rng = random.Random(f"{SEED}/{name}")
    decoder = factory()
    decoded = 0
    last_t = -np.inf
    for k in range(FRAMES):
        if k % 5000 == 0:
            decoder.reset()  # a reconnect: stream state restarts, counters persist
            last_t = -np.inf
        samples = decoder.feed(_mutate(rng, seeds))
        if len(samples):
            assert np.isfinite(samples.xyz).all() and np.isfinite(samples.t).all(), f"seed {SEED}"
            if name not in ("witmotion", "metawear") and not name.startswith("thingy"):
                assert samples.t[0] > last_t, f"seed {SEED}: sensor time went back"
            last_t = float(samples.t[-1])
            decoded += len(samples)
    # both paths ran: the fuzz is not all rejects, nor all accepts
    assert decoder.errors > 0 and decoded > 0, f"seed {SEED}"
    assert not any(r.startswith("malformed") for r in decoder.errors_by_reason), decoder.errors_by_reason


def test_control_point_parsers_survive_fuzz():
    rng = random.Random(f"{SEED}/control")
    seeds = [pmd.control_response(1, 2, parameters=pmd.settings_parameters({0: (25, 50), 1: (16,)})),
             bytes.fromhex("F0 02 02 00 00 05 01 00 00 80 39"), bytes.fromhex("01 02"),
             bytes.fromhex("0F 05 00"), pmd.acc_start_request(52, 8), bytes.fromhex("10 48 00 04 00")]
    assembler = pmd.ControlAssembler()
    for _ in range(FRAMES):
        data = _mutate(rng, seeds)
        message = assembler.feed(data)
        if isinstance(message, pmd.ControlResponse):
            pmd.response_factor(message)
        for parse in (pmd.parse_settings, pmd.parse_start_request):
            with contextlib.suppress(pmd.DecodeFailure):
                parse(data)
        decode_heart_rate(data)
