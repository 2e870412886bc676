"""Replay every shared recording through the whole pipeline and report what sitmon would have said.

    .venv/bin/python bench/replay_all.py [--data ../shared/data]

Per file: sitting minutes, streaks over 30 minutes, prompts issued, events, the time to read the
file and the wall time of the replay itself (classifier + tracker + prompter, one core).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from monitor.config import parse_settings
from monitor.model import Placement
from monitor.recordings import RecordingFormat, read_recording
from monitor.replay import ReplaySummary, replay_events

DEFAULT_DATA = Path(__file__).resolve().parent.parent.parent / "shared" / "data"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    args = parser.parse_args()
    settings = parse_settings({"wearer": {"timezone": "UTC"}}, environ={})
    jobs = [(p, RecordingFormat.CASALE, Placement.CHEST)
            for p in sorted((args.data / "uci-chest-casale").glob("*.csv.gz"))]
    jobs += [(p, RecordingFormat.WISDM, Placement.POCKET)
             for p in sorted((args.data / "wisdm2019-phone-accel").glob("*.txt.gz"))]
    print(f"{'file':32} {'sit min':>8} {'>30 min':>8} {'prompts':>8} {'events':>7} {'read s':>7} {'replay s':>9}")
    totals = [0.0, 0, 0, 0, 0.0, 0.0]
    for path, fmt, placement in jobs:
        started = time.perf_counter()
        block = read_recording(path, fmt).block
        read = time.perf_counter() - started
        summary = ReplaySummary()
        started = time.perf_counter()
        for _ in replay_events(block, placement, settings, summary=summary):
            pass
        wall = time.perf_counter() - started
        row = [summary.sitting_seconds / 60, summary.long_streaks, summary.prompts, summary.events, read, wall]
        totals = [a + b for a, b in zip(totals, row, strict=True)]
        print(f"{path.name:32} {row[0]:8.1f} {row[1]:8d} {row[2]:8d} {row[3]:7d} {row[4]:7.2f} {row[5]:9.3f}")
    print(f"{'all ' + str(len(jobs)) + ' files':32} {totals[0]:8.1f} {totals[1]:8d} {totals[2]:8d} {totals[3]:7d} "
          f"{totals[4]:7.2f} {totals[5]:9.3f}")


if __name__ == "__main__":
    main()
