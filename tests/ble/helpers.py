"""Shared helpers for the Bluetooth tests: recordings to play and a waiting helper."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import numpy as np

from monitor.model import SampleBlock

TIMEOUT_S = 20.0


def recording(seconds: float, rate_hz: float = 50.0, start: float = 1000.0, seed: int = 1) -> SampleBlock:
    """Slow tilts plus noise, within +-2 g: something a posture sensor could see."""
    n = round(seconds * rate_hz)
    t = start + np.arange(n) / rate_hz
    rng = np.random.default_rng(seed)
    phase = 2 * np.pi * (t - start) / 37.0
    xyz = np.stack([0.7 * np.sin(phase), 0.3 * np.cos(1.3 * phase), 0.7 + 0.2 * np.cos(phase)], axis=1)
    xyz += rng.normal(0, 0.05, xyz.shape)
    return SampleBlock(t, xyz)


async def wait_for(predicate: Callable[[], bool], timeout: float = TIMEOUT_S) -> None:
    """Poll a condition on every loop turn: the emulated world moves in call_soon steps."""
    async def poll() -> None:
        while not predicate():
            await asyncio.sleep(0.001)
    await asyncio.wait_for(poll(), timeout)
