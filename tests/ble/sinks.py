"""A WearableSink for tests that keeps counts and the samples it is told to keep."""

from __future__ import annotations

import numpy as np

from monitor.adapters.ble import WearableStatus
from monitor.model import SampleBlock


class CountingSink:
    def __init__(self, keep: bool = True) -> None:
        self.keep = keep
        self.blocks: list[SampleBlock] = []
        self.count = 0
        self.last_t = -np.inf
        self.backwards = 0
        self.gaps: list[tuple[float, float]] = []
        self.statuses: dict[str, WearableStatus] = {}
        self.errors: list[str] = []
        self.status_calls = 0

    def samples(self, wearable: str, block: SampleBlock) -> None:
        if block.t[0] <= self.last_t or np.any(np.diff(block.t) <= 0):
            self.backwards += 1
        self.last_t = float(block.t[-1])
        self.count += len(block)
        if self.keep:
            self.blocks.append(block)

    def gap(self, wearable: str, start: float, end: float) -> None:
        self.gaps.append((start, end))

    def status(self, wearable: str, status: WearableStatus) -> None:
        self.statuses[wearable] = status
        if status.last_error and (not self.errors or self.errors[-1] != status.last_error):
            self.errors.append(status.last_error)
        self.status_calls += 1

    def joined(self) -> SampleBlock:
        return SampleBlock(np.concatenate([b.t for b in self.blocks]), np.concatenate([b.xyz for b in self.blocks]))
