"""Decode throughput per wire format: `python bench/decoders.py [--seconds 1.0]`.

Each decoder is fed valid notifications of the size its device sends at 50 Hz (Polar and the
sitmon profile pack many samples per notification; the others one or three), in a loop, for a
fixed wall time. Prints frames/s and samples/s.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

import numpy as np

from monitor.devices import metawear as mw
from monitor.devices import polar_pmd as pmd
from monitor.devices import sitmon_profile as sp
from monitor.devices import thingy52 as thingy
from monitor.devices import witmotion as wit
from monitor.devices.base import Decoder


def _cases() -> dict[str, tuple[Callable[[], Decoder], Callable[[int], bytes]]]:
    rng = np.random.default_rng(0)
    mg = np.cumsum(rng.integers(-40, 40, (36, 3)), axis=0) + np.array([0, 0, 1000])
    g = mg / 1000.0
    return {
        "polar-pmd raw (36 samples/frame)": (
            lambda: pmd.PmdAccDecoder(50), lambda k: pmd.encode_raw_frame((k + 1) * 720_000_000, mg)),
        "polar-pmd delta (36 samples/frame)": (
            lambda: pmd.PmdAccDecoder(52, 2**-12),
            lambda k: pmd.encode_delta_frame((k + 1) * 692_307_692, mg)),
        "thingy52 raw (1 sample/frame)": (
            lambda: thingy.ThingyRawDecoder(50), lambda k: thingy.encode_raw(g[0])),
        "thingy52 gravity (1 sample/frame)": (
            lambda: thingy.ThingyGravityDecoder(50), lambda k: thingy.encode_gravity(g[0])),
        "witmotion (1 sample/frame)": (
            lambda: wit.WitMotionDecoder(50), lambda k: wit.encode_data_frame(g[0])),
        "metawear (1 sample/frame)": (
            lambda: mw.MetaWearDecoder(50, 8), lambda k: mw.encode_acc_data(g[0], 8)),
        "metawear packed (3 samples/frame)": (
            lambda: mw.MetaWearDecoder(50, 8), lambda k: mw.encode_acc_data(g[:3], 8, packed=True)),
        "sitmon-profile (36 samples/frame)": (
            sp.SitmonProfileDecoder, lambda k: sp.encode_frame(k, k * 720_000, 20_000, mg)),
    }


def run(seconds: float) -> list[tuple[str, float, float]]:
    results = []
    for name, (factory, make) in _cases().items():
        frames = [make(k) for k in range(2000)]
        decoder = factory()
        count = samples = 0
        start = time.perf_counter()
        while time.perf_counter() - start < seconds:
            decoder.reset()
            for frame in frames:
                samples += len(decoder.feed(frame))
            count += len(frames)
        elapsed = time.perf_counter() - start
        assert decoder.errors == 0, (name, decoder.errors_by_reason)
        results.append((name, count / elapsed, samples / elapsed))
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=1.0, help="wall time per decoder")
    args = parser.parse_args()
    print(f"{'decoder':40} {'frames/s':>12} {'samples/s':>12}")
    for name, fps, sps in run(args.seconds):
        print(f"{name:40} {fps:12,.0f} {sps:12,.0f}")


if __name__ == "__main__":
    main()
