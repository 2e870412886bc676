"""Throughput of the posture classifier: samples per second on one core, per placement.

Run from the repository root:

    .venv/bin/python bench/throughput.py [--hours 24] [--rate 50] [--repeats 3]

Classifies a synthetic day (sitting, standing, walking and lying in turn, 50 Hz by default) with
`classify_recording`, and again streamed in one-second blocks as the daemon would push them, for
each placement, and prints samples per second and the time to classify the whole day. A lone
trunk sensor in the daemon also judges its history again at every re-learn (the revisions that
rewrite the stored day); the last column streams with those. The
classifier is single-threaded numpy; pin the process to one core (`taskset -c 0`) to be strict
about "one core" when numpy's BLAS might use threads (it does not for these operations).
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]


def synthetic_day(hours: float, rate: float, seed: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """A day of 10-minute bouts: a thigh-convention signal (g) with noise and gait while walking."""
    n = int(hours * 3600 * rate)
    rng = np.random.default_rng(seed)
    t = np.arange(n) / rate
    bout = (t // 600).astype(np.int64) % 4  # sit, stand, walk, sit
    pitch = np.choose(bout, [88.0, 4.0, 12.0, 85.0]) * math.pi / 180
    walking = bout == 2
    phase = 2 * math.pi * 0.95 * t
    pitch = pitch + np.where(walking, math.radians(20) * np.sin(phase), 0.0)
    xyz = np.stack([-np.cos(pitch), np.zeros(n), np.sin(pitch)], axis=1)
    xyz[:, 0] += np.where(walking, -0.45 * np.sin(2 * phase), 0.0)
    xyz += rng.normal(0, 0.01, (n, 3))
    return 1_700_000_000.0 + t, xyz


def main(argv: Sequence[str] | None = None) -> int:
    from monitor.model import Placement, SampleBlock
    from monitor.posture import StreamClassifier, classify_recording
    from monitor.posture.classify import TRUNK

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--hours", type=float, default=24.0)
    parser.add_argument("--rate", type=float, default=50.0)
    parser.add_argument("--repeats", type=int, default=3, help="runs of each kind; the fastest counts")
    args = parser.parse_args(argv)
    t, xyz = synthetic_day(args.hours, args.rate)
    block = SampleBlock(t, xyz)
    n = len(block)
    print(f"synthetic recording: {args.hours:g} h at {args.rate:g} Hz = {n:,} samples")
    print(f"{'placement':10} {'whole file':>22} {'1-s blocks (live)':>24} {'1-s blocks, revising':>24}")
    best_rate = math.inf
    for placement in Placement:
        classify_recording(SampleBlock(t[:5000], xyz[:5000]), placement)  # warm up
        whole = math.inf
        for _ in range(args.repeats):  # the fastest run: other processes only ever slow it down
            start = time.perf_counter()
            states = classify_recording(block, placement)
            whole = min(whole, time.perf_counter() - start)
        step = int(args.rate)
        timings = []
        for revise in (False, True):
            live = math.inf
            for _ in range(args.repeats if not revise or placement in TRUNK else 0):
                c = StreamClassifier(placement, origin=float(t[0]), revise=revise)
                start = time.perf_counter()
                streamed = 0
                for i in range(0, n, step):
                    streamed += len(c.push(SampleBlock(t[i:i + step], xyz[i:i + step])))
                    c.take_revision()
                streamed += len(c.flush())
                live = min(live, time.perf_counter() - start)
                assert streamed == len(states)
            timings.append(f"{live:8.3f} s {n / live / 1e6:6.2f} M samples/s" if live < math.inf else
                           f"{'(leg: none)':>24}")
        best_rate = min(best_rate, n / whole)
        print(f"{placement.value:10} {whole:7.3f} s {n / whole / 1e6:6.2f} M samples/s {timings[0]} {timings[1]}")
    print(f"slowest placement, whole file: {best_rate / 1e6:.2f} M samples/s "
          f"({n / best_rate:.2f} s for the {args.hours:g} h recording)")
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(REPO))
    sys.exit(main())
